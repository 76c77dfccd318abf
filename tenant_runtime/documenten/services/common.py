"""Shared service helpers for resources that belong to a document (gebruiksrechten, verzendingen, ...)."""

from __future__ import annotations

from collections.abc import Iterable

from tenant_runtime.core.problems import InvalidParam, validation_problem
from tenant_runtime.core.resolver import ResolveError
from tenant_runtime.documenten.models import InformatieObject
from tenant_runtime.documenten.services import access
from tenant_runtime.documenten.services.context import WriteContext


def local_document(
    ctx: WriteContext, url: str, scopes: Iterable[str], field: str = "informatieobject"
) -> InformatieObject:
    """The document of this tenant ``url`` points to, which the client may apply ``scopes`` to."""
    try:
        resolved = ctx.resolver.resolve(url, "documenten", "enkelvoudiginformatieobjecten")
    except ResolveError as error:
        raise validation_problem([error.param(field)]) from None
    if resolved.local is None:
        raise validation_problem([InvalidParam(field, "bad-url", "Het informatieobject hoort niet bij deze API.")])
    document: InformatieObject = resolved.local
    access.require(ctx.client, scopes, ctx.urls, document)
    return document


def immutable(field: str) -> Exception:
    return validation_problem([InvalidParam(field, "wijzigen-niet-toegelaten", "Dit veld mag niet gewijzigd worden.")])
