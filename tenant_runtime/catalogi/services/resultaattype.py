"""Resultaattypen and their Selectielijst rules (ztc-002 … ztc-008): the resultaattypeomschrijving and the
selectielijstklasse come from the Selectielijst, the klasse belongs to the zaaktype's procestype, archiefnominatie
and archiefactietermijn default to the klasse's waardering and bewaartermijn, and brondatumArchiefprocedure is
parametrised consistently with its afleidingswijze."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select

from tenant_runtime.catalogi.models import InformatieObjectType, ResultaatType, ZaakType
from tenant_runtime.catalogi.schemas import Afleidingswijze, BrondatumArchiefprocedureIn, ResultaatTypeIn
from tenant_runtime.catalogi.services.common import Ctx, name_from_reference, url_of
from tenant_runtime.catalogi.services.subtypes import (
    apply_geldigheid,
    ensure_same_catalogus,
    geldigheid_state,
    save,
    sub_query,
    target_zaaktype,
)
from tenant_runtime.core.problems import InvalidParam, validation_problem
from tenant_runtime.core.resolver import ResolveError


def _rule(
    procestermijn: bool, datumkenmerk: bool, objecttype: bool, registratie: bool, **extra: bool
) -> dict[str, bool]:
    return {
        "procestermijn": procestermijn,
        "datumkenmerk": datumkenmerk,
        "objecttype": objecttype,
        "registratie": registratie,
        **extra,
    }


# afleidingswijze → attribute of brondatumArchiefprocedure → required (True) or must be empty (False) (ztc-004…008)
BRONDATUM_RULES: dict[Afleidingswijze, dict[str, bool]] = {
    Afleidingswijze.afgehandeld: _rule(False, False, False, False, einddatumBekend=False),
    Afleidingswijze.ander_datumkenmerk: _rule(False, True, True, True),
    Afleidingswijze.eigenschap: _rule(False, True, False, False),
    Afleidingswijze.gerelateerde_zaak: _rule(False, False, False, False),
    Afleidingswijze.hoofdzaak: _rule(False, False, False, False),
    Afleidingswijze.ingangsdatum_besluit: _rule(False, False, False, False),
    Afleidingswijze.termijn: _rule(True, False, False, False, einddatumBekend=False),
    Afleidingswijze.vervaldatum_besluit: _rule(False, False, False, False),
    Afleidingswijze.zaakobject: _rule(False, True, True, False),
}
# ztc-003: the afleidingswijze a selectielijstklasse's procestermijn demands
PROCESTERMIJN_AFLEIDINGSWIJZE = {
    "nihil": Afleidingswijze.afgehandeld,
    "ingeschatte_bestaansduur_procesobject": Afleidingswijze.termijn,
}


def validate_brondatum(procedure: BrondatumArchiefprocedureIn) -> None:
    values = {
        "procestermijn": procedure.procestermijn,
        "datumkenmerk": procedure.datumkenmerk,
        "einddatumBekend": procedure.einddatum_bekend,
        "objecttype": procedure.objecttype,
        "registratie": procedure.registratie,
    }
    errors = []
    for attribute, required in BRONDATUM_RULES[procedure.afleidingswijze].items():
        if bool(values[attribute]) == required:
            continue
        if required:
            reason = f"Dit veld is verplicht bij afleidingswijze '{procedure.afleidingswijze.value}'."
            errors.append(InvalidParam(f"brondatumArchiefprocedure.{attribute}", "required", reason))
        else:
            reason = f"Dit veld moet leeg zijn bij afleidingswijze '{procedure.afleidingswijze.value}'."
            errors.append(InvalidParam(f"brondatumArchiefprocedure.{attribute}", "must-be-empty", reason))
    if errors:
        raise validation_problem(errors)


def validate_afleidingswijze(klasse: dict[str, Any], procedure: BrondatumArchiefprocedureIn | None) -> None:
    """ztc-003: afgehandeld for procestermijn nihil, termijn for ingeschatte_bestaansduur_procesobject."""
    if procedure is None:
        return
    expected = PROCESTERMIJN_AFLEIDINGSWIJZE.get(str(klasse.get("procestermijn") or ""))
    if expected is not None and procedure.afleidingswijze != expected:
        raise validation_problem(
            [
                InvalidParam(
                    "brondatumArchiefprocedure.afleidingswijze",
                    "invalid-afleidingswijze-for-procestermijn",
                    f"afleidingswijze moet '{expected.value}' zijn bij procestermijn '{klasse['procestermijn']}'.",
                )
            ]
        )


def resolve_selectielijst(ctx: Ctx, url: str, resource: str, name: str) -> dict[str, Any]:
    try:
        return ctx.selectielijst.resolve(url, resource)
    except ResolveError as exc:
        raise validation_problem([exc.param(name)]) from None


def validate_procestype(ctx: Ctx, zaaktype: ZaakType, klasse: dict[str, Any]) -> None:
    """ztc-002: the selectielijstklasse belongs to the zaaktype's selectielijstProcestype."""
    procestype = zaaktype.selectielijst_procestype
    if not procestype or not ctx.selectielijst.same_procestype(procestype, str(klasse.get("procesType", ""))):
        raise validation_problem(
            [
                InvalidParam(
                    "nonFieldErrors",
                    "procestype-mismatch",
                    "De selectielijstklasse hoort niet bij het selectielijstProcestype van het zaaktype.",
                )
            ]
        )


def state(ctx: Ctx, obj: ResultaatType) -> dict[str, Any]:
    procedure = None
    if obj.brondatum_afleidingswijze:
        procedure = {
            "afleidingswijze": obj.brondatum_afleidingswijze,
            "datumkenmerk": obj.brondatum_datumkenmerk,
            "einddatumBekend": obj.brondatum_einddatum_bekend,
            "objecttype": obj.brondatum_objecttype or None,
            "registratie": obj.brondatum_registratie,
            "procestermijn": obj.brondatum_procestermijn,
        }
    return {
        "zaaktype": url_of(ctx.urls, "zaaktypen", obj.zaaktype),
        "omschrijving": obj.omschrijving,
        "resultaattypeomschrijving": obj.resultaattypeomschrijving,
        "selectielijstklasse": obj.selectielijstklasse,
        "toelichting": obj.toelichting,
        "archiefnominatie": obj.archiefnominatie or None,
        "archiefactietermijn": obj.archiefactietermijn,
        "brondatumArchiefprocedure": procedure,
        "procesobjectaard": obj.procesobjectaard,
        "indicatieSpecifiek": obj.indicatie_specifiek,
        "procestermijn": obj.procestermijn,
        "besluittypen": list(obj.besluittype_omschrijvingen),
        "informatieobjecttypen": _iot_urls(ctx, obj),
        **geldigheid_state(obj),
    }


def _iot_urls(ctx: Ctx, obj: ResultaatType) -> list[str]:
    """Informatieobjecttypen are stored by omschrijving; as input state they are given back as names' versions."""
    urls = []
    for name in obj.informatieobjecttype_omschrijvingen:
        version = ctx.session.scalar(
            select(InformatieObjectType)
            .where(
                InformatieObjectType.catalogus_id == obj.zaaktype.catalogus_id,
                InformatieObjectType.omschrijving == name,
            )
            .order_by(InformatieObjectType.datum_begin_geldigheid.desc())
            .limit(1)
        )
        if version is not None:
            urls.append(url_of(ctx.urls, "informatieobjecttypen", version))
    return urls


def write(ctx: Ctx, obj: ResultaatType | None, data: ResultaatTypeIn) -> ResultaatType:
    zaaktype = target_zaaktype(ctx, data.zaaktype, obj.zaaktype if obj else None)
    ensure_same_catalogus(ctx, zaaktype, data.catalogus)
    duplicate = select(ResultaatType.id).where(
        ResultaatType.zaaktype_id == zaaktype.id, ResultaatType.omschrijving == data.omschrijving
    )
    if obj is not None:
        duplicate = duplicate.where(ResultaatType.id != obj.id)
    if ctx.session.scalar(duplicate.limit(1)) is not None:
        raise validation_problem(
            [InvalidParam("omschrijving", "unique", "Deze omschrijving bestaat al binnen het zaaktype.")]
        )
    generiek = resolve_selectielijst(
        ctx, data.resultaattypeomschrijving, "resultaattypeomschrijvingen", "resultaattypeomschrijving"
    )
    klasse = resolve_selectielijst(ctx, data.selectielijstklasse, "resultaten", "selectielijstklasse")
    validate_procestype(ctx, zaaktype, klasse)
    archiefnominatie = data.archiefnominatie.value if data.archiefnominatie else str(klasse.get("waardering") or "")
    archiefactietermijn = data.archiefactietermijn or klasse.get("bewaartermijn") or None
    procedure = data.brondatum_archiefprocedure
    if procedure is None and archiefnominatie != "blijvend_bewaren":
        raise validation_problem(
            [
                InvalidParam(
                    "brondatumArchiefprocedure",
                    "required",
                    f"Dit veld is verplicht bij archiefnominatie '{archiefnominatie}'.",
                )
            ]
        )
    if procedure is not None:
        validate_brondatum(procedure)
        validate_afleidingswijze(klasse, procedure)
    catalogus_id = zaaktype.catalogus_id
    besluittypen = [
        name_from_reference(ctx, value, "besluittypen", "omschrijving", catalogus_id, f"besluittypen.{i}")
        for i, value in enumerate(data.besluittypen)
    ]
    iots = [
        name_from_reference(
            ctx, value, "informatieobjecttypen", "omschrijving", catalogus_id, f"informatieobjecttypen.{i}"
        )
        for i, value in enumerate(data.informatieobjecttypen)
    ]
    obj = obj or ResultaatType()
    apply_geldigheid(obj, data, zaaktype)
    obj.zaaktype = zaaktype
    obj.omschrijving = data.omschrijving
    obj.resultaattypeomschrijving = data.resultaattypeomschrijving
    obj.omschrijving_generiek = str(generiek.get("omschrijving", ""))[:80]
    obj.selectielijstklasse = data.selectielijstklasse
    obj.toelichting = data.toelichting
    obj.archiefnominatie = archiefnominatie
    obj.archiefactietermijn = archiefactietermijn
    obj.brondatum_afleidingswijze = procedure.afleidingswijze.value if procedure else ""
    obj.brondatum_datumkenmerk = procedure.datumkenmerk if procedure else ""
    obj.brondatum_einddatum_bekend = procedure.einddatum_bekend if procedure else False
    obj.brondatum_objecttype = procedure.objecttype.value if procedure and procedure.objecttype else ""
    obj.brondatum_registratie = procedure.registratie if procedure else ""
    obj.brondatum_procestermijn = procedure.procestermijn if procedure else None
    obj.procesobjectaard = data.procesobjectaard
    obj.indicatie_specifiek = data.indicatie_specifiek
    obj.procestermijn = data.procestermijn
    obj.besluittype_omschrijvingen = list(dict.fromkeys(besluittypen))
    obj.informatieobjecttype_omschrijvingen = list(dict.fromkeys(iots))
    return save(ctx, obj)  # type: ignore[no-any-return]


def list_query(ctx: Ctx, params: dict[str, str | None]) -> Select[Any]:
    return sub_query(ctx, ResultaatType, params, identificatie="zaaktype_identificatie", datum="datum_geldigheid")
