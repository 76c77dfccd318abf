"""What the Zaken API needs to know about Catalogi types, the same whether a type lives in this tenant's
Catalogi API (a local row) or in a remote Catalogi API (its JSON document, fetched by the resolver).

Each ``*Info`` is a small read-only view; ``resolve_*`` validate a URL given by a client and return the local
object (for the foreign key) together with the view.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy import String, Uuid, literal, null, select, union_all
from sqlalchemy.orm import object_session

from tenant_runtime.catalogi.models import (
    Eigenschap,
    ResultaatType,
    RolType,
    StatusType,
    ZaakObjectType,
    ZaakType,
    ZaakTypeInformatieObjectType,
)
from tenant_runtime.core.problems import InvalidParam, validation_problem
from tenant_runtime.core.resolver import Resolved, ResolveError, Resolver
from tenant_runtime.core.urls import TenantUrls


def catalogi_url(urls: TenantUrls, resource: str, obj: Any) -> str:
    return urls.resource("catalogi", resource, obj.uuid)


@dataclass(frozen=True, slots=True)
class ZaaktypeInfo:
    url: str
    vertrouwelijkheidaanduiding: str
    concept: bool
    producten_of_diensten: tuple[str, ...] = ()
    statustypen: tuple[str, ...] = ()
    resultaattypen: tuple[str, ...] = ()
    roltypen: tuple[str, ...] = ()
    eigenschappen: tuple[str, ...] = ()
    zaakobjecttypen: tuple[str, ...] = ()
    informatieobjecttypen: tuple[str, ...] = ()  # URLs (remote) — local zaaktypen name them by omschrijving
    informatieobjecttype_omschrijvingen: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class StatustypeInfo:
    url: str
    zaaktype: str
    volgnummer: int
    is_eindstatus: bool


@dataclass(frozen=True, slots=True)
class ResultaattypeInfo:
    url: str
    zaaktype: str
    archiefnominatie: str
    archiefactietermijn: str | None
    afleidingswijze: str = ""
    datumkenmerk: str = ""
    objecttype: str = ""
    procestermijn: str | None = None


@dataclass(frozen=True, slots=True)
class RoltypeInfo:
    url: str
    zaaktype: str
    omschrijving: str
    omschrijving_generiek: str


@dataclass(frozen=True, slots=True)
class EigenschapInfo:
    url: str
    zaaktype: str
    naam: str
    formaat: str = "tekst"
    lengte: str = ""
    kardinaliteit: str = ""
    waardenverzameling: tuple[str, ...] = field(default_factory=tuple)


# --- local rows -----------------------------------------------------------------------------------------------


# The zaaktype's parts a ZaaktypeInfo names, with the order the Catalogi API lists them in.
_ZAAKTYPE_PARTS: tuple[tuple[str, Any, Any], ...] = (
    ("statustypen", StatusType, StatusType.volgnummer),
    ("resultaattypen", ResultaatType, ResultaatType.id),
    ("roltypen", RolType, RolType.id),
    ("eigenschappen", Eigenschap, Eigenschap.id),
    ("zaakobjecttypen", ZaakObjectType, ZaakObjectType.id),
)


def zaaktype_info(urls: TenantUrls, zaaktype: ZaakType) -> ZaaktypeInfo:
    """What zaken need of a local zaaktype, its parts read in one round trip (every create of a zaak asks)."""
    session = object_session(zaaktype)
    assert session is not None, "a local zaaktype comes from the request's session"
    no_uuid, no_text = null().cast(Uuid()), null().cast(String())
    parts = [
        select(literal(kind).label("kind"), model.uuid.label("uuid"), no_text.label("text"), order.label("rank")).where(
            model.zaaktype_id == zaaktype.id
        )
        for kind, model, order in _ZAAKTYPE_PARTS
    ]
    ziot = ZaakTypeInformatieObjectType
    parts.append(
        select(
            literal("informatieobjecttypen"), no_uuid, ziot.informatieobjecttype_omschrijving, ziot.volgnummer
        ).where(ziot.zaaktype_id == zaaktype.id)
    )
    named: dict[str, list[tuple[int, str]]] = {kind: [] for kind, _, _ in _ZAAKTYPE_PARTS}
    omschrijvingen: list[tuple[int, str]] = []
    for kind, uuid, text, rank in session.execute(union_all(*parts)):
        if kind == "informatieobjecttypen":
            omschrijvingen.append((rank, text))
        else:
            named[kind].append((rank, urls.resource("catalogi", kind, uuid)))

    def ordered(entries: list[tuple[int, str]]) -> tuple[str, ...]:
        return tuple(value for _, value in sorted(entries, key=lambda entry: entry[0]))

    return ZaaktypeInfo(
        url=catalogi_url(urls, "zaaktypen", zaaktype),
        vertrouwelijkheidaanduiding=zaaktype.vertrouwelijkheidaanduiding,
        concept=zaaktype.concept,
        producten_of_diensten=tuple(zaaktype.producten_of_diensten or ()),
        statustypen=ordered(named["statustypen"]),
        resultaattypen=ordered(named["resultaattypen"]),
        roltypen=ordered(named["roltypen"]),
        eigenschappen=ordered(named["eigenschappen"]),
        zaakobjecttypen=ordered(named["zaakobjecttypen"]),
        informatieobjecttype_omschrijvingen=ordered(omschrijvingen),
    )


def statustype_info(urls: TenantUrls, statustype: StatusType) -> StatustypeInfo:
    highest = max((s.volgnummer for s in statustype.zaaktype.statustypen), default=statustype.volgnummer)
    return StatustypeInfo(
        url=catalogi_url(urls, "statustypen", statustype),
        zaaktype=catalogi_url(urls, "zaaktypen", statustype.zaaktype),
        volgnummer=statustype.volgnummer,
        is_eindstatus=statustype.volgnummer == highest,
    )


def resultaattype_info(urls: TenantUrls, resultaattype: ResultaatType) -> ResultaattypeInfo:
    return ResultaattypeInfo(
        url=catalogi_url(urls, "resultaattypen", resultaattype),
        zaaktype=catalogi_url(urls, "zaaktypen", resultaattype.zaaktype),
        archiefnominatie=resultaattype.archiefnominatie or "",
        archiefactietermijn=resultaattype.archiefactietermijn,
        afleidingswijze=resultaattype.brondatum_afleidingswijze or "",
        datumkenmerk=resultaattype.brondatum_datumkenmerk or "",
        objecttype=resultaattype.brondatum_objecttype or "",
        procestermijn=resultaattype.brondatum_procestermijn,
    )


def roltype_info(urls: TenantUrls, roltype: RolType) -> RoltypeInfo:
    return RoltypeInfo(
        url=catalogi_url(urls, "roltypen", roltype),
        zaaktype=catalogi_url(urls, "zaaktypen", roltype.zaaktype),
        omschrijving=roltype.omschrijving,
        omschrijving_generiek=roltype.omschrijving_generiek,
    )


def eigenschap_info(urls: TenantUrls, eigenschap: Eigenschap) -> EigenschapInfo:
    return EigenschapInfo(
        url=catalogi_url(urls, "eigenschappen", eigenschap),
        zaaktype=catalogi_url(urls, "zaaktypen", eigenschap.zaaktype),
        naam=eigenschap.naam,
        formaat=eigenschap.specificatie_formaat,
        lengte=eigenschap.specificatie_lengte,
        kardinaliteit=eigenschap.specificatie_kardinaliteit,
        waardenverzameling=tuple(eigenschap.specificatie_waardenverzameling or ()),
    )


# --- remote documents ------------------------------------------------------------------------------------------


def _strs(document: dict[str, Any], key: str) -> tuple[str, ...]:
    value = document.get(key) or []
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def _remote_zaaktype(url: str, d: dict[str, Any]) -> ZaaktypeInfo:
    return ZaaktypeInfo(
        url=url,
        vertrouwelijkheidaanduiding=str(d.get("vertrouwelijkheidaanduiding") or "openbaar"),
        concept=bool(d.get("concept", False)),
        producten_of_diensten=_strs(d, "productenOfDiensten"),
        statustypen=_strs(d, "statustypen"),
        resultaattypen=_strs(d, "resultaattypen"),
        roltypen=_strs(d, "roltypen"),
        eigenschappen=_strs(d, "eigenschappen"),
        zaakobjecttypen=_strs(d, "zaakobjecttypen"),
        informatieobjecttypen=_strs(d, "informatieobjecttypen"),
    )


def _remote_statustype(url: str, d: dict[str, Any]) -> StatustypeInfo:
    return StatustypeInfo(
        url=url,
        zaaktype=str(d.get("zaaktype", "")),
        volgnummer=int(d.get("volgnummer") or 0),
        is_eindstatus=bool(d.get("isEindstatus", False)),
    )


def _remote_resultaattype(url: str, d: dict[str, Any]) -> ResultaattypeInfo:
    brondatum = d.get("brondatumArchiefprocedure") or {}
    return ResultaattypeInfo(
        url=url,
        zaaktype=str(d.get("zaaktype", "")),
        archiefnominatie=str(d.get("archiefnominatie") or ""),
        archiefactietermijn=d.get("archiefactietermijn") or None,
        afleidingswijze=str(brondatum.get("afleidingswijze") or ""),
        datumkenmerk=str(brondatum.get("datumkenmerk") or ""),
        objecttype=str(brondatum.get("objecttype") or ""),
        procestermijn=brondatum.get("procestermijn") or None,
    )


def _remote_roltype(url: str, d: dict[str, Any]) -> RoltypeInfo:
    return RoltypeInfo(
        url=url,
        zaaktype=str(d.get("zaaktype", "")),
        omschrijving=str(d.get("omschrijving", "")),
        omschrijving_generiek=str(d.get("omschrijvingGeneriek", "")),
    )


def _remote_eigenschap(url: str, d: dict[str, Any]) -> EigenschapInfo:
    spec = d.get("specificatie") or {}
    return EigenschapInfo(
        url=url,
        zaaktype=str(d.get("zaaktype", "")),
        naam=str(d.get("naam", "")),
        formaat=str(spec.get("formaat") or "tekst"),
        lengte=str(spec.get("lengte") or ""),
        kardinaliteit=str(spec.get("kardinaliteit") or ""),
        waardenverzameling=_strs(spec, "waardenverzameling"),
    )


def _shape(*keys: str) -> Callable[[dict[str, Any]], bool]:
    return lambda document: all(k in document for k in keys)


# --- resolving a URL given by a client -------------------------------------------------------------------------


T = TypeVar("T")
V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class TypeRef(Generic[T, V]):
    """A validated reference: the local row (or None for a remote type), the URL and the view."""

    url: str
    local: T | None
    info: V


def _resolve(resolver: Resolver, url: str, resource: str, field_name: str, check: Callable[..., bool]) -> Resolved:
    try:
        return resolver.resolve(url, "catalogi", resource, check=check)
    except ResolveError as exc:
        raise validation_problem([exc.param(field_name)]) from None


def resolve_zaaktype(resolver: Resolver, url: str, field_name: str = "zaaktype") -> TypeRef[ZaakType, ZaaktypeInfo]:
    found = _resolve(resolver, url, "zaaktypen", field_name, _shape("statustypen", "vertrouwelijkheidaanduiding"))
    if found.local is not None:
        return TypeRef(url, found.local, zaaktype_info(resolver.urls, found.local))
    assert found.remote is not None
    return TypeRef(url, None, _remote_zaaktype(url, found.remote))


def resolve_statustype(resolver: Resolver, url: str) -> TypeRef[StatusType, StatustypeInfo]:
    found = _resolve(resolver, url, "statustypen", "statustype", _shape("zaaktype", "volgnummer"))
    if found.local is not None:
        return TypeRef(url, found.local, statustype_info(resolver.urls, found.local))
    assert found.remote is not None
    return TypeRef(url, None, _remote_statustype(url, found.remote))


def resolve_resultaattype(resolver: Resolver, url: str) -> TypeRef[ResultaatType, ResultaattypeInfo]:
    found = _resolve(resolver, url, "resultaattypen", "resultaattype", _shape("zaaktype", "archiefnominatie"))
    if found.local is not None:
        return TypeRef(url, found.local, resultaattype_info(resolver.urls, found.local))
    assert found.remote is not None
    return TypeRef(url, None, _remote_resultaattype(url, found.remote))


def resolve_roltype(resolver: Resolver, url: str) -> TypeRef[RolType, RoltypeInfo]:
    found = _resolve(resolver, url, "roltypen", "roltype", _shape("zaaktype", "omschrijvingGeneriek"))
    if found.local is not None:
        return TypeRef(url, found.local, roltype_info(resolver.urls, found.local))
    assert found.remote is not None
    return TypeRef(url, None, _remote_roltype(url, found.remote))


def resolve_eigenschap(resolver: Resolver, url: str) -> TypeRef[Eigenschap, EigenschapInfo]:
    found = _resolve(resolver, url, "eigenschappen", "eigenschap", _shape("zaaktype", "naam", "specificatie"))
    if found.local is not None:
        return TypeRef(url, found.local, eigenschap_info(resolver.urls, found.local))
    assert found.remote is not None
    return TypeRef(url, None, _remote_eigenschap(url, found.remote))


def resolve_zaakobjecttype(resolver: Resolver, url: str) -> TypeRef[ZaakObjectType, str]:
    found = _resolve(resolver, url, "zaakobjecttypen", "zaakobjecttype", _shape("zaaktype", "objecttype"))
    if found.local is not None:
        return TypeRef(url, found.local, catalogi_url(resolver.urls, "zaaktypen", found.local.zaaktype))
    assert found.remote is not None
    return TypeRef(url, None, str(found.remote.get("zaaktype", "")))


def zaaktype_of_zaak(resolver: Resolver, zaak: Any) -> ZaaktypeInfo:
    """The zaaktype view of an existing zaak (local row or the stored remote URL, fetched)."""
    if zaak.zaaktype_id is not None:
        return zaaktype_info(resolver.urls, zaak.zaaktype)
    try:
        return _remote_zaaktype(zaak.zaaktype_url, resolver.fetch(zaak.zaaktype_url))
    except ResolveError as exc:
        raise validation_problem(
            [InvalidParam("zaak", "bad-url", f"Het zaaktype van de zaak is niet op te halen: {exc.reason}")]
        ) from None
