"""The besluit's place in the catalogus: its besluittype (published), the zaaktype of its zaak (brc-007) and the
informatieobjecttypen of its documents (brc-008).

A type is this tenant's own row (a local object) or a remote resource (its JSON). Since Catalogi 1.3 a local
zaaktype names its besluittypen, and a local besluittype its informatieobjecttypen, by ``omschrijving`` within
the same catalogus; a remote type lists the URLs (``besluittypen``, ``informatieobjecttypen``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tenant_runtime.catalogi.models import BesluitType, InformatieObjectType, ZaakType
from tenant_runtime.core.resolver import Resolved, ResolveError, Resolver


@dataclass(frozen=True, slots=True)
class TypeRef:
    """A catalogus type: ``local`` (this tenant's row) or ``remote`` (the fetched JSON), with its URL."""

    url: str
    local: Any | None = None
    remote: dict[str, Any] | None = None

    @property
    def published(self) -> bool:
        if self.local is not None:
            return not self.local.concept
        return not (self.remote or {}).get("concept", False)


def _looks_like(*keys: str) -> Any:
    return lambda document: all(key in document for key in keys)


def resolve_type(resolver: Resolver, url: str, resource: str) -> TypeRef:
    """Resolve a catalogi type URL (raises ``ResolveError``)."""
    checks = {
        "besluittypen": _looks_like("catalogus", "informatieobjecttypen"),
        "zaaktypen": _looks_like("catalogus", "besluittypen"),
        "informatieobjecttypen": _looks_like("catalogus", "omschrijving"),
    }
    resolved = resolver.resolve(url, "catalogi", resource, check=checks[resource])
    return TypeRef(url=url, local=resolved.local, remote=resolved.remote)


def resolve_zaak(resolver: Resolver, url: str) -> Resolved:
    return resolver.resolve(url, "zaken", "zaken", check=_looks_like("zaaktype", "bronorganisatie"))


def resolve_informatieobject(resolver: Resolver, url: str) -> Resolved:
    return resolver.resolve(
        url, "documenten", "enkelvoudiginformatieobjecten", check=_looks_like("informatieobjecttype", "bronorganisatie")
    )


def zaaktype_of_zaak(resolver: Resolver, zaak: Resolved) -> TypeRef:
    if zaak.local is not None:
        local_type: ZaakType | None = zaak.local.zaaktype
        if local_type is not None:
            return TypeRef(url=resolver.urls.resource("catalogi", "zaaktypen", local_type.uuid), local=local_type)
        return resolve_type(resolver, zaak.local.zaaktype_url, "zaaktypen")
    return resolve_type(resolver, str((zaak.remote or {}).get("zaaktype", "")), "zaaktypen")


def informatieobjecttype_of(resolver: Resolver, informatieobject: Resolved) -> TypeRef:
    if informatieobject.local is not None:
        local_type: InformatieObjectType | None = informatieobject.local.informatieobjecttype
        if local_type is not None:
            url = resolver.urls.resource("catalogi", "informatieobjecttypen", local_type.uuid)
            return TypeRef(url=url, local=local_type)
        url = informatieobject.local.informatieobjecttype_url
    else:
        url = str((informatieobject.remote or {}).get("informatieobjecttype", ""))
    if url and resolver.is_local(url):  # a remote document of a type in this tenant's catalogus
        return resolve_type(resolver, url, "informatieobjecttypen")
    return TypeRef(url=url)


def besluittype_of_zaaktype(besluittype: TypeRef, zaaktype: TypeRef) -> bool:
    """brc-007: the besluittype is one of the zaaktype's besluittypen."""
    if zaaktype.local is not None:
        local: BesluitType | None = besluittype.local
        return (
            local is not None
            and local.catalogus_id == zaaktype.local.catalogus_id
            and local.omschrijving in (zaaktype.local.besluittype_omschrijvingen or [])
        )
    return besluittype.url in ((zaaktype.remote or {}).get("besluittypen") or [])


def informatieobjecttype_of_besluittype(informatieobjecttype: TypeRef, besluittype: TypeRef) -> bool:
    """brc-008: the document's informatieobjecttype is one of the besluittype's informatieobjecttypen."""
    if besluittype.local is not None:
        local: InformatieObjectType | None = informatieobjecttype.local
        return (
            local is not None
            and local.catalogus_id == besluittype.local.catalogus_id
            and local.omschrijving in (besluittype.local.informatieobjecttype_omschrijvingen or [])
        )
    return informatieobjecttype.url in ((besluittype.remote or {}).get("informatieobjecttypen") or [])


__all__ = [
    "ResolveError",
    "TypeRef",
    "besluittype_of_zaaktype",
    "informatieobjecttype_of",
    "informatieobjecttype_of_besluittype",
    "resolve_informatieobject",
    "resolve_type",
    "resolve_zaak",
    "zaaktype_of_zaak",
]
