"""Besluittypen: versions named by omschrijving; their informatieobjecttypen are named by omschrijving
(ztc-011b), and publishing requires those to be published."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Select, Text, cast, select
from sqlalchemy.exc import IntegrityError

from tenant_runtime.catalogi.models import RESOURCES, BesluitType, Catalogus, InformatieObjectType
from tenant_runtime.catalogi.schemas import BesluitTypeIn
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
from tenant_runtime.logging import get_logger

log = get_logger(__name__)


def writable_state(ctx: Ctx, obj: BesluitType) -> dict[str, Any]:
    return {
        "catalogus": url_of(ctx.urls, "catalogussen", obj.catalogus),
        "omschrijving": obj.omschrijving,
        "omschrijvingGeneriek": obj.omschrijving_generiek,
        "besluitcategorie": obj.besluitcategorie,
        "reactietermijn": obj.reactietermijn,
        "publicatieIndicatie": obj.publicatie_indicatie,
        "publicatietekst": obj.publicatietekst,
        "publicatietermijn": obj.publicatietermijn,
        "toelichting": obj.toelichting,
        "informatieobjecttypen": list(obj.informatieobjecttype_omschrijvingen),
        "beginGeldigheid": iso(obj.datum_begin_geldigheid),
        "eindeGeldigheid": iso(obj.datum_einde_geldigheid),
        "beginObject": iso(obj.begin_object),
        "eindeObject": iso(obj.einde_object),
    }


def _apply(ctx: Ctx, obj: BesluitType, data: BesluitTypeIn, catalogus: Catalogus) -> None:
    ensure_start_before_end(data.begin_geldigheid, data.einde_geldigheid)
    if not data.publicatie_indicatie and (data.publicatietekst or data.publicatietermijn):
        raise validation_problem(
            [
                InvalidParam(
                    "nonFieldErrors",
                    "inconsistent-publicatie",
                    "publicatietekst en publicatietermijn horen alleen bij een publicatieIndicatie true.",
                )
            ]
        )
    iots = [
        name_from_reference(ctx, value, "informatieobjecttypen", "omschrijving", catalogus.id, "informatieobjecttypen")
        for value in data.informatieobjecttypen
    ]
    obj.catalogus = catalogus
    obj.omschrijving = data.omschrijving
    obj.omschrijving_generiek = data.omschrijving_generiek
    obj.besluitcategorie = data.besluitcategorie
    obj.reactietermijn = data.reactietermijn
    obj.publicatie_indicatie = data.publicatie_indicatie
    obj.publicatietekst = data.publicatietekst
    obj.publicatietermijn = data.publicatietermijn
    obj.toelichting = data.toelichting
    obj.informatieobjecttype_omschrijvingen = list(dict.fromkeys(iots))
    obj.datum_begin_geldigheid = data.begin_geldigheid
    obj.datum_einde_geldigheid = data.einde_geldigheid
    obj.begin_object = data.begin_object
    obj.einde_object = data.einde_object


def create(ctx: Ctx, data: BesluitTypeIn) -> BesluitType:
    catalogus: Catalogus = local_object(ctx, data.catalogus, "catalogussen", "catalogus")
    obj = BesluitType(concept=True)
    _apply(ctx, obj, data, catalogus)
    ctx.session.add(obj)
    ctx.session.flush()
    notify(ctx, "besluittypen", obj, catalogus, "create")
    ctx.session.commit()
    log.info("besluittype_created", uuid=str(obj.uuid), client_id=ctx.client.client_id)
    return obj


def update(ctx: Ctx, obj: BesluitType, data: BesluitTypeIn, patch_keys: set[str] | None) -> BesluitType:
    ensure_main_editable(obj, ctx.client, patch_keys)
    catalogus: Catalogus = local_object(ctx, data.catalogus, "catalogussen", "catalogus")
    if not obj.concept and (catalogus.id != obj.catalogus_id or data.omschrijving != obj.omschrijving):
        raise validation_problem(
            [
                InvalidParam(
                    "nonFieldErrors",
                    "non-concept-object",
                    "Catalogus en omschrijving van een gepubliceerd besluittype liggen vast.",
                )
            ]
        )
    _apply(ctx, obj, data, catalogus)
    ctx.session.flush()
    if not obj.concept:
        field = "eindeGeldigheid" if patch_keys == {"eindeGeldigheid"} else "beginGeldigheid"
        ensure_no_overlap(ctx.session, obj, "omschrijving", "besluittype", field)
    notify(ctx, "besluittypen", obj, catalogus, "partial_update" if patch_keys is not None else "update")
    ctx.session.commit()
    return obj


def delete(ctx: Ctx, obj: BesluitType) -> None:
    ensure_main_deletable(obj, ctx.client)
    notify(ctx, "besluittypen", obj, obj.catalogus, "destroy")
    ctx.session.delete(obj)
    try:
        ctx.session.commit()
    except IntegrityError:
        ctx.session.rollback()
        raise Problem(409, "Het besluittype is in gebruik.", code="conflict") from None


def publish(ctx: Ctx, obj: BesluitType) -> BesluitType:
    if not obj.concept:
        return obj
    if not all(
        has_published_version(ctx.session, InformatieObjectType, "omschrijving", obj.catalogus_id, name)
        for name in obj.informatieobjecttype_omschrijvingen
    ):
        raise validation_problem(
            [
                InvalidParam(
                    "informatieobjecttypen",
                    "concept-relation",
                    "Alle gerelateerde informatieobjecttypen moeten gepubliceerd zijn.",
                )
            ]
        )
    obj.concept = False
    ctx.session.flush()
    ensure_no_overlap(ctx.session, obj, "omschrijving", "besluittype")
    notify(ctx, "besluittypen", obj, obj.catalogus, "update")
    ctx.session.commit()
    log.info("besluittype_published", uuid=str(obj.uuid), client_id=ctx.client.client_id)
    return obj


def _referenced(ctx: Ctx, raw: str | None, resource: str) -> list[Any] | None:
    """The object a zaaktypen/informatieobjecttypen URL filter names ([] when unknown, None when absent)."""
    if raw is None:
        return None
    object_id = url_filter(ctx, resource, raw, resource)
    obj = ctx.session.get(RESOURCES[resource], object_id) if object_id not in (None, -1) else None
    return [] if obj is None else [obj]


def list_query(ctx: Ctx, params: dict[str, str | None]) -> Select[Any]:
    catalogus_id = url_filter(ctx, "catalogus", params.get("catalogus"), "catalogussen")
    moment = date_param("datumGeldigheid", params.get("datumGeldigheid"))
    model = BesluitType
    clauses: list[Any] = [
        status_clause(params.get("status"), model.concept),
        model.catalogus_id == catalogus_id if catalogus_id is not None else None,
        model.omschrijving == params["omschrijving"] if params.get("omschrijving") is not None else None,
        geldig_op(model, moment) if moment is not None else None,
    ]
    zaaktypen = _referenced(ctx, params.get("zaaktypen"), "zaaktypen")
    if zaaktypen is not None:
        names = [name for zt in zaaktypen for name in zt.besluittype_omschrijvingen]
        clauses.append(model.omschrijving.in_(names))
        clauses.append(model.catalogus_id.in_([zt.catalogus_id for zt in zaaktypen]))
    iots = _referenced(ctx, params.get("informatieobjecttypen"), "informatieobjecttypen")
    if iots is not None:
        clauses.append(model.catalogus_id.in_([iot.catalogus_id for iot in iots]))
        for iot in iots:
            names_json = cast(model.informatieobjecttype_omschrijvingen, Text)
            clauses.append(names_json.contains(json.dumps(iot.omschrijving), autoescape=True))
    return filtered(select(model).order_by(model.id), *clauses)
