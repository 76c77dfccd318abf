"""Autorisaties on documents: the client's grants per informatieobjecttype and maximum vertrouwelijkheid.

One object is checked with ``Client.may_access``; lists are filtered in SQL, turning each grant's type URL into
either the local type's id (same tenant) or the stored external URL.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Select, and_, false, or_, select, true

from tenant_runtime.catalogi.models import InformatieObjectType
from tenant_runtime.core.auth import Client
from tenant_runtime.core.problems import Problem
from tenant_runtime.core.urls import TenantUrls
from tenant_runtime.core.vertrouwelijkheid import Vertrouwelijkheid
from tenant_runtime.documenten.models import InformatieObject
from tenant_runtime.documenten.schemas.enkelvoudiginformatieobjecten import informatieobjecttype_url
from tenant_runtime.documenten.scopes import COMPONENT


def forbidden() -> Problem:
    return Problem(403, "Je hebt geen toestemming om deze actie uit te voeren.", code="permission_denied")


def not_found() -> Problem:
    return Problem(404, "Niet gevonden.", code="not_found")


def parse_uuid(raw: str) -> UUID:
    try:
        return UUID(raw)
    except ValueError:
        raise not_found() from None


def may(client: Client, scopes: Iterable[str], urls: TenantUrls, document: InformatieObject) -> bool:
    return client.may_access(
        COMPONENT, scopes, informatieobjecttype_url(urls, document), document.vertrouwelijkheidaanduiding
    )


def require(client: Client, scopes: Iterable[str], urls: TenantUrls, document: InformatieObject) -> None:
    """403 unless the client holds ``scopes`` for this document's type and vertrouwelijkheid."""
    if not may(client, scopes, urls, document):
        raise forbidden()


def visible(client: Client, scopes: Iterable[str], urls: TenantUrls) -> ColumnElement[bool]:
    """SQL condition on ``InformatieObject``: the documents the client may apply ``scopes`` to."""
    if client.heeft_alle_autorisaties:
        return true()
    conditions: list[ColumnElement[bool]] = []
    for type_url, maximum in client.type_grants(COMPONENT, scopes).items():
        ref = urls.parse_local(type_url)
        if ref is not None and (ref.component, ref.resource) == ("catalogi", "informatieobjecttypen"):
            same_type: ColumnElement[bool] = InformatieObject.informatieobjecttype_id.in_(
                select(InformatieObjectType.id).where(InformatieObjectType.uuid == ref.uuid)
            )
        else:
            same_type = InformatieObject.informatieobjecttype_url == type_url
        conditions.append(
            and_(same_type, InformatieObject.vertrouwelijkheidaanduiding.in_(Vertrouwelijkheid.up_to(maximum)))
        )
    return or_(*conditions) if conditions else false()


def visible_ids(client: Client, scopes: Iterable[str], urls: TenantUrls) -> Select[Any]:
    """The ids of the visible documents, for related resources (``informatieobject_id.in_(...)``)."""
    return select(InformatieObject.id).where(visible(client, scopes, urls))
