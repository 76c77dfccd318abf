"""Informatieobjecttypen: versions named by omschrijving (others reference them by it), concept lifecycle."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError

from tenant_runtime.catalogi.models import Catalogus, InformatieObjectType
from tenant_runtime.catalogi.schemas import InformatieObjectTypeIn
from tenant_runtime.catalogi.services.common import (
    Ctx,
    date_param,
    ensure_main_deletable,
    ensure_main_editable,
    ensure_no_overlap,
    ensure_start_before_end,
    filtered,
    geldig_op,
    iso,
    local_object,
    notify,
    status_clause,
    url_filter,
    url_of,
)
from tenant_runtime.core.problems import InvalidParam, Problem, validation_problem
from tenant_runtime.logging import get_logger

log = get_logger(__name__)


def writable_state(ctx: Ctx, obj: InformatieObjectType) -> dict[str, Any]:
    state: dict[str, Any] = {
        "catalogus": url_of(ctx.urls, "catalogussen", obj.catalogus),
        "omschrijving": obj.omschrijving,
        "vertrouwelijkheidaanduiding": obj.vertrouwelijkheidaanduiding,
        "beginGeldigheid": iso(obj.datum_begin_geldigheid),
        "eindeGeldigheid": iso(obj.datum_einde_geldigheid),
        "beginObject": iso(obj.begin_object),
        "eindeObject": iso(obj.einde_object),
        "informatieobjectcategorie": obj.informatieobjectcategorie,
        "trefwoord": list(obj.trefwoord),
    }
    if obj.omschrijving_generiek_informatieobjecttype:
        state["omschrijvingGeneriek"] = {
            "informatieobjecttypeOmschrijvingGeneriek": obj.omschrijving_generiek_informatieobjecttype,
            "definitieInformatieobjecttypeOmschrijvingGeneriek": obj.omschrijving_generiek_definitie,
            "herkomstInformatieobjecttypeOmschrijvingGeneriek": obj.omschrijving_generiek_herkomst,
            "hierarchieInformatieobjecttypeOmschrijvingGeneriek": obj.omschrijving_generiek_hierarchie,
            "opmerkingInformatieobjecttypeOmschrijvingGeneriek": obj.omschrijving_generiek_opmerking,
        }
    return state


def _apply(obj: InformatieObjectType, data: InformatieObjectTypeIn, catalogus: Catalogus) -> None:
    ensure_start_before_end(data.begin_geldigheid, data.einde_geldigheid)
    generiek = data.omschrijving_generiek
    obj.catalogus = catalogus
    obj.omschrijving = data.omschrijving
    obj.vertrouwelijkheidaanduiding = data.vertrouwelijkheidaanduiding.value
    obj.datum_begin_geldigheid = data.begin_geldigheid
    obj.datum_einde_geldigheid = data.einde_geldigheid
    obj.begin_object = data.begin_object
    obj.einde_object = data.einde_object
    obj.informatieobjectcategorie = data.informatieobjectcategorie
    obj.trefwoord = list(data.trefwoord)
    names = (
        (
            generiek.informatieobjecttype_omschrijving_generiek,
            generiek.definitie_informatieobjecttype_omschrijving_generiek,
            generiek.herkomst_informatieobjecttype_omschrijving_generiek,
            generiek.hierarchie_informatieobjecttype_omschrijving_generiek,
            generiek.opmerking_informatieobjecttype_omschrijving_generiek,
        )
        if generiek
        else ("", "", "", "", "")
    )
    (
        obj.omschrijving_generiek_informatieobjecttype,
        obj.omschrijving_generiek_definitie,
        obj.omschrijving_generiek_herkomst,
        obj.omschrijving_generiek_hierarchie,
        obj.omschrijving_generiek_opmerking,
    ) = names


def create(ctx: Ctx, data: InformatieObjectTypeIn) -> InformatieObjectType:
    catalogus: Catalogus = local_object(ctx, data.catalogus, "catalogussen", "catalogus")
    obj = InformatieObjectType(concept=True)
    _apply(obj, data, catalogus)
    ctx.session.add(obj)
    ctx.session.flush()
    notify(ctx, "informatieobjecttypen", obj, catalogus, "create")
    ctx.session.commit()
    log.info("informatieobjecttype_created", uuid=str(obj.uuid), client_id=ctx.client.client_id)
    return obj


def update(
    ctx: Ctx, obj: InformatieObjectType, data: InformatieObjectTypeIn, patch_keys: set[str] | None
) -> InformatieObjectType:
    ensure_main_editable(obj, ctx.client, patch_keys)
    catalogus: Catalogus = local_object(ctx, data.catalogus, "catalogussen", "catalogus")
    if not obj.concept and (catalogus.id != obj.catalogus_id or data.omschrijving != obj.omschrijving):
        raise validation_problem(
            [
                InvalidParam(
                    "nonFieldErrors",
                    "non-concept-object",
                    "Catalogus en omschrijving van een gepubliceerd informatieobjecttype liggen vast.",
                )
            ]
        )
    _apply(obj, data, catalogus)
    ctx.session.flush()
    if not obj.concept:
        field = "eindeGeldigheid" if patch_keys == {"eindeGeldigheid"} else "beginGeldigheid"
        ensure_no_overlap(ctx.session, obj, "omschrijving", "informatieobjecttype", field)
    notify(ctx, "informatieobjecttypen", obj, catalogus, "partial_update" if patch_keys is not None else "update")
    ctx.session.commit()
    return obj


def delete(ctx: Ctx, obj: InformatieObjectType) -> None:
    ensure_main_deletable(obj, ctx.client)
    notify(ctx, "informatieobjecttypen", obj, obj.catalogus, "destroy")
    ctx.session.delete(obj)
    try:
        ctx.session.commit()
    except IntegrityError:
        ctx.session.rollback()
        raise Problem(409, "Het informatieobjecttype is in gebruik.", code="conflict") from None


def publish(ctx: Ctx, obj: InformatieObjectType) -> InformatieObjectType:
    if not obj.concept:
        return obj
    obj.concept = False
    ctx.session.flush()
    ensure_no_overlap(ctx.session, obj, "omschrijving", "informatieobjecttype")
    notify(ctx, "informatieobjecttypen", obj, obj.catalogus, "update")
    ctx.session.commit()
    log.info("informatieobjecttype_published", uuid=str(obj.uuid), client_id=ctx.client.client_id)
    return obj


def list_query(ctx: Ctx, params: dict[str, str | None]) -> Select[Any]:
    catalogus_id = url_filter(ctx, "catalogus", params.get("catalogus"), "catalogussen")
    moment = date_param("datumGeldigheid", params.get("datumGeldigheid"))
    model = InformatieObjectType
    return filtered(
        select(model).order_by(model.id),
        status_clause(params.get("status"), model.concept),
        model.catalogus_id == catalogus_id if catalogus_id is not None else None,
        model.omschrijving == params["omschrijving"] if params.get("omschrijving") is not None else None,
        geldig_op(model, moment) if moment is not None else None,
    )
