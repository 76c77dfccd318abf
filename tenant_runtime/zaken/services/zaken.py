"""Zaken: create, update (PUT/PATCH), delete, read and search, with the standard's zrc rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, delete, false, select
from sqlalchemy.orm import Session

from tenant_runtime.besluiten.models import Besluit
from tenant_runtime.core.audit import AuditTrailEntry
from tenant_runtime.core.auth import Client
from tenant_runtime.core.problems import InvalidParam, Problem, validation_problem
from tenant_runtime.core.resolver import ResolveError, Resolver
from tenant_runtime.core.urls import TenantUrls
from tenant_runtime.core.vertrouwelijkheid import Vertrouwelijkheid
from tenant_runtime.documenten.models import InformatieObject, InformatieObjectVersie
from tenant_runtime.zaken import filters
from tenant_runtime.zaken.access import forbidden, require_open_or_forced, require_zaak, zaak_access
from tenant_runtime.zaken.catalog import ZaaktypeInfo, resolve_zaaktype, zaaktype_of_zaak
from tenant_runtime.zaken.events import WriteContext, notify, record_write, zaak_url
from tenant_runtime.zaken.geo import bounding_box, ids_within, parse_geometry
from tenant_runtime.zaken.models import Zaak, ZaakInformatieObject
from tenant_runtime.zaken.schemas.common import given, require
from tenant_runtime.zaken.schemas.zaak import ZAAK_REQUIRED, ZaakData, serialize_zaken
from tenant_runtime.zaken.scopes import (
    SCOPE_ZAKEN_ALLES_LEZEN,
    SCOPE_ZAKEN_ALLES_VERWIJDEREN,
    SCOPE_ZAKEN_CREATE,
    SCOPES_UPDATE,
)
from tenant_runtime.zaken.services.common import get_or_404, invalid, local_zaak
from tenant_runtime.zaken.services.identificatie import identificatie_taken, insert_zaak, not_unique

RESOURCE = "zaak"


def serialize_one(session: Session, urls: TenantUrls, zaak: Zaak) -> dict[str, Any]:
    return serialize_zaken(session, urls, [zaak])[0]


# --- reading ---------------------------------------------------------------------------------------------------


def read_zaak(session: Session, client: Client, urls: TenantUrls, raw_uuid: str) -> Zaak:
    zaak = get_or_404(session, Zaak, raw_uuid)
    require_zaak(client, urls, zaak, [SCOPE_ZAKEN_ALLES_LEZEN])
    return zaak


def readable_zaken(session: Session, client: Client, urls: TenantUrls) -> ColumnElement[bool] | None:
    """The SQL condition limiting zaken to what the client may read (None: everything)."""
    return zaak_access(client, urls, [SCOPE_ZAKEN_ALLES_LEZEN]).clause(session)


@dataclass(frozen=True, slots=True)
class Search:
    conditions: list[ColumnElement[bool]]
    order_by: list[Any]


def search(
    session: Session, client: Client, urls: TenantUrls, params: dict[str, Any], within: Any | None = None
) -> Search:
    """Conditions for the zaak list / _zoek: the client's autorisaties, the filters and the geometry."""
    conditions = filters.zaak_conditions(urls, params)
    access = readable_zaken(session, client, urls)
    if access is not None:
        conditions.append(access)
    if within is not None:
        area = parse_geometry(within, "zaakgeometrie.within")
        ids = ids_within(session, area, conditions)
        conditions = [Zaak.id.in_(ids)] if ids else [false()]
    return Search(conditions, filters.ordering(params.get("ordering")))


# --- validation (zrc rules) ------------------------------------------------------------------------------------


def _validate_hoofdzaak(session: Session, urls: TenantUrls, url: str, zaak: Zaak | None) -> Zaak:
    """zrc-013: a valid zaak, not a deelzaak itself, and not the zaak itself."""
    hoofdzaak = local_zaak(session, urls, url, "hoofdzaak")
    if zaak is not None and hoofdzaak.id == zaak.id:
        raise invalid("hoofdzaak", "self-forbidden", "Een zaak mag geen deelzaak van zichzelf zijn.")
    if hoofdzaak.hoofdzaak_id is not None:
        raise invalid("hoofdzaak", "deelzaak-als-hoofdzaak", "Een deelzaak kan geen hoofdzaak zijn.")
    if zaak is not None and session.scalar(select(Zaak.id).where(Zaak.hoofdzaak_id == zaak.id).limit(1)):
        raise invalid("hoofdzaak", "deelzaak-als-hoofdzaak", "Een hoofdzaak met deelzaken kan geen deelzaak worden.")
    return hoofdzaak


def _validate_relevante_zaken(resolver: Resolver, items: list[dict[str, str]]) -> None:
    """zrc-011: every relevante andere zaak must exist (``relevanteAndereZaken.<index>`` in errors)."""
    errors = []
    for index, item in enumerate(items):
        try:
            resolver.resolve(item["url"], "zaken", "zaken", check=lambda d: "zaaktype" in d and "bronorganisatie" in d)
        except ResolveError as exc:
            errors.append(exc.param(f"relevanteAndereZaken.{index}"))
    if errors:
        raise validation_problem(errors)


def _validate_communicatiekanaal(resolver: Resolver, url: str) -> None:
    """zrc-010: the communicatiekanaal must be a communicatiekanaal resource (naam, omschrijving)."""
    if resolver.is_local(url):
        return  # this runtime's own Referentielijsten API
    try:
        document = resolver.fetch(url)
    except ResolveError as exc:
        raise validation_problem([exc.param("communicatiekanaal")]) from None
    if "naam" not in document or "omschrijving" not in document:
        raise invalid("communicatiekanaal", "invalid-resource", "De URL verwijst niet naar een communicatiekanaal.")


def _validate_archiefstatus(session: Session, zaak: Zaak) -> None:
    """zrc-022: archiving needs archiefnominatie and archiefactiedatum and every document archived."""
    if zaak.archiefstatus == "nog_te_archiveren":
        return
    errors = []
    if not zaak.archiefnominatie:
        errors.append(InvalidParam("archiefnominatie", "archiefnominatie-not-set", "Moet gezet zijn bij archiveren."))
    if zaak.archiefactiedatum is None:
        errors.append(InvalidParam("archiefactiedatum", "archiefactiedatum-not-set", "Moet gezet zijn bij archiveren."))
    if errors:
        raise validation_problem(errors)
    if zaak.id is None:
        return
    latest = (
        select(InformatieObjectVersie.status)
        .where(InformatieObjectVersie.informatieobject_id == InformatieObject.id)
        .order_by(InformatieObjectVersie.versie.desc())
        .limit(1)
        .scalar_subquery()
    )
    statuses = session.scalars(
        select(latest)
        .select_from(ZaakInformatieObject)
        .join(InformatieObject, InformatieObject.id == ZaakInformatieObject.informatieobject_id)
        .where(ZaakInformatieObject.zaak_id == zaak.id)
    ).all()
    if any(status != "gearchiveerd" for status in statuses):
        raise invalid(
            "archiefstatus",
            "documents-not-archived",
            "Alle informatieobjecten van de zaak moeten de status 'gearchiveerd' hebben.",
        )


def _check_producten(info: ZaaktypeInfo, producten: list[str]) -> None:
    """zrc-015: the producten of diensten of a zaak are a subset of its zaaktype's."""
    unknown = set(producten) - set(info.producten_of_diensten)
    if unknown:
        raise invalid(
            "productenOfDiensten",
            "invalid-products-services",
            "Niet alle producten/diensten komen voor in de producten/diensten op het zaaktype.",
        )


def _apply(session: Session, resolver: Resolver, zaak: Zaak, data: ZaakData, info: ZaaktypeInfo) -> None:
    """Copy the given fields onto ``zaak`` and check the rules that concern them."""
    urls = resolver.urls
    simple = (
        "bronorganisatie",
        "registratiedatum",
        "verantwoordelijke_organisatie",
        "startdatum",
        "einddatum_gepland",
        "uiterlijke_einddatum_afdoening",
        "publicatiedatum",
        "laatste_betaaldatum",
        "archiefnominatie",
        "archiefactiedatum",
        "processobjectaard",
        "startdatum_bewaartermijn",
    )
    for name in simple:
        if given(data, name):
            setattr(zaak, name, getattr(data, name))
    for name in (
        "toelichting",
        "omschrijving",
        "opdrachtgevende_organisatie",
        "communicatiekanaal",
        "selectielijstklasse",
    ):
        if given(data, name):
            setattr(zaak, name, getattr(data, name) or "")
    if given(data, "archiefstatus"):
        zaak.archiefstatus = data.archiefstatus or "nog_te_archiveren"
    if given(data, "betalingsindicatie"):
        zaak.betalingsindicatie = data.betalingsindicatie or ""
    if given(data, "communicatiekanaal") and data.communicatiekanaal:
        _validate_communicatiekanaal(resolver, data.communicatiekanaal)
    if given(data, "producten_of_diensten"):
        zaak.producten_of_diensten = list(data.producten_of_diensten or [])
        _check_producten(info, zaak.producten_of_diensten)
    if given(data, "vertrouwelijkheidaanduiding") and data.vertrouwelijkheidaanduiding:
        zaak.vertrouwelijkheidaanduiding = data.vertrouwelijkheidaanduiding
    elif not zaak.vertrouwelijkheidaanduiding:
        zaak.vertrouwelijkheidaanduiding = info.vertrouwelijkheidaanduiding  # zrc-009
    # zrc-014: no payment date when nothing is to be paid; switching to nvt clears it.
    if zaak.betalingsindicatie == "nvt":
        if given(data, "laatste_betaaldatum") and data.laatste_betaaldatum is not None:
            raise invalid(
                "laatsteBetaaldatum",
                "betaling-nvt",
                "De laatste betaaldatum kan niet gezet worden als de betalingsindicatie 'nvt' is.",
            )
        zaak.laatste_betaaldatum = None
    if given(data, "zaakgeometrie"):
        geometry = parse_geometry(data.zaakgeometrie, "zaakgeometrie") if data.zaakgeometrie is not None else None
        zaak.zaakgeometrie = data.zaakgeometrie if geometry is not None else None
        zaak.geo_min_x, zaak.geo_min_y, zaak.geo_max_x, zaak.geo_max_y = bounding_box(geometry)
    if given(data, "verlenging"):  # zrc-012: null means no value
        zaak.verlenging_reden = data.verlenging.reden if data.verlenging else ""
        zaak.verlenging_duur = data.verlenging.duur if data.verlenging else None
    if given(data, "opschorting"):
        zaak.opschorting_indicatie = data.opschorting.indicatie if data.opschorting else False
        zaak.opschorting_reden = data.opschorting.reden if data.opschorting else ""
    if given(data, "processobject"):
        zaak.processobject = data.processobject.model_dump(by_alias=True) if data.processobject else None
    if given(data, "kenmerken"):
        zaak.kenmerken = [k.model_dump(by_alias=True) for k in data.kenmerken or []]
    if given(data, "relevante_andere_zaken"):
        items = [r.model_dump(by_alias=True) for r in data.relevante_andere_zaken or []]
        _validate_relevante_zaken(resolver, items)
        zaak.relevante_andere_zaken = items
    if given(data, "hoofdzaak"):
        zaak.hoofdzaak = (
            _validate_hoofdzaak(session, urls, data.hoofdzaak, zaak if zaak.id else None) if data.hoofdzaak else None
        )
        zaak.hoofdzaak_id = zaak.hoofdzaak.id if zaak.hoofdzaak is not None else None
    _validate_archiefstatus(session, zaak)


# --- writing ---------------------------------------------------------------------------------------------------


def create_zaak(session: Session, ctx: WriteContext, resolver: Resolver, data: ZaakData) -> Zaak:
    require(data, *ZAAK_REQUIRED)
    assert data.zaaktype is not None and data.bronorganisatie is not None
    zaaktype = resolve_zaaktype(resolver, data.zaaktype)  # zrc-001
    if zaaktype.info.concept:
        raise invalid("zaaktype", "not-published", "Het zaaktype is nog niet gepubliceerd (concept).")
    vertrouwelijkheid = data.vertrouwelijkheidaanduiding or zaaktype.info.vertrouwelijkheidaanduiding
    access = zaak_access(ctx.client, ctx.urls, [SCOPE_ZAKEN_CREATE])
    if not access.allows_type(zaaktype.local, zaaktype.url, vertrouwelijkheid):
        raise forbidden()
    zaak = Zaak(
        zaaktype_id=zaaktype.local.id if zaaktype.local is not None else None,
        zaaktype_url="" if zaaktype.local is not None else zaaktype.url,
        registratiedatum=date.today(),
        identificatie=data.identificatie or "",
        vertrouwelijkheidaanduiding="",
        relevante_andere_zaken=[],
        kenmerken=[],
        producten_of_diensten=[],
        archiefstatus="nog_te_archiveren",
    )
    zaak.zaaktype = zaaktype.local
    _apply(session, resolver, zaak, data, zaaktype.info)
    if data.registratiedatum is None:
        zaak.registratiedatum = date.today()
    Vertrouwelijkheid(zaak.vertrouwelijkheidaanduiding)
    insert_zaak(session, zaak, generate=not data.identificatie)
    body = serialize_zaken(session, ctx.urls, [zaak])[0]
    record_write(
        session,
        ctx,
        zaak,
        resource=RESOURCE,
        resource_url=body["url"],
        actie="create",
        nieuw=body,
        weergave=zaak.identificatie,
    )
    session.commit()
    return zaak


def update_zaak(
    session: Session, ctx: WriteContext, resolver: Resolver, zaak: Zaak, data: ZaakData, partial: bool
) -> Zaak:
    require_zaak(ctx.client, ctx.urls, zaak, SCOPES_UPDATE)
    require_open_or_forced(ctx.client, ctx.urls, zaak)
    if not partial:
        require(data, *ZAAK_REQUIRED)
    old = serialize_zaken(session, ctx.urls, [zaak])[0]
    if given(data, "zaaktype") and data.zaaktype is not None and data.zaaktype != old["zaaktype"]:
        raise invalid("zaaktype", "wijzigen-niet-toegelaten", "Het zaaktype van een zaak kan niet gewijzigd worden.")
    info = zaaktype_of_zaak(resolver, zaak)
    _apply(session, resolver, zaak, data, info)
    # The client must be allowed to handle the zaak at its new vertrouwelijkheid as well.
    if not zaak_access(ctx.client, ctx.urls, SCOPES_UPDATE).allows(zaak):
        raise forbidden()
    new_identificatie = data.identificatie if given(data, "identificatie") and data.identificatie else None
    if new_identificatie is not None:
        zaak.identificatie = new_identificatie
    if identificatie_taken(session, zaak.bronorganisatie, zaak.identificatie, zaak.id):
        raise not_unique()
    session.flush()
    new = serialize_zaken(session, ctx.urls, [zaak])[0]
    record_write(
        session,
        ctx,
        zaak,
        resource=RESOURCE,
        resource_url=new["url"],
        actie="partial_update" if partial else "update",
        oud=old,
        nieuw=new,
        weergave=zaak.identificatie,
    )
    session.commit()
    return zaak


def delete_zaak(session: Session, ctx: WriteContext, zaak: Zaak) -> None:
    """zrc-023: the zaak, its deelzaken and everything recorded about them go, the audit trail included (so the
    removal is announced by its notification only)."""
    require_zaak(ctx.client, ctx.urls, zaak, [SCOPE_ZAKEN_ALLES_VERWIJDEREN])
    url = zaak_url(ctx.urls, zaak)
    family = select(Zaak.id).where((Zaak.id == zaak.id) | (Zaak.hoofdzaak_id == zaak.id))
    if session.scalar(select(Besluit.id).where(Besluit.zaak_id.in_(family)).limit(1)) is not None:
        raise Problem(
            409,
            "Er zijn besluiten die naar deze zaak (of een deelzaak) verwijzen; ontkoppel of verwijder die eerst.",
            code="pending-besluit-relation",
        )
    zaak_uuids = [zaak.uuid, *session.scalars(select(Zaak.uuid).where(Zaak.hoofdzaak_id == zaak.id))]
    notify(session, ctx, zaak, resource=RESOURCE, resource_url=url, actie="destroy")
    session.execute(delete(AuditTrailEntry).where(AuditTrailEntry.hoofd_object_uuid.in_(zaak_uuids)))
    session.execute(delete(Zaak).where(Zaak.hoofdzaak_id == zaak.id))
    session.delete(zaak)
    session.commit()
