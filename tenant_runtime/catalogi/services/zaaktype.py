"""Zaaktypen: versions of a zaaktype with their concept lifecycle, publication rules (ztc-012) and the
version-independent references of 1.3 (besluittypen by omschrijving, deelzaaktypen and gerelateerde zaaktypen
by identificatie)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Select, Text, cast, select
from sqlalchemy.exc import IntegrityError

from tenant_runtime.catalogi.models import BesluitType, Catalogus, InformatieObjectType, ZaakType
from tenant_runtime.catalogi.schemas import ZaakTypeIn
from tenant_runtime.catalogi.services.common import (
    Ctx,
    date_param,
    ensure_main_deletable,
    ensure_main_editable,
    ensure_no_overlap,
    ensure_start_before_end,
    filtered,
    geldig_op,
    has_published_version,
    iso,
    local_object,
    name_from_reference,
    notify,
    status_clause,
    url_filter,
    url_of,
)
from tenant_runtime.core.problems import InvalidParam, Problem, validation_problem
from tenant_runtime.core.resolver import ResolveError
from tenant_runtime.logging import get_logger

log = get_logger(__name__)

PUBLISH_RELATIONS = "Alle gerelateerde besluittypen en informatieobjecttypen moeten gepubliceerd zijn."


def writable_state(ctx: Ctx, obj: ZaakType) -> dict[str, Any]:
    """The object's writable attributes as a request body (references as stored: names)."""
    state: dict[str, Any] = {
        "identificatie": obj.identificatie,
        "omschrijving": obj.omschrijving,
        "omschrijvingGeneriek": obj.omschrijving_generiek,
        "vertrouwelijkheidaanduiding": obj.vertrouwelijkheidaanduiding,
        "doel": obj.doel,
        "aanleiding": obj.aanleiding,
        "toelichting": obj.toelichting,
        "indicatieInternOfExtern": obj.indicatie_intern_of_extern,
        "handelingInitiator": obj.handeling_initiator,
        "onderwerp": obj.onderwerp,
        "handelingBehandelaar": obj.handeling_behandelaar,
        "doorlooptijd": obj.doorlooptijd,
        "servicenorm": obj.servicenorm,
        "opschortingEnAanhoudingMogelijk": obj.opschorting_en_aanhouding_mogelijk,
        "verlengingMogelijk": obj.verlenging_mogelijk,
        "verlengingstermijn": obj.verlengingstermijn,
        "trefwoorden": list(obj.trefwoorden),
        "publicatieIndicatie": obj.publicatie_indicatie,
        "publicatietekst": obj.publicatietekst,
        "verantwoordingsrelatie": list(obj.verantwoordingsrelatie),
        "productenOfDiensten": list(obj.producten_of_diensten),
        "selectielijstProcestype": obj.selectielijst_procestype,
        "referentieproces": {"naam": obj.referentieproces_naam, "link": obj.referentieproces_link},
        "verantwoordelijke": obj.verantwoordelijke,
        "catalogus": url_of(ctx.urls, "catalogussen", obj.catalogus),
        "besluittypen": list(obj.besluittype_omschrijvingen),
        "deelzaaktypen": list(obj.deelzaaktype_identificaties),
        "gerelateerdeZaaktypen": [dict(r) for r in obj.gerelateerde_zaaktypen],
        "beginGeldigheid": iso(obj.datum_begin_geldigheid),
        "eindeGeldigheid": iso(obj.datum_einde_geldigheid),
        "beginObject": iso(obj.begin_object),
        "eindeObject": iso(obj.einde_object),
        "versiedatum": iso(obj.versiedatum),
    }
    if obj.broncatalogus_url:
        state["broncatalogus"] = {
            "url": obj.broncatalogus_url,
            "domein": obj.broncatalogus_domein,
            "rsin": obj.broncatalogus_rsin,
        }
    if obj.bronzaaktype_url:
        state["bronzaaktype"] = {
            "url": obj.bronzaaktype_url,
            "identificatie": obj.bronzaaktype_identificatie,
            "omschrijving": obj.bronzaaktype_omschrijving,
        }
    return state


def validate_verlenging(data: ZaakTypeIn) -> None:
    if data.verlenging_mogelijk and not data.verlengingstermijn:
        raise validation_problem(
            [
                InvalidParam(
                    "nonFieldErrors",
                    "verlenging-mismatch",
                    "verlengingstermijn is verplicht bij verlenging.",
                )
            ]
        )


def validate_bron(data: ZaakTypeIn) -> None:
    if data.bronzaaktype is not None and data.broncatalogus is None:
        raise validation_problem(
            [
                InvalidParam(
                    "nonFieldErrors",
                    "invalid-bronzaaktype-for-broncatalogus",
                    "Een bronzaaktype vereist een broncatalogus.",
                )
            ]
        )


def validate_procestype(ctx: Ctx, url: str) -> None:
    """ztc-001: selectielijstProcestype is a procestype of the Selectielijst API."""
    if not url:
        return
    try:
        ctx.selectielijst.resolve(url, "procestypen")
    except ResolveError as exc:
        raise validation_problem([exc.param("selectielijstProcestype")]) from None


def _apply(ctx: Ctx, obj: ZaakType, data: ZaakTypeIn, catalogus: Catalogus) -> None:
    validate_verlenging(data)
    validate_bron(data)
    ensure_start_before_end(data.begin_geldigheid, data.einde_geldigheid)
    validate_procestype(ctx, data.selectielijst_procestype)
    besluittypen = [
        name_from_reference(ctx, value, "besluittypen", "omschrijving", catalogus.id, "besluittypen")
        for value in data.besluittypen
    ]
    deelzaaktypen = [
        name_from_reference(ctx, value, "zaaktypen", "identificatie", catalogus.id, "deelzaaktypen")
        for value in data.deelzaaktypen
    ]
    gerelateerd = [
        {
            "zaaktype": name_from_reference(
                ctx, relatie.zaaktype, "zaaktypen", "identificatie", catalogus.id, "gerelateerdeZaaktypen.zaaktype"
            ),
            "aardRelatie": relatie.aard_relatie.value,
            "toelichting": relatie.toelichting,
        }
        for relatie in data.gerelateerde_zaaktypen
    ]
    obj.catalogus = catalogus
    obj.identificatie = data.identificatie
    obj.omschrijving = data.omschrijving
    obj.omschrijving_generiek = data.omschrijving_generiek
    obj.vertrouwelijkheidaanduiding = data.vertrouwelijkheidaanduiding.value
    obj.doel = data.doel
    obj.aanleiding = data.aanleiding
    obj.toelichting = data.toelichting
    obj.indicatie_intern_of_extern = data.indicatie_intern_of_extern.value
    obj.handeling_initiator = data.handeling_initiator
    obj.onderwerp = data.onderwerp
    obj.handeling_behandelaar = data.handeling_behandelaar
    obj.doorlooptijd = data.doorlooptijd
    obj.servicenorm = data.servicenorm
    obj.opschorting_en_aanhouding_mogelijk = data.opschorting_en_aanhouding_mogelijk
    obj.verlenging_mogelijk = data.verlenging_mogelijk
    obj.verlengingstermijn = data.verlengingstermijn
    obj.trefwoorden = list(data.trefwoorden)
    obj.publicatie_indicatie = data.publicatie_indicatie
    obj.publicatietekst = data.publicatietekst
    obj.verantwoordingsrelatie = list(data.verantwoordingsrelatie)
    obj.producten_of_diensten = list(data.producten_of_diensten)
    obj.selectielijst_procestype = data.selectielijst_procestype
    obj.referentieproces_naam = data.referentieproces.naam
    obj.referentieproces_link = data.referentieproces.link
    obj.verantwoordelijke = data.verantwoordelijke
    obj.broncatalogus_url = data.broncatalogus.url if data.broncatalogus else ""
    obj.broncatalogus_domein = data.broncatalogus.domein if data.broncatalogus else ""
    obj.broncatalogus_rsin = data.broncatalogus.rsin if data.broncatalogus else ""
    obj.bronzaaktype_url = data.bronzaaktype.url if data.bronzaaktype else ""
    obj.bronzaaktype_identificatie = data.bronzaaktype.identificatie if data.bronzaaktype else ""
    obj.bronzaaktype_omschrijving = data.bronzaaktype.omschrijving if data.bronzaaktype else ""
    obj.versiedatum = data.versiedatum
    obj.datum_begin_geldigheid = data.begin_geldigheid
    obj.datum_einde_geldigheid = data.einde_geldigheid
    obj.begin_object = data.begin_object
    obj.einde_object = data.einde_object
    obj.besluittype_omschrijvingen = besluittypen
    obj.deelzaaktype_identificaties = deelzaaktypen
    obj.gerelateerde_zaaktypen = gerelateerd


def create(ctx: Ctx, data: ZaakTypeIn) -> ZaakType:
    catalogus: Catalogus = local_object(ctx, data.catalogus, "catalogussen", "catalogus")
    obj = ZaakType(concept=True)
    _apply(ctx, obj, data, catalogus)
    ctx.session.add(obj)
    ctx.session.flush()
    notify(ctx, "zaaktypen", obj, catalogus, "create")
    ctx.session.commit()
    log.info("zaaktype_created", uuid=str(obj.uuid), client_id=ctx.client.client_id)
    return obj


def update(ctx: Ctx, obj: ZaakType, data: ZaakTypeIn, patch_keys: set[str] | None) -> ZaakType:
    ensure_main_editable(obj, ctx.client, patch_keys)
    catalogus: Catalogus = local_object(ctx, data.catalogus, "catalogussen", "catalogus")
    if not obj.concept and catalogus.id != obj.catalogus_id:
        raise validation_problem(
            [InvalidParam("catalogus", "non-concept-object", "Een gepubliceerd zaaktype verhuist niet.")]
        )
    _apply(ctx, obj, data, catalogus)
    ctx.session.flush()
    if not obj.concept:
        field = "eindeGeldigheid" if patch_keys == {"eindeGeldigheid"} else "beginGeldigheid"
        ensure_no_overlap(ctx.session, obj, "identificatie", "zaaktype", field)
    notify(ctx, "zaaktypen", obj, catalogus, "partial_update" if patch_keys is not None else "update")
    ctx.session.commit()
    return obj


def delete(ctx: Ctx, obj: ZaakType) -> None:
    ensure_main_deletable(obj, ctx.client)
    notify(ctx, "zaaktypen", obj, obj.catalogus, "destroy")
    ctx.session.delete(obj)
    try:
        ctx.session.commit()
    except IntegrityError:
        ctx.session.rollback()
        raise Problem(409, "Het zaaktype is in gebruik en kan niet verwijderd worden.", code="conflict") from None
    log.info("zaaktype_deleted", uuid=str(obj.uuid), client_id=ctx.client.client_id)


def publication_errors(ctx: Ctx, obj: ZaakType) -> list[InvalidParam]:
    """ztc-012: what keeps a concept zaaktype from being published."""
    errors: list[InvalidParam] = []
    code = "concept-relation"
    besluittypen_ok = all(
        has_published_version(ctx.session, BesluitType, "omschrijving", obj.catalogus_id, name)
        for name in obj.besluittype_omschrijvingen
    )
    iots_ok = all(
        has_published_version(
            ctx.session, InformatieObjectType, "omschrijving", obj.catalogus_id, ziot.informatieobjecttype_omschrijving
        )
        for ziot in obj.zaaktype_informatieobjecttypen
    )
    if not (besluittypen_ok and iots_ok):
        errors.append(
            InvalidParam(
                "nonFieldErrors",
                code,
                PUBLISH_RELATIONS,
            )
        )
    if any(not rt.selectielijstklasse for rt in obj.resultaattypen):
        errors.append(InvalidParam("resultaattypen", code, "Elk resultaattype heeft een selectielijstklasse nodig."))
    if len(obj.roltypen) < 1:
        errors.append(InvalidParam("roltypen", code, "Publiceren vereist minstens één roltype."))
    if len(obj.resultaattypen) < 1:
        errors.append(InvalidParam("resultaattypen", code, "Publiceren vereist minstens één resultaattype."))
    if len(obj.statustypen) < 2:
        errors.append(InvalidParam("statustypen", code, "Publiceren vereist minstens twee statustypen."))
    return errors


def publish(ctx: Ctx, obj: ZaakType) -> ZaakType:
    if not obj.concept:
        return obj
    errors = publication_errors(ctx, obj)
    if errors:
        raise validation_problem(errors)
    obj.concept = False
    ctx.session.flush()
    ensure_no_overlap(ctx.session, obj, "identificatie", "zaaktype")
    notify(ctx, "zaaktypen", obj, obj.catalogus, "update")
    ctx.session.commit()
    log.info("zaaktype_published", uuid=str(obj.uuid), client_id=ctx.client.client_id)
    return obj


def list_query(ctx: Ctx, params: dict[str, str | None]) -> Select[Any]:
    catalogus_id = url_filter(ctx, "catalogus", params.get("catalogus"), "catalogussen")
    moment = date_param("datumGeldigheid", params.get("datumGeldigheid"))
    trefwoorden = [t for t in (params.get("trefwoorden") or "").split(",") if t] if params.get("trefwoorden") else []
    return filtered(
        select(ZaakType).order_by(ZaakType.id),
        status_clause(params.get("status"), ZaakType.concept),
        ZaakType.catalogus_id == catalogus_id if catalogus_id is not None else None,
        ZaakType.identificatie == params["identificatie"] if params.get("identificatie") is not None else None,
        geldig_op(ZaakType, moment) if moment is not None else None,
        *(cast(ZaakType.trefwoorden, Text).contains(json.dumps(t), autoescape=True) for t in trefwoorden),
    )
