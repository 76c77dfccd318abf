"""Request models and response serializers of the Besluiten API 1.1 (camelCase exactly as the spec).

Request models have every field optional so one model serves POST, PUT and PATCH; the service demands the
required ones for POST and PUT and uses ``model_fields_set`` to tell "not sent" from "sent". Fields the spec does
not allow to be ``null`` default to a value that is never sent, so an explicit ``null`` is still a ``null`` error.
"""

from __future__ import annotations

import enum
import re
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from tenant_runtime.besluiten.models import Besluit, BesluitInformatieObject
from tenant_runtime.core.urls import TenantUrls


def _absolute_url(value: str) -> str:
    try:
        parts = urlsplit(value)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in value):
        raise PydanticCustomError("url_parsing", "Voer een geldige URL in.")
    return value


def _rsin(value: str) -> str:
    """An RSIN: 9 digits passing the elfproef."""
    if not re.fullmatch(r"\d{9}", value):
        raise PydanticCustomError("invalid", "Een RSIN bestaat uit precies 9 cijfers.")
    total = sum(int(d) * w for d, w in zip(value[:8], range(9, 1, -1), strict=True)) - int(value[8])
    if total % 11 != 0:
        raise PydanticCustomError("invalid", "Onjuist RSIN (elfproef).")
    return value


def is_absolute_url(value: str) -> bool:
    try:
        _absolute_url(value)
    except PydanticCustomError:
        return False
    return True


Url200 = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_absolute_url)]
Url1000 = Annotated[str, Field(min_length=1, max_length=1000), AfterValidator(_absolute_url)]
OptionalUrl200 = Annotated[str, Field(max_length=200), AfterValidator(lambda v: v and _absolute_url(v))]
Rsin = Annotated[str, Field(max_length=9), AfterValidator(_rsin)]


class VervalReden(enum.StrEnum):
    tijdelijk = "tijdelijk"
    ingetrokken_overheid = "ingetrokken_overheid"
    ingetrokken_belanghebbende = "ingetrokken_belanghebbende"


VERVALREDEN_WEERGAVE: dict[str, str] = {
    VervalReden.tijdelijk: "Besluit met tijdelijke werking",
    VervalReden.ingetrokken_overheid: "Besluit ingetrokken door overheid",
    VervalReden.ingetrokken_belanghebbende: "Besluit ingetrokken o.v.v. belanghebbende",
}


class _Model(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


class BesluitIn(_Model):
    identificatie: str = Field("", max_length=50)
    verantwoordelijke_organisatie: Rsin = ""
    besluittype: Url200 = ""
    zaak: OptionalUrl200 = ""
    datum: date | None = None
    toelichting: str = ""
    bestuursorgaan: str = Field("", max_length=50)
    ingangsdatum: date | None = None
    vervaldatum: date | None = None
    vervalreden: VervalReden | None = None
    publicatiedatum: date | None = None
    verzenddatum: date | None = None
    uiterlijke_reactiedatum: date | None = None


# Required on create and full update (the spec's ``required``); ``datum`` and ``ingangsdatum`` are not nullable.
BESLUIT_REQUIRED = ("verantwoordelijke_organisatie", "besluittype", "datum", "ingangsdatum")
BESLUIT_NOT_NULLABLE = ("datum", "ingangsdatum", "vervalreden")


class BesluitInformatieObjectIn(_Model):
    informatieobject: Url1000
    besluit: Annotated[str, AfterValidator(_absolute_url)]


# --- serializers -----------------------------------------------------------------------------------------------


def besluit_url(urls: TenantUrls, besluit: Besluit) -> str:
    return urls.resource("besluiten", "besluiten", besluit.uuid)


def besluittype_url(urls: TenantUrls, besluit: Besluit) -> str:
    if besluit.besluittype is not None:
        return urls.resource("catalogi", "besluittypen", besluit.besluittype.uuid)
    return besluit.besluittype_url


def zaak_url(urls: TenantUrls, besluit: Besluit) -> str:
    if besluit.zaak is not None:
        return urls.resource("zaken", "zaken", besluit.zaak.uuid)
    return besluit.zaak_url


def bio_url(urls: TenantUrls, bio: BesluitInformatieObject) -> str:
    return urls.resource("besluiten", "besluitinformatieobjecten", bio.uuid)


def informatieobject_url(urls: TenantUrls, bio: BesluitInformatieObject) -> str:
    if bio.informatieobject is not None:
        return urls.resource("documenten", "enkelvoudiginformatieobjecten", bio.informatieobject.uuid)
    return bio.informatieobject_url


def _date(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def serialize_besluit(urls: TenantUrls, besluit: Besluit) -> dict[str, Any]:
    data: dict[str, Any] = {
        "url": besluit_url(urls, besluit),
        "identificatie": besluit.identificatie,
        "verantwoordelijkeOrganisatie": besluit.verantwoordelijke_organisatie,
        "besluittype": besluittype_url(urls, besluit),
        "zaak": zaak_url(urls, besluit),
        "datum": _date(besluit.datum),
        "toelichting": besluit.toelichting,
        "bestuursorgaan": besluit.bestuursorgaan,
        "ingangsdatum": _date(besluit.ingangsdatum),
        "vervaldatum": _date(besluit.vervaldatum),
    }
    if besluit.vervalreden:  # the enum has no empty value: left out when not set
        data["vervalreden"] = besluit.vervalreden
        data["vervalredenWeergave"] = VERVALREDEN_WEERGAVE.get(besluit.vervalreden, besluit.vervalreden)
    data["publicatiedatum"] = _date(besluit.publicatiedatum)
    data["verzenddatum"] = _date(besluit.verzenddatum)
    data["uiterlijkeReactiedatum"] = _date(besluit.uiterlijke_reactiedatum)
    return data


def serialize_bio(urls: TenantUrls, bio: BesluitInformatieObject) -> dict[str, Any]:
    return {
        "url": bio_url(urls, bio),
        "informatieobject": informatieobject_url(urls, bio),
        "besluit": besluit_url(urls, bio.besluit),
    }
