"""Response bodies of the Catalogi API (camelCase exactly as the 1.3.1 document).

Version-independent references (besluittypen and deelzaaktypen of a zaaktype, the informatieobjecttypen of a
besluittype or resultaattype, …) are shown as the URLs of the versions valid on ``moment`` (the request's
``datumGeldigheid``, default today), as the standard's historiemodel describes.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session

from tenant_runtime.catalogi.models import (
    BesluitType,
    Catalogus,
    Eigenschap,
    InformatieObjectType,
    ResultaatType,
    RolType,
    StatusType,
    ZaakObjectType,
    ZaakType,
    ZaakTypeInformatieObjectType,
    ZaakTypeSub,
)
from tenant_runtime.catalogi.services.common import geldig_op, iso, url_of, versions_on
from tenant_runtime.core.urls import TenantUrls


class Out:
    """Serialization context: URLs, the session (for name → version lookups) and the moment of validity."""

    def __init__(self, session: Session, urls: TenantUrls, moment: date | None = None) -> None:
        self.session = session
        self.urls = urls
        self.moment = moment or date.today()

    def url(self, resource: str, obj: Any) -> str:
        return url_of(self.urls, resource, obj)

    def urls_of(self, resource: str, objs: list[Any]) -> list[str]:
        return [self.url(resource, obj) for obj in objs]


def _geldigheid(obj: Any) -> dict[str, Any]:
    return {
        "beginGeldigheid": iso(obj.datum_begin_geldigheid),
        "eindeGeldigheid": iso(obj.datum_einde_geldigheid),
        "beginObject": iso(obj.begin_object),
        "eindeObject": iso(obj.einde_object),
    }


def _sub_geldigheid(obj: ZaakTypeSub) -> dict[str, Any]:
    """A sub-type's own geldigheid, or the values it derives from its zaaktype."""
    zaaktype: ZaakType = obj.zaaktype  # type: ignore[attr-defined]
    own: Any = obj
    return {
        "beginGeldigheid": iso(own.datum_begin_geldigheid or zaaktype.datum_begin_geldigheid),
        "eindeGeldigheid": iso(own.datum_einde_geldigheid or zaaktype.datum_einde_geldigheid),
        "beginObject": iso(own.begin_object or zaaktype.begin_object),
        "eindeObject": iso(own.einde_object or zaaktype.einde_object),
    }


def _zaaktype_refs(out: Out, obj: ZaakTypeSub) -> dict[str, Any]:
    zaaktype: ZaakType = obj.zaaktype  # type: ignore[attr-defined]
    return {
        "zaaktype": out.url("zaaktypen", zaaktype),
        "zaaktypeIdentificatie": zaaktype.identificatie,
        "catalogus": out.url("catalogussen", zaaktype.catalogus),
    }


def catalogus(out: Out, obj: Catalogus) -> dict[str, Any]:
    body = {
        "url": out.url("catalogussen", obj),
        "domein": obj.domein,
        "rsin": obj.rsin,
        "contactpersoonBeheerNaam": obj.contactpersoon_beheer_naam,
        "contactpersoonBeheerTelefoonnummer": obj.contactpersoon_beheer_telefoonnummer,
        "contactpersoonBeheerEmailadres": obj.contactpersoon_beheer_emailadres,
        "zaaktypen": out.urls_of("zaaktypen", list(obj.zaaktypen)),
        "besluittypen": out.urls_of("besluittypen", list(obj.besluittypen)),
        "informatieobjecttypen": out.urls_of("informatieobjecttypen", list(obj.informatieobjecttypen)),
        "naam": obj.naam,
        "versie": obj.versie,
        "begindatumVersie": iso(obj.begindatum_versie),
    }
    if not obj.contactpersoon_beheer_emailadres:
        del body["contactpersoonBeheerEmailadres"]  # optional, and an empty string is no e-mail address
    return body


def zaaktype(out: Out, obj: ZaakType) -> dict[str, Any]:
    besluittypen = versions_on(
        out.session, BesluitType, "omschrijving", obj.catalogus_id, obj.besluittype_omschrijvingen, out.moment
    )
    deelzaaktypen = versions_on(
        out.session, ZaakType, "identificatie", obj.catalogus_id, obj.deelzaaktype_identificaties, out.moment
    )
    gerelateerd = []
    for relatie in obj.gerelateerde_zaaktypen:
        found = versions_on(out.session, ZaakType, "identificatie", obj.catalogus_id, [relatie["zaaktype"]], out.moment)
        if found:
            gerelateerd.append(
                {
                    "zaaktype": out.url("zaaktypen", found[0]),
                    "aardRelatie": relatie["aardRelatie"],
                    "toelichting": relatie.get("toelichting", ""),
                }
            )
    body: dict[str, Any] = {
        "url": out.url("zaaktypen", obj),
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
        "zaakobjecttypen": out.urls_of("zaakobjecttypen", list(obj.zaakobjecttypen)),
        "catalogus": out.url("catalogussen", obj.catalogus),
        "statustypen": out.urls_of("statustypen", list(obj.statustypen)),
        "resultaattypen": out.urls_of("resultaattypen", list(obj.resultaattypen)),
        "eigenschappen": out.urls_of("eigenschappen", list(obj.eigenschappen)),
        # The 1.3.1 document types this read-only field as one string: the list of this zaaktype's
        # zaaktype-informatieobjecttypen (which name the informatieobjecttypen).
        "informatieobjecttypen": _ziot_list_url(out, {"zaaktype": out.url("zaaktypen", obj), "status": "alles"}),
        "roltypen": out.urls_of("roltypen", list(obj.roltypen)),
        "besluittypen": out.urls_of("besluittypen", besluittypen),
        "deelzaaktypen": out.urls_of("zaaktypen", deelzaaktypen),
        "gerelateerdeZaaktypen": gerelateerd,
        **_geldigheid(obj),
        "versiedatum": iso(obj.versiedatum),
        "concept": obj.concept,
    }
    if obj.broncatalogus_url:
        body["broncatalogus"] = {
            "url": obj.broncatalogus_url,
            "domein": obj.broncatalogus_domein,
            "rsin": obj.broncatalogus_rsin,
        }
    if obj.bronzaaktype_url:
        body["bronzaaktype"] = {
            "url": obj.bronzaaktype_url,
            "identificatie": obj.bronzaaktype_identificatie,
            "omschrijving": obj.bronzaaktype_omschrijving,
        }
    return body


def _ziot_list_url(out: Out, params: dict[str, str]) -> str:
    return f"{out.urls.api_root('catalogi')}/zaaktype-informatieobjecttypen?{urlencode(params)}"


def statustype(out: Out, obj: StatusType) -> dict[str, Any]:
    siblings = obj.zaaktype.statustypen
    is_eind = bool(siblings) and obj.volgnummer == max(s.volgnummer for s in siblings)
    return {
        "url": out.url("statustypen", obj),
        "omschrijving": obj.omschrijving,
        "omschrijvingGeneriek": obj.omschrijving_generiek,
        "statustekst": obj.statustekst,
        **_zaaktype_refs(out, obj),
        "volgnummer": obj.volgnummer,
        "isEindstatus": is_eind,
        "informeren": obj.informeren,
        "doorlooptijd": obj.doorlooptijd,
        "toelichting": obj.toelichting,
        "checklistitemStatustype": [dict(item) for item in obj.checklistitems],
        "eigenschappen": out.urls_of("eigenschappen", list(obj.eigenschappen)),
        **_sub_geldigheid(obj),
        # Required and not nullable in the document: empty when no zaakobjecttype is set.
        "zaakobjecttype": out.url("zaakobjecttypen", obj.zaakobjecttype) if obj.zaakobjecttype else "",
    }


def roltype(out: Out, obj: RolType) -> dict[str, Any]:
    return {
        "url": out.url("roltypen", obj),
        **_zaaktype_refs(out, obj),
        "omschrijving": obj.omschrijving,
        "omschrijvingGeneriek": obj.omschrijving_generiek,
        **_sub_geldigheid(obj),
    }


def resultaattype(out: Out, obj: ResultaatType) -> dict[str, Any]:
    catalogus_id = obj.zaaktype.catalogus_id
    besluittypen = versions_on(
        out.session, BesluitType, "omschrijving", catalogus_id, obj.besluittype_omschrijvingen, out.moment
    )
    iots = versions_on(
        out.session,
        InformatieObjectType,
        "omschrijving",
        catalogus_id,
        obj.informatieobjecttype_omschrijvingen,
        out.moment,
    )
    brondatum = None
    if obj.brondatum_afleidingswijze:
        brondatum = {
            "afleidingswijze": obj.brondatum_afleidingswijze,
            "datumkenmerk": obj.brondatum_datumkenmerk,
            "einddatumBekend": obj.brondatum_einddatum_bekend,
            "objecttype": obj.brondatum_objecttype,
            "registratie": obj.brondatum_registratie,
            "procestermijn": obj.brondatum_procestermijn,
        }
    return {
        "url": out.url("resultaattypen", obj),
        **_zaaktype_refs(out, obj),
        "omschrijving": obj.omschrijving,
        "resultaattypeomschrijving": obj.resultaattypeomschrijving,
        "omschrijvingGeneriek": obj.omschrijving_generiek,
        "selectielijstklasse": obj.selectielijstklasse,
        "toelichting": obj.toelichting,
        "archiefnominatie": obj.archiefnominatie,
        "archiefactietermijn": obj.archiefactietermijn,
        "brondatumArchiefprocedure": brondatum,
        "procesobjectaard": obj.procesobjectaard,
        **_sub_geldigheid(obj),
        "indicatieSpecifiek": obj.indicatie_specifiek,
        "procestermijn": obj.procestermijn,
        "besluittypen": out.urls_of("besluittypen", besluittypen),
        "besluittypeOmschrijving": list(obj.besluittype_omschrijvingen),
        "informatieobjecttypen": out.urls_of("informatieobjecttypen", iots),
        "informatieobjecttypeOmschrijving": list(obj.informatieobjecttype_omschrijvingen),
        "zaakobjecttypen": [out.url("zaakobjecttypen", obj.zaakobjecttype)] if obj.zaakobjecttype else [],
    }


def eigenschap(out: Out, obj: Eigenschap) -> dict[str, Any]:
    return {
        "url": out.url("eigenschappen", obj),
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
        **_zaaktype_refs(out, obj),
        "statustype": out.url("statustypen", obj.statustype) if obj.statustype else None,
        **_sub_geldigheid(obj),
    }


def zaakobjecttype(out: Out, obj: ZaakObjectType) -> dict[str, Any]:
    return {
        "url": out.url("zaakobjecttypen", obj),
        "anderObjecttype": obj.ander_objecttype,
        **_sub_geldigheid(obj),
        "objecttype": obj.objecttype,
        "relatieOmschrijving": obj.relatie_omschrijving,
        **_zaaktype_refs(out, obj),
        "resultaattypen": out.urls_of("resultaattypen", list(obj.resultaattypen)),
        "statustypen": out.urls_of("statustypen", list(obj.statustypen)),
    }


def zaaktype_informatieobjecttype(out: Out, obj: ZaakTypeInformatieObjectType) -> dict[str, Any]:
    return {
        "url": out.url("zaaktype-informatieobjecttypen", obj),
        **_zaaktype_refs(out, obj),
        "informatieobjecttype": obj.informatieobjecttype_omschrijving,
        "volgnummer": obj.volgnummer,
        "richting": obj.richting,
        "statustype": out.url("statustypen", obj.statustype) if obj.statustype else None,
    }


def informatieobjecttype(out: Out, obj: InformatieObjectType) -> dict[str, Any]:
    besluittypen = [
        bt
        for bt in out.session.scalars(
            select(BesluitType)
            .where(BesluitType.catalogus_id == obj.catalogus_id, geldig_op(BesluitType, out.moment))
            .order_by(BesluitType.id)
        )
        if obj.omschrijving in bt.informatieobjecttype_omschrijvingen
    ]
    body: dict[str, Any] = {
        "url": out.url("informatieobjecttypen", obj),
        "catalogus": out.url("catalogussen", obj.catalogus),
        "omschrijving": obj.omschrijving,
        "vertrouwelijkheidaanduiding": obj.vertrouwelijkheidaanduiding,
        **_geldigheid(obj),
        "concept": obj.concept,
        # The 1.3.1 document types this read-only field as one string: the list of zaaktype-
        # informatieobjecttypen naming this informatieobjecttype.
        "zaaktypen": _ziot_list_url(out, {"informatieobjecttype": obj.omschrijving, "status": "alles"}),
        "besluittypen": out.urls_of("besluittypen", besluittypen),
        "informatieobjectcategorie": obj.informatieobjectcategorie,
        "trefwoord": list(obj.trefwoord),
    }
    if obj.omschrijving_generiek_informatieobjecttype:
        body["omschrijvingGeneriek"] = {
            "informatieobjecttypeOmschrijvingGeneriek": obj.omschrijving_generiek_informatieobjecttype,
            "definitieInformatieobjecttypeOmschrijvingGeneriek": obj.omschrijving_generiek_definitie,
            "herkomstInformatieobjecttypeOmschrijvingGeneriek": obj.omschrijving_generiek_herkomst,
            "hierarchieInformatieobjecttypeOmschrijvingGeneriek": obj.omschrijving_generiek_hierarchie,
            "opmerkingInformatieobjecttypeOmschrijvingGeneriek": obj.omschrijving_generiek_opmerking,
        }
    return body


def besluittype(out: Out, obj: BesluitType) -> dict[str, Any]:
    zaaktypen = [
        zt
        for zt in out.session.scalars(
            select(ZaakType)
            .where(ZaakType.catalogus_id == obj.catalogus_id, geldig_op(ZaakType, out.moment))
            .order_by(ZaakType.id)
        )
        if obj.omschrijving in zt.besluittype_omschrijvingen
    ]
    resultaattypen = [
        rt
        for rt in out.session.scalars(
            select(ResultaatType)
            .join(ZaakType, ResultaatType.zaaktype_id == ZaakType.id)
            .where(ZaakType.catalogus_id == obj.catalogus_id, geldig_op(ZaakType, out.moment))
            .order_by(ResultaatType.id)
        )
        if obj.omschrijving in rt.besluittype_omschrijvingen
    ]
    iots = versions_on(
        out.session,
        InformatieObjectType,
        "omschrijving",
        obj.catalogus_id,
        obj.informatieobjecttype_omschrijvingen,
        out.moment,
    )
    return {
        "url": out.url("besluittypen", obj),
        "catalogus": out.url("catalogussen", obj.catalogus),
        "zaaktypen": out.urls_of("zaaktypen", zaaktypen),
        "omschrijving": obj.omschrijving,
        "omschrijvingGeneriek": obj.omschrijving_generiek,
        "besluitcategorie": obj.besluitcategorie,
        "reactietermijn": obj.reactietermijn,
        "publicatieIndicatie": obj.publicatie_indicatie,
        "publicatietekst": obj.publicatietekst,
        "publicatietermijn": obj.publicatietermijn,
        "toelichting": obj.toelichting,
        "informatieobjecttypen": out.urls_of("informatieobjecttypen", iots),
        **_geldigheid(obj),
        "concept": obj.concept,
        "resultaattypen": out.urls_of("resultaattypen", resultaattypen),
        "resultaattypenOmschrijving": [rt.omschrijving for rt in resultaattypen],
        "vastgelegdIn": list(obj.informatieobjecttype_omschrijvingen),
    }
