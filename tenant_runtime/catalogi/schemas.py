"""Request bodies of the Catalogi API: pydantic models with the spec's camelCase names and limits.

PUT and POST validate the whole body; PATCH merges the body into the object's current writable state
(``services.*.writable_state``) and validates the result with the same model, so every rule applies to partial
updates as well.
"""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from tenant_runtime.core.handlers import invalid_params_from
from tenant_runtime.core.nul import CODE as NUL_CODE
from tenant_runtime.core.nul import REASON as NUL_REASON
from tenant_runtime.core.nul import has_nul
from tenant_runtime.core.problems import InvalidParam, validation_problem
from tenant_runtime.core.vertrouwelijkheid import Vertrouwelijkheid

_DURATION = re.compile(
    r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(?:[.,]\d+)?S)?)?$",
)
M = TypeVar("M", bound="BaseModel")
_RSIN = re.compile(r"^\d{9}$")


def _duration(value: str | None) -> str | None:
    if value is not None and not _DURATION.match(value):
        raise ValueError("Voer een geldige ISO 8601 duur in, bijvoorbeeld P30D.")
    return value


def _url(value: str) -> str:
    if not re.match(r"^https?://[^\s/]+", value):
        raise ValueError("Voer een geldige URL in.")
    return value


def _rsin(value: str) -> str:
    if not _RSIN.match(value):
        raise ValueError("Een RSIN bestaat uit 9 cijfers.")
    digits = [int(c) for c in value]
    total = sum(d * w for d, w in zip(digits[:8], range(9, 1, -1), strict=True)) - digits[8]
    if total % 11:
        raise ValueError("Onjuist RSIN nummer: de elfproef klopt niet.")
    return value


Duration = Annotated[str, Field(max_length=50), AfterValidator(_duration)]
Url = Annotated[str, Field(min_length=1, max_length=1000), AfterValidator(_url)]
Url200 = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_url)]


class IndicatieInternOfExtern(StrEnum):
    intern = "intern"
    extern = "extern"


class AardRelatie(StrEnum):
    vervolg = "vervolg"
    bijdrage = "bijdrage"
    onderwerp = "onderwerp"


class RolOmschrijvingGeneriek(StrEnum):
    adviseur = "adviseur"
    behandelaar = "behandelaar"
    belanghebbende = "belanghebbende"
    beslisser = "beslisser"
    initiator = "initiator"
    klantcontacter = "klantcontacter"
    zaakcoordinator = "zaakcoordinator"
    mede_initiator = "mede_initiator"


class Archiefnominatie(StrEnum):
    blijvend_bewaren = "blijvend_bewaren"
    vernietigen = "vernietigen"


class Afleidingswijze(StrEnum):
    afgehandeld = "afgehandeld"
    ander_datumkenmerk = "ander_datumkenmerk"
    eigenschap = "eigenschap"
    gerelateerde_zaak = "gerelateerde_zaak"
    hoofdzaak = "hoofdzaak"
    ingangsdatum_besluit = "ingangsdatum_besluit"
    termijn = "termijn"
    vervaldatum_besluit = "vervaldatum_besluit"
    zaakobject = "zaakobject"


class ObjectType(StrEnum):
    adres = "adres"
    besluit = "besluit"
    buurt = "buurt"
    enkelvoudig_document = "enkelvoudig_document"
    gemeente = "gemeente"
    gemeentelijke_openbare_ruimte = "gemeentelijke_openbare_ruimte"
    huishouden = "huishouden"
    inrichtingselement = "inrichtingselement"
    kadastrale_onroerende_zaak = "kadastrale_onroerende_zaak"
    kunstwerkdeel = "kunstwerkdeel"
    maatschappelijke_activiteit = "maatschappelijke_activiteit"
    medewerker = "medewerker"
    natuurlijk_persoon = "natuurlijk_persoon"
    niet_natuurlijk_persoon = "niet_natuurlijk_persoon"
    openbare_ruimte = "openbare_ruimte"
    organisatorische_eenheid = "organisatorische_eenheid"
    pand = "pand"
    spoorbaandeel = "spoorbaandeel"
    status = "status"
    terreindeel = "terreindeel"
    terrein_gebouwd_object = "terrein_gebouwd_object"
    vestiging = "vestiging"
    waterdeel = "waterdeel"
    wegdeel = "wegdeel"
    wijk = "wijk"
    woonplaats = "woonplaats"
    woz_deelobject = "woz_deelobject"
    woz_object = "woz_object"
    woz_waarde = "woz_waarde"
    zakelijk_recht = "zakelijk_recht"
    overige = "overige"


class Formaat(StrEnum):
    tekst = "tekst"
    getal = "getal"
    datum = "datum"
    datum_tijd = "datum_tijd"


class Richting(StrEnum):
    inkomend = "inkomend"
    intern = "intern"
    uitgaand = "uitgaand"


class _Model(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


class _Geldigheid(_Model):
    begin_geldigheid: date | None = None
    einde_geldigheid: date | None = None
    begin_object: date | None = None
    einde_object: date | None = None


# --- catalogus -------------------------------------------------------------------------------------------------


class CatalogusIn(_Model):
    domein: str = Field(min_length=1, max_length=5)
    rsin: Annotated[str, AfterValidator(_rsin)]
    contactpersoon_beheer_naam: str = Field(min_length=1, max_length=40)
    contactpersoon_beheer_telefoonnummer: str = Field("", max_length=20)
    contactpersoon_beheer_emailadres: str = Field("", max_length=254, pattern=r"^$|^[^@\s]+@[^@\s]+\.[^@\s]+$")
    naam: str | None = Field(None, max_length=200)
    versie: str | None = Field(None, max_length=20)
    begindatum_versie: date | None = None


# --- zaaktype --------------------------------------------------------------------------------------------------


class ReferentieProcesIn(_Model):
    naam: str = Field(min_length=1, max_length=80)
    link: Annotated[str, Field(max_length=200)] = ""


class BronCatalogusIn(_Model):
    url: Url200
    domein: str = Field(min_length=1, max_length=5)
    rsin: str = Field(min_length=1, max_length=9)


class BronZaaktypeIn(_Model):
    url: Url200
    identificatie: str = Field(min_length=1, max_length=50)
    omschrijving: str = Field(min_length=1, max_length=80)


class ZaakTypenRelatieIn(_Model):
    zaaktype: str = Field(min_length=1, max_length=200)
    aard_relatie: AardRelatie
    toelichting: str = Field("", max_length=255)


class ZaakTypeIn(_Geldigheid):
    identificatie: str = Field(min_length=1, max_length=50)
    omschrijving: str = Field(min_length=1, max_length=80)
    omschrijving_generiek: str = Field("", max_length=80)
    vertrouwelijkheidaanduiding: Vertrouwelijkheid
    doel: str = Field(min_length=1)
    aanleiding: str = Field(min_length=1)
    toelichting: str = ""
    indicatie_intern_of_extern: IndicatieInternOfExtern
    handeling_initiator: str = Field(min_length=1, max_length=20)
    onderwerp: str = Field(min_length=1, max_length=80)
    handeling_behandelaar: str = Field(min_length=1, max_length=20)
    doorlooptijd: Duration
    servicenorm: Duration | None = None
    opschorting_en_aanhouding_mogelijk: bool
    verlenging_mogelijk: bool
    verlengingstermijn: Duration | None = None
    trefwoorden: list[Annotated[str, Field(max_length=30)]] = Field(default_factory=list)
    publicatie_indicatie: bool
    publicatietekst: str = ""
    verantwoordingsrelatie: list[Annotated[str, Field(max_length=40)]] = Field(default_factory=list)
    producten_of_diensten: list[Url]
    selectielijst_procestype: Annotated[str, Field(max_length=200)] = ""
    referentieproces: ReferentieProcesIn
    verantwoordelijke: str = Field(min_length=1, max_length=50)
    broncatalogus: BronCatalogusIn | None = None
    bronzaaktype: BronZaaktypeIn | None = None
    catalogus: Url
    besluittypen: list[Annotated[str, Field(min_length=1, max_length=1000)]]
    deelzaaktypen: list[Annotated[str, Field(min_length=1, max_length=1000)]] = Field(default_factory=list)
    gerelateerde_zaaktypen: list[ZaakTypenRelatieIn]
    begin_geldigheid: date
    versiedatum: date


# --- sub-types of a zaaktype -----------------------------------------------------------------------------------


class CheckListItemIn(_Model):
    itemnaam: str = Field(min_length=1, max_length=30)
    toelichting: str | None = Field(None, max_length=1000)
    vraagstelling: str = Field(min_length=1, max_length=255)
    verplicht: bool = False


class StatusTypeIn(_Geldigheid):
    omschrijving: str = Field(min_length=1, max_length=80)
    omschrijving_generiek: str = Field("", max_length=80)
    statustekst: str = Field("", max_length=1000)
    zaaktype: Url
    volgnummer: int = Field(ge=1, le=9999)
    informeren: bool = False
    doorlooptijd: Duration | None = None
    toelichting: str | None = Field(None, max_length=1000)
    checklistitem_statustype: list[CheckListItemIn] = Field(default_factory=list)
    eigenschappen: list[Url] = Field(default_factory=list)


class RolTypeIn(_Geldigheid):
    zaaktype: Url
    omschrijving: str = Field(min_length=1, max_length=100)
    omschrijving_generiek: RolOmschrijvingGeneriek
    catalogus: Url | None = None


class BrondatumArchiefprocedureIn(_Model):
    afleidingswijze: Afleidingswijze
    datumkenmerk: str = Field("", max_length=80)
    einddatum_bekend: bool = False
    objecttype: ObjectType | None = None
    registratie: str = Field("", max_length=80)
    procestermijn: Duration | None = None


class ResultaatTypeIn(_Geldigheid):
    zaaktype: Url
    omschrijving: str = Field(min_length=1, max_length=30)
    resultaattypeomschrijving: Url
    selectielijstklasse: Url
    toelichting: str = ""
    archiefnominatie: Archiefnominatie | None = None
    archiefactietermijn: Duration | None = None
    brondatum_archiefprocedure: BrondatumArchiefprocedureIn | None = None
    procesobjectaard: str | None = Field(None, max_length=200)
    catalogus: Url | None = None
    indicatie_specifiek: bool | None = None
    procestermijn: Duration | None = None
    besluittypen: list[Annotated[str, Field(min_length=1, max_length=1000)]]
    informatieobjecttypen: list[Url] = Field(default_factory=list)


class EigenschapSpecificatieIn(_Model):
    groep: str = Field("", max_length=32)
    formaat: Formaat
    lengte: str = Field(min_length=1, max_length=14)
    kardinaliteit: str = Field(min_length=1, max_length=3)
    waardenverzameling: list[Annotated[str, Field(max_length=100)]] = Field(default_factory=list)


class EigenschapIn(_Geldigheid):
    naam: str = Field(min_length=1, max_length=20)
    definitie: str = Field(min_length=1, max_length=255)
    specificatie: EigenschapSpecificatieIn
    toelichting: str = Field("", max_length=1000)
    zaaktype: Url
    statustype: Url | None = None


class ZaakObjectTypeIn(_Geldigheid):
    ander_objecttype: bool
    begin_geldigheid: date
    objecttype: Url200
    relatie_omschrijving: str = Field(min_length=1, max_length=80)
    zaaktype: Url
    resultaattypen: list[Url] = Field(default_factory=list)
    statustypen: list[Url] = Field(default_factory=list)
    catalogus: Url


class ZaakTypeInformatieObjectTypeIn(_Model):
    zaaktype: Url
    informatieobjecttype: str = Field(min_length=1, max_length=1000)
    volgnummer: int = Field(ge=1, le=999)
    richting: Richting
    statustype: Url | None = None


# --- informatieobjecttype, besluittype -------------------------------------------------------------------------


class OmschrijvingGeneriekIn(_Model):
    informatieobjecttype_omschrijving_generiek: str = Field(min_length=1, max_length=80)
    definitie_informatieobjecttype_omschrijving_generiek: str = Field(min_length=1, max_length=255)
    herkomst_informatieobjecttype_omschrijving_generiek: str = Field(min_length=1, max_length=12)
    hierarchie_informatieobjecttype_omschrijving_generiek: str = Field(min_length=1, max_length=80)
    opmerking_informatieobjecttype_omschrijving_generiek: str = Field("", max_length=255)


class InformatieObjectTypeIn(_Geldigheid):
    catalogus: Url
    omschrijving: str = Field(min_length=1, max_length=80)
    vertrouwelijkheidaanduiding: Vertrouwelijkheid
    begin_geldigheid: date
    informatieobjectcategorie: str = Field(min_length=1, max_length=80)
    trefwoord: list[Annotated[str, Field(max_length=30)]] = Field(default_factory=list)
    omschrijving_generiek: OmschrijvingGeneriekIn | None = None


class BesluitTypeIn(_Geldigheid):
    catalogus: Url
    omschrijving: str = Field("", max_length=80)
    omschrijving_generiek: str = Field("", max_length=80)
    besluitcategorie: str = Field("", max_length=40)
    reactietermijn: Duration | None = None
    publicatie_indicatie: bool
    publicatietekst: str = ""
    publicatietermijn: Duration | None = None
    toelichting: str = ""
    informatieobjecttypen: list[Annotated[str, Field(min_length=1, max_length=1000)]]
    begin_geldigheid: date


def parse(model: type[M], data: Any) -> M:
    """Validate a request body, turning pydantic errors into a ZGW 400 with ``invalidParams``."""
    if not isinstance(data, dict):
        raise validation_problem([InvalidParam("nonFieldErrors", "invalid", "Verwacht een JSON object.")])
    if has_nul(data):
        raise validation_problem([InvalidParam("nonFieldErrors", NUL_CODE, NUL_REASON)])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_problem(invalid_params_from(list(exc.errors()))) from None


def check_query(params: dict[str, str | None]) -> None:
    """Query parameters are compared with stored text: refuse NUL characters up front."""
    for name, value in params.items():
        if value is not None and "\x00" in value:
            raise validation_problem([InvalidParam(name, NUL_CODE, NUL_REASON)])
