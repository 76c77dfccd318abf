"""The ``expand`` parameter of the Documenten API (drc-011…drc-014, ``expand_paden.md``).

``/enkelvoudiginformatieobjecten`` expands ``informatieobjecttype``; ``/gebruiksrechten``, ``/verzendingen`` and
``/objectinformatieobjecten`` expand ``informatieobject`` and ``informatieobject.informatieobjecttype``. The
expanded resources go in an ``_expand`` object of the resource, nested the same way. Only Documenten resources and
Catalogi types are expanded (drc-011), at most these depths (drc-012); any other path is an error (drc-013: 404 on a
detail, 400 on a list, which documents no 404). A type that cannot be fetched is left out (drc-014).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from tenant_runtime.catalogi.models import InformatieObjectType
from tenant_runtime.core.auth import Client
from tenant_runtime.core.problems import InvalidParam, Problem
from tenant_runtime.core.resolver import ResolveError, Resolver
from tenant_runtime.core.urls import TenantUrls
from tenant_runtime.documenten.models import InformatieObject
from tenant_runtime.documenten.schemas.enkelvoudiginformatieobjecten import informatieobjecttype_url, serialize_document
from tenant_runtime.documenten.scopes import SCOPE_DOCUMENTEN_LEZEN
from tenant_runtime.documenten.services import access
from tenant_runtime.documenten.services.enkelvoudiginformatieobjecten import current_versie

DOCUMENT_PATHS = frozenset({"informatieobjecttype"})
RELATED_PATHS = frozenset({"informatieobject", "informatieobject.informatieobjecttype"})


def parse(raw: str | None, allowed: frozenset[str], *, detail: bool) -> set[str]:
    """The requested paths; an unknown one is a problem (404 on a detail, 400 on a list)."""
    if raw is None:
        return set()
    paths = {p.strip() for p in raw.split(",") if p.strip()}
    unknown = sorted(paths - allowed)
    if unknown or not paths:
        reason = f"Ongeldig expand-pad: {', '.join(unknown) or raw!r}; mogelijk: {', '.join(sorted(allowed))}."
        raise Problem(
            404 if detail else 400,
            reason,
            code="not_found" if detail else "invalid",
            invalid_params=[InvalidParam("expand", "invalid-expand", reason)],
        )
    return paths


class Expander:
    """Expands for one request (types fetched once per request)."""

    def __init__(self, session: Session, urls: TenantUrls, resolver: Resolver, client: Client) -> None:
        self.session = session
        self.urls = urls
        self.resolver = resolver
        self.client = client
        self._types: dict[str, dict[str, Any] | None] = {}

    def informatieobjecttype(self, document: InformatieObject) -> dict[str, Any] | None:
        url = informatieobjecttype_url(self.urls, document)
        if url not in self._types:
            self._types[url] = self._type_document(document.informatieobjecttype, url)
        return self._types[url]

    def _type_document(self, local: InformatieObjectType | None, url: str) -> dict[str, Any] | None:
        if local is not None:
            from tenant_runtime.catalogi import serializers

            document: dict[str, Any] = serializers.informatieobjecttype(serializers.Out(self.session, self.urls), local)
            return document
        try:
            return self.resolver.fetch(url)
        except ResolveError:
            return None

    def document(self, body: dict[str, Any], document: InformatieObject, paths: set[str]) -> dict[str, Any]:
        """Add ``_expand`` to a serialized document."""
        if "informatieobjecttype" in paths:
            body["_expand"] = {"informatieobjecttype": self.informatieobjecttype(document)}
        return body

    def related(self, body: dict[str, Any], document: InformatieObject, paths: set[str]) -> dict[str, Any]:
        """Add ``_expand.informatieobject`` (and its type) to a gebruiksrecht, verzending or OIO."""
        if not paths:
            return body
        if not access.may(self.client, [SCOPE_DOCUMENTEN_LEZEN], self.urls, document):
            body["_expand"] = {}
            return body
        expanded = serialize_document(self.urls, document, current_versie(self.session, document))
        if "informatieobject.informatieobjecttype" in paths:
            self.document(expanded, document, {"informatieobjecttype"})
        body["_expand"] = {"informatieobject": expanded}
        return body
