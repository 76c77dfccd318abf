"""The sub-types of one zaaktype version: statustypen, roltypen, eigenschappen, zaakobjecttypen and
zaaktype-informatieobjecttypen. They follow their zaaktype's lifecycle (ztc-010/ztc-011a): fixed once it is
published, except for a correctie with ``catalogi.geforceerd-schrijven``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select

from tenant_runtime.catalogi.models import (
    Eigenschap,
    InformatieObjectType,
    ResultaatType,
    RolType,
    StatusType,
    ZaakObjectType,
    ZaakType,
    ZaakTypeInformatieObjectType,
)
from tenant_runtime.catalogi.schemas import (
    EigenschapIn,
    RolOmschrijvingGeneriek,
    RolTypeIn,
    StatusTypeIn,
    ZaakObjectTypeIn,
    ZaakTypeInformatieObjectTypeIn,
)
from tenant_runtime.catalogi.services.common import (
    Ctx,
    bool_param,
    date_param,
    ensure_begin_matches_zaaktype,
    ensure_start_before_end,
    ensure_zaaktype_editable,
    filtered,
    geldig_op,
    iso,
    local_object,
    name_from_reference,
    status_clause,
    url_filter,
    url_of,
)
from tenant_runtime.core.problems import InvalidParam, validation_problem

# --- shared ----------------------------------------------------------------------------------------------------


def target_zaaktype(ctx: Ctx, url: str, current: ZaakType | None) -> ZaakType:
    """The zaaktype a sub-type is created in or moved to; both its old and new zaaktype must be concepts."""
    if current is not None:
        ensure_zaaktype_editable(current, ctx.client)
    zaaktype: ZaakType = local_object(ctx, url, "zaaktypen", "zaaktype")
    if current is None or zaaktype.id != current.id:
        ensure_zaaktype_editable(zaaktype, ctx.client)
    return zaaktype


def ensure_same_catalogus(ctx: Ctx, zaaktype: ZaakType, url: str | None, name: str = "catalogus") -> None:
    if not url:
        return
    catalogus = local_object(ctx, url, "catalogussen", name)
    if catalogus.id != zaaktype.catalogus_id:
        raise validation_problem(
            [InvalidParam(name, "relations-incorrect-catalogus", "De catalogus is niet die van het zaaktype.")]
        )


def same_zaaktype(ctx: Ctx, zaaktype: ZaakType, url: str, resource: str, name: str) -> Any:
    obj = local_object(ctx, url, resource, name)
    if obj.zaaktype_id != zaaktype.id:
        raise validation_problem(
            [InvalidParam(name, "relations-incorrect-zaaktype", f"Het {resource[:-2]} hoort bij een ander zaaktype.")]
        )
    return obj


def apply_geldigheid(obj: Any, data: Any, zaaktype: ZaakType) -> None:
    ensure_begin_matches_zaaktype(zaaktype, data.begin_geldigheid)
    ensure_start_before_end(data.begin_geldigheid, data.einde_geldigheid)
    obj.datum_begin_geldigheid = data.begin_geldigheid
    obj.datum_einde_geldigheid = data.einde_geldigheid
    obj.begin_object = data.begin_object
    obj.einde_object = data.einde_object


def geldigheid_state(obj: Any) -> dict[str, Any]:
    return {
        "beginGeldigheid": iso(obj.datum_begin_geldigheid),
        "eindeGeldigheid": iso(obj.datum_einde_geldigheid),
        "beginObject": iso(obj.begin_object),
        "eindeObject": iso(obj.einde_object),
    }


def save(ctx: Ctx, obj: Any) -> Any:
    ctx.session.add(obj)
    ctx.session.commit()
    return obj


def delete(ctx: Ctx, obj: Any) -> None:
    ensure_zaaktype_editable(obj.zaaktype, ctx.client, deleting=True)
    ctx.session.delete(obj)
    ctx.session.commit()


def ensure_unique_volgnummer(ctx: Ctx, model: Any, zaaktype: ZaakType, volgnummer: int, own_id: int | None) -> None:
    query = select(model.id).where(model.zaaktype_id == zaaktype.id, model.volgnummer == volgnummer)
    if own_id is not None:
        query = query.where(model.id != own_id)
    if ctx.session.scalar(query.limit(1)) is not None:
        raise validation_problem(
            [InvalidParam("volgnummer", "unique", "Dit volgnummer is al in gebruik binnen het zaaktype.")]
        )


def sub_query(ctx: Ctx, model: Any, params: dict[str, str | None], *, identificatie: str, datum: str) -> Select[Any]:
    """zaaktype, zaaktypeIdentificatie, status and datumGeldigheid filters of a sub-type list."""
    zaaktype_id = url_filter(ctx, "zaaktype", params.get("zaaktype"), "zaaktypen")
    moment = date_param(datum, params.get(datum))
    return filtered(
        select(model).join(ZaakType, model.zaaktype_id == ZaakType.id).order_by(model.id),
        status_clause(params.get("status"), ZaakType.concept) if "status" in params else None,
        model.zaaktype_id == zaaktype_id if zaaktype_id is not None else None,
        ZaakType.identificatie == params[identificatie] if params.get(identificatie) is not None else None,
        geldig_op(ZaakType, moment) if moment is not None else None,
    )


# --- statustypen -----------------------------------------------------------------------------------------------


def statustype_state(ctx: Ctx, obj: StatusType) -> dict[str, Any]:
    return {
        "omschrijving": obj.omschrijving,
        "omschrijvingGeneriek": obj.omschrijving_generiek,
        "statustekst": obj.statustekst,
        "zaaktype": url_of(ctx.urls, "zaaktypen", obj.zaaktype),
        "volgnummer": obj.volgnummer,
        "informeren": obj.informeren,
        "doorlooptijd": obj.doorlooptijd,
        "toelichting": obj.toelichting,
        "checklistitemStatustype": [dict(item) for item in obj.checklistitems],
        "eigenschappen": [url_of(ctx.urls, "eigenschappen", e) for e in obj.eigenschappen],
        **geldigheid_state(obj),
    }


def write_statustype(ctx: Ctx, obj: StatusType | None, data: StatusTypeIn) -> StatusType:
    zaaktype = target_zaaktype(ctx, data.zaaktype, obj.zaaktype if obj else None)
    ensure_unique_volgnummer(ctx, StatusType, zaaktype, data.volgnummer, obj.id if obj else None)
    eigenschappen = [
        same_zaaktype(ctx, zaaktype, url, "eigenschappen", f"eigenschappen.{i}")
        for i, url in enumerate(data.eigenschappen)
    ]
    obj = obj or StatusType()
    apply_geldigheid(obj, data, zaaktype)
    obj.zaaktype = zaaktype
    obj.omschrijving = data.omschrijving
    obj.omschrijving_generiek = data.omschrijving_generiek
    obj.statustekst = data.statustekst
    obj.volgnummer = data.volgnummer
    obj.informeren = data.informeren
    obj.doorlooptijd = data.doorlooptijd
    obj.toelichting = data.toelichting
    obj.checklistitems = [item.model_dump(by_alias=True) for item in data.checklistitem_statustype]
    obj.eigenschappen = eigenschappen
    return save(ctx, obj)  # type: ignore[no-any-return]


def statustype_query(ctx: Ctx, params: dict[str, str | None]) -> Select[Any]:
    return sub_query(ctx, StatusType, params, identificatie="zaaktypeIdentificatie", datum="datumGeldigheid")


# --- roltypen --------------------------------------------------------------------------------------------------


def roltype_state(ctx: Ctx, obj: RolType) -> dict[str, Any]:
    return {
        "zaaktype": url_of(ctx.urls, "zaaktypen", obj.zaaktype),
        "omschrijving": obj.omschrijving,
        "omschrijvingGeneriek": obj.omschrijving_generiek,
        **geldigheid_state(obj),
    }


def write_roltype(ctx: Ctx, obj: RolType | None, data: RolTypeIn) -> RolType:
    zaaktype = target_zaaktype(ctx, data.zaaktype, obj.zaaktype if obj else None)
    ensure_same_catalogus(ctx, zaaktype, data.catalogus)
    obj = obj or RolType()
    apply_geldigheid(obj, data, zaaktype)
    obj.zaaktype = zaaktype
    obj.omschrijving = data.omschrijving
    obj.omschrijving_generiek = data.omschrijving_generiek.value
    return save(ctx, obj)  # type: ignore[no-any-return]


def roltype_query(ctx: Ctx, params: dict[str, str | None]) -> Select[Any]:
    query = sub_query(ctx, RolType, params, identificatie="zaaktypeIdentificatie", datum="datumGeldigheid")
    generiek = params.get("omschrijvingGeneriek")
    if generiek is not None:
        if generiek not in RolOmschrijvingGeneriek.__members__:
            raise validation_problem([InvalidParam("omschrijvingGeneriek", "invalid_choice", "Ongeldige keuze.")])
        query = query.where(RolType.omschrijving_generiek == generiek)
    return query


# --- eigenschappen ---------------------------------------------------------------------------------------------


def eigenschap_state(ctx: Ctx, obj: Eigenschap) -> dict[str, Any]:
    return {
        "naam": obj.naam,
        "definitie": obj.definitie,
        "specificatie": {
            "groep": obj.specificatie_groep,
            "formaat": obj.specificatie_formaat,
            "lengte": obj.specificatie_lengte,
            "kardinaliteit": obj.specificatie_kardinaliteit,
            "waardenverzameling": list(obj.specificatie_waardenverzameling),
        },
        "toelichting": obj.toelichting,
        "zaaktype": url_of(ctx.urls, "zaaktypen", obj.zaaktype),
        "statustype": url_of(ctx.urls, "statustypen", obj.statustype) if obj.statustype else None,
        **geldigheid_state(obj),
    }


def validate_specificatie(data: EigenschapIn) -> None:
    """The lengte fits the formaat (a number of characters, or digits[,decimals] for getal)."""
    spec = data.specificatie
    lengte = spec.lengte
    valid = lengte.isdigit() if spec.formaat.value != "getal" else all(p.isdigit() for p in lengte.split(",", 1))
    if not valid:
        raise validation_problem(
            [InvalidParam("specificatie.lengte", "invalid", "Geef de lengte als aantal tekens (getal: 'n' of 'n,d').")]
        )
    if spec.kardinaliteit != "N" and not spec.kardinaliteit.isdigit():
        raise validation_problem(
            [InvalidParam("specificatie.kardinaliteit", "invalid", "Kardinaliteit is een getal of 'N'.")]
        )


def write_eigenschap(ctx: Ctx, obj: Eigenschap | None, data: EigenschapIn) -> Eigenschap:
    zaaktype = target_zaaktype(ctx, data.zaaktype, obj.zaaktype if obj else None)
    validate_specificatie(data)
    statustype = same_zaaktype(ctx, zaaktype, data.statustype, "statustypen", "statustype") if data.statustype else None
    obj = obj or Eigenschap()
    apply_geldigheid(obj, data, zaaktype)
    obj.zaaktype = zaaktype
    obj.naam = data.naam
    obj.definitie = data.definitie
    obj.toelichting = data.toelichting
    obj.statustype = statustype
    obj.specificatie_groep = data.specificatie.groep
    obj.specificatie_formaat = data.specificatie.formaat.value
    obj.specificatie_lengte = data.specificatie.lengte
    obj.specificatie_kardinaliteit = data.specificatie.kardinaliteit
    obj.specificatie_waardenverzameling = list(data.specificatie.waardenverzameling)
    return save(ctx, obj)  # type: ignore[no-any-return]


def eigenschap_query(ctx: Ctx, params: dict[str, str | None]) -> Select[Any]:
    return sub_query(ctx, Eigenschap, params, identificatie="zaaktypeIdentificatie", datum="datumGeldigheid")


# --- zaakobjecttypen -------------------------------------------------------------------------------------------


def zaakobjecttype_state(ctx: Ctx, obj: ZaakObjectType) -> dict[str, Any]:
    return {
        "anderObjecttype": obj.ander_objecttype,
        **geldigheid_state(obj),
        "beginGeldigheid": iso(obj.datum_begin_geldigheid or obj.zaaktype.datum_begin_geldigheid),
        "objecttype": obj.objecttype,
        "relatieOmschrijving": obj.relatie_omschrijving,
        "zaaktype": url_of(ctx.urls, "zaaktypen", obj.zaaktype),
        "resultaattypen": [url_of(ctx.urls, "resultaattypen", r) for r in obj.resultaattypen],
        "statustypen": [url_of(ctx.urls, "statustypen", s) for s in obj.statustypen],
        "catalogus": url_of(ctx.urls, "catalogussen", obj.zaaktype.catalogus),
    }


def write_zaakobjecttype(ctx: Ctx, obj: ZaakObjectType | None, data: ZaakObjectTypeIn) -> ZaakObjectType:
    zaaktype = target_zaaktype(ctx, data.zaaktype, obj.zaaktype if obj else None)
    ensure_same_catalogus(ctx, zaaktype, data.catalogus)
    resultaattypen: list[ResultaatType] = [
        same_zaaktype(ctx, zaaktype, url, "resultaattypen", f"resultaattypen.{i}")
        for i, url in enumerate(data.resultaattypen)
    ]
    statustypen: list[StatusType] = [
        same_zaaktype(ctx, zaaktype, url, "statustypen", f"statustypen.{i}") for i, url in enumerate(data.statustypen)
    ]
    obj = obj or ZaakObjectType()
    apply_geldigheid(obj, data, zaaktype)
    obj.zaaktype = zaaktype
    obj.ander_objecttype = data.ander_objecttype
    obj.objecttype = data.objecttype
    obj.relatie_omschrijving = data.relatie_omschrijving
    obj.resultaattypen = resultaattypen
    obj.statustypen = statustypen
    return save(ctx, obj)  # type: ignore[no-any-return]


def zaakobjecttype_query(ctx: Ctx, params: dict[str, str | None]) -> Select[Any]:
    model = ZaakObjectType
    query = sub_query(ctx, model, params, identificatie="zaaktypeIdentificatie", datum="datumGeldigheid")
    catalogus_id = url_filter(ctx, "catalogus", params.get("catalogus"), "catalogussen")
    ander = bool_param("anderObjecttype", params.get("anderObjecttype"))
    begin = date_param("datumBeginGeldigheid", params.get("datumBeginGeldigheid"))
    einde = date_param("datumEindeGeldigheid", params.get("datumEindeGeldigheid"))
    return filtered(
        query,
        ZaakType.catalogus_id == catalogus_id if catalogus_id is not None else None,
        model.ander_objecttype.is_(ander) if ander is not None else None,
        func.coalesce(model.datum_begin_geldigheid, ZaakType.datum_begin_geldigheid) == begin if begin else None,
        func.coalesce(model.datum_einde_geldigheid, ZaakType.datum_einde_geldigheid) == einde if einde else None,
        model.objecttype == params["objecttype"] if params.get("objecttype") is not None else None,
        model.relatie_omschrijving == params["relatieOmschrijving"]
        if params.get("relatieOmschrijving") is not None
        else None,
    )


# --- zaaktype-informatieobjecttypen ----------------------------------------------------------------------------


def ziot_state(ctx: Ctx, obj: ZaakTypeInformatieObjectType) -> dict[str, Any]:
    return {
        "zaaktype": url_of(ctx.urls, "zaaktypen", obj.zaaktype),
        "informatieobjecttype": obj.informatieobjecttype_omschrijving,
        "volgnummer": obj.volgnummer,
        "richting": obj.richting,
        "statustype": url_of(ctx.urls, "statustypen", obj.statustype) if obj.statustype else None,
    }


def write_ziot(
    ctx: Ctx, obj: ZaakTypeInformatieObjectType | None, data: ZaakTypeInformatieObjectTypeIn
) -> ZaakTypeInformatieObjectType:
    """ztc-011c: the informatieobjecttype is named by its omschrijving (a URL of one version is accepted and
    stored as its omschrijving), in the zaaktype's catalogus."""
    zaaktype = target_zaaktype(ctx, data.zaaktype, obj.zaaktype if obj else None)
    omschrijving = name_from_reference(
        ctx,
        data.informatieobjecttype,
        "informatieobjecttypen",
        "omschrijving",
        zaaktype.catalogus_id,
        "informatieobjecttype",
    )
    if len(omschrijving) > 100:
        raise validation_problem([InvalidParam("informatieobjecttype", "max_length", "Maximaal 100 tekens.")])
    ensure_unique_volgnummer(ctx, ZaakTypeInformatieObjectType, zaaktype, data.volgnummer, obj.id if obj else None)
    statustype = same_zaaktype(ctx, zaaktype, data.statustype, "statustypen", "statustype") if data.statustype else None
    obj = obj or ZaakTypeInformatieObjectType()
    obj.zaaktype = zaaktype
    obj.informatieobjecttype_omschrijving = omschrijving
    obj.volgnummer = data.volgnummer
    obj.richting = data.richting.value
    obj.statustype = statustype
    return save(ctx, obj)  # type: ignore[no-any-return]


def ziot_query(ctx: Ctx, params: dict[str, str | None]) -> Select[Any]:
    model = ZaakTypeInformatieObjectType
    query = sub_query(ctx, model, params, identificatie="zaaktypeIdentificatie", datum="datumGeldigheid")
    richting = params.get("richting")
    if richting is not None and richting not in ("inkomend", "intern", "uitgaand"):
        raise validation_problem([InvalidParam("richting", "invalid_choice", "Ongeldige keuze.")])
    iot = params.get("informatieobjecttype")
    if iot is not None and iot.startswith(("http://", "https://")):
        iot_id = url_filter(ctx, "informatieobjecttype", iot, "informatieobjecttypen")
        found = ctx.session.get(InformatieObjectType, iot_id) if iot_id not in (None, -1) else None
        query = query.where(
            model.informatieobjecttype_omschrijving == (found.omschrijving if found else None),
            ZaakType.catalogus_id == (found.catalogus_id if found else -1),
        )
    elif iot is not None:
        query = query.where(model.informatieobjecttype_omschrijving == iot)
    return filtered(query, model.richting == richting if richting is not None else None)
