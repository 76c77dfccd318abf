"""Verzendingen: request models (one address per verzending) and the response serializer."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from tenant_runtime.core.urls import TenantUrls
from tenant_runtime.documenten.models import Verzending
from tenant_runtime.documenten.schemas.common import RequestModel, Url
from tenant_runtime.documenten.schemas.enkelvoudiginformatieobjecten import document_url

AardRelatie = Literal["afzender", "geadresseerde"]
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _email(value: str) -> str:
    if value and not _EMAIL.match(value):
        raise PydanticCustomError("invalid", "Voer een geldig e-mailadres in.")
    return value


class BinnenlandsAdresIn(RequestModel):
    huisletter: str = Field("", max_length=1)
    huisnummer: int = Field(ge=1, le=99999)
    huisnummer_toevoeging: str = Field("", max_length=4)
    naam_openbare_ruimte: str = Field(min_length=1, max_length=80)
    postcode: str = Field("", max_length=6)
    woonplaatsnaam: str = Field(min_length=1, max_length=80)


class BuitenlandsAdresIn(RequestModel):
    adres_buitenland1: str = Field(alias="adresBuitenland1", min_length=1, max_length=35)
    adres_buitenland2: str = Field("", alias="adresBuitenland2", max_length=35)
    adres_buitenland3: str = Field("", alias="adresBuitenland3", max_length=35)
    land_postadres: Annotated[Url, Field(min_length=1, max_length=200)]


class PostadresIn(RequestModel):
    post_bus_of_antwoordnummer: int = Field(ge=1, le=9999)
    postadres_postcode: str = Field(min_length=1, max_length=6)
    postadres_type: Literal["antwoordnummer", "postbusnummer"]
    woonplaatsnaam: str = Field(min_length=1, max_length=80)


class VerzendingFields(RequestModel):
    betrokkene: Annotated[Url, Field(min_length=1, max_length=200)]
    informatieobject: Annotated[Url, Field(max_length=1000)]
    aard_relatie: AardRelatie
    toelichting: str = Field("", max_length=200)
    ontvangstdatum: date | None = None
    verzenddatum: date | None = None
    contact_persoon: Annotated[Url, Field(min_length=1, max_length=1000)]
    contactpersoonnaam: str = Field("", max_length=40)
    binnenlands_correspondentieadres: BinnenlandsAdresIn | None = None
    buitenlands_correspondentieadres: BuitenlandsAdresIn | None = None
    correspondentie_postadres: PostadresIn | None = None
    faxnummer: str | None = Field(None, max_length=15)
    emailadres: Annotated[str, Field(max_length=100), AfterValidator(_email)] | None = None
    mijn_overheid: bool = False
    telefoonnummer: str | None = Field(None, max_length=15)


class VerzendingPatch(RequestModel):
    betrokkene: Annotated[Url, Field(min_length=1, max_length=200)] | None = None
    informatieobject: Annotated[Url, Field(max_length=1000)] | None = None
    aard_relatie: AardRelatie | None = None
    toelichting: str | None = Field(None, max_length=200)
    ontvangstdatum: date | None = None
    verzenddatum: date | None = None
    contact_persoon: Annotated[Url, Field(min_length=1, max_length=1000)] | None = None
    contactpersoonnaam: str | None = Field(None, max_length=40)
    binnenlands_correspondentieadres: BinnenlandsAdresIn | None = None
    buitenlands_correspondentieadres: BuitenlandsAdresIn | None = None
    correspondentie_postadres: PostadresIn | None = None
    faxnummer: str | None = Field(None, max_length=15)
    emailadres: Annotated[str, Field(max_length=100), AfterValidator(_email)] | None = None
    mijn_overheid: bool | None = None
    telefoonnummer: str | None = Field(None, max_length=15)


# The address fields: a verzending goes to (or comes from) exactly one of them.
ADDRESS_FIELDS = (
    "binnenlands_correspondentieadres",
    "buitenlands_correspondentieadres",
    "correspondentie_postadres",
    "faxnummer",
    "emailadres",
    "mijn_overheid",
    "telefoonnummer",
)
# Columns a client sets (attribute == column); the nested addresses are stored as JSON.
FIELDS = (
    "betrokkene",
    "aard_relatie",
    "toelichting",
    "ontvangstdatum",
    "verzenddatum",
    "contact_persoon",
    "contactpersoonnaam",
    *ADDRESS_FIELDS,
)
NOT_NULL_FIELDS = (
    "betrokkene",
    "informatieobject",
    "aard_relatie",
    "toelichting",
    "contact_persoon",
    "contactpersoonnaam",
    "mijn_overheid",
)


def verzending_url(urls: TenantUrls, verzending: Verzending) -> str:
    return urls.resource("documenten", "verzendingen", verzending.uuid)


def _address(value: dict[str, Any] | None) -> dict[str, Any] | None:
    return dict(value) if value else None


def serialize_verzending(urls: TenantUrls, verzending: Verzending) -> dict[str, Any]:
    return {
        "url": verzending_url(urls, verzending),
        "betrokkene": verzending.betrokkene,
        "informatieobject": document_url(urls, verzending.informatieobject),
        "aardRelatie": verzending.aard_relatie,
        "toelichting": verzending.toelichting,
        "ontvangstdatum": verzending.ontvangstdatum.isoformat() if verzending.ontvangstdatum else None,
        "verzenddatum": verzending.verzenddatum.isoformat() if verzending.verzenddatum else None,
        "contactPersoon": verzending.contact_persoon,
        "contactpersoonnaam": verzending.contactpersoonnaam,
        "binnenlandsCorrespondentieadres": _address(verzending.binnenlands_correspondentieadres),
        "buitenlandsCorrespondentieadres": _address(verzending.buitenlands_correspondentieadres),
        "correspondentiePostadres": _address(verzending.correspondentie_postadres),
        "faxnummer": verzending.faxnummer,
        "emailadres": verzending.emailadres,
        "mijnOverheid": verzending.mijn_overheid,
        "telefoonnummer": verzending.telefoonnummer,
    }
