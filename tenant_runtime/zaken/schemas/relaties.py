"""Zaakinformatieobject, zaakeigenschap, klantcontact, zaakcontactmoment, zaakverzoek and zaakbesluit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from tenant_runtime.core.urls import TenantUrls
from tenant_runtime.zaken.models import (
    KlantContact,
    ZaakContactMoment,
    ZaakEigenschap,
    ZaakInformatieObject,
    ZaakVerzoek,
)
from tenant_runtime.zaken.schemas.common import Url, ZgwModel, iso_datetime
from tenant_runtime.zaken.schemas.status import type_url

AARD_RELATIE_WEERGAVE = {
    "hoort_bij": "Hoort bij, omgekeerd: kent",
    "legt_vast": "Legt vast, omgekeerd: kan vastgelegd zijn als",
}


class ZioData(ZgwModel):
    informatieobject: Url | None = None
    zaak: Url | None = None
    titel: str | None = Field(None, max_length=200)
    beschrijving: str | None = None
    vernietigingsdatum: datetime | None = None
    status: Url | None = None


ZIO_REQUIRED = ("informatieobject", "zaak")


def informatieobject_url(urls: TenantUrls, zio: ZaakInformatieObject) -> str:
    if zio.informatieobject is not None:
        return urls.resource("documenten", "enkelvoudiginformatieobjecten", zio.informatieobject.uuid)
    return zio.informatieobject_url


def serialize_zio(urls: TenantUrls, zio: ZaakInformatieObject) -> dict[str, Any]:
    return {
        "url": urls.resource("zaken", "zaakinformatieobjecten", zio.uuid),
        "uuid": str(zio.uuid),
        "informatieobject": informatieobject_url(urls, zio),
        "zaak": urls.resource("zaken", "zaken", zio.zaak.uuid),
        "aardRelatieWeergave": AARD_RELATIE_WEERGAVE[zio.aard_relatie],
        "titel": zio.titel,
        "beschrijving": zio.beschrijving,
        "registratiedatum": iso_datetime(zio.registratiedatum),
        "vernietigingsdatum": iso_datetime(zio.vernietigingsdatum),
        "status": urls.resource("zaken", "statussen", zio.status.uuid) if zio.status is not None else None,
    }


class ZaakEigenschapData(ZgwModel):
    zaak: Url | None = None
    eigenschap: Url | None = None
    waarde: str | None = None


ZAAKEIGENSCHAP_REQUIRED = ("eigenschap", "waarde")


def serialize_zaakeigenschap(urls: TenantUrls, ze: ZaakEigenschap) -> dict[str, Any]:
    zaak_url = urls.resource("zaken", "zaken", ze.zaak.uuid)
    return {
        "url": f"{zaak_url}/zaakeigenschappen/{ze.uuid}",
        "uuid": str(ze.uuid),
        "zaak": zaak_url,
        "eigenschap": type_url(urls, "eigenschappen", ze.eigenschap, ze.eigenschap_url),
        "naam": ze.naam,
        "waarde": ze.waarde,
    }


class KlantContactData(ZgwModel):
    zaak: Url | None = None
    identificatie: str | None = Field(None, max_length=14)
    datumtijd: datetime | None = None
    kanaal: str | None = Field(None, max_length=20)
    onderwerp: str | None = Field(None, max_length=200)
    toelichting: str | None = Field(None, max_length=1000)


KLANTCONTACT_REQUIRED = ("zaak", "datumtijd")


def serialize_klantcontact(urls: TenantUrls, kc: KlantContact) -> dict[str, Any]:
    return {
        "url": urls.resource("zaken", "klantcontacten", kc.uuid),
        "uuid": str(kc.uuid),
        "zaak": urls.resource("zaken", "zaken", kc.zaak.uuid),
        "identificatie": kc.identificatie,
        "datumtijd": iso_datetime(kc.datumtijd),
        "kanaal": kc.kanaal,
        "onderwerp": kc.onderwerp,
        "toelichting": kc.toelichting,
    }


class ZaakContactMomentData(ZgwModel):
    zaak: Url | None = None
    contactmoment: Url | None = None


def serialize_zaakcontactmoment(urls: TenantUrls, zcm: ZaakContactMoment) -> dict[str, Any]:
    return {
        "url": urls.resource("zaken", "zaakcontactmomenten", zcm.uuid),
        "uuid": str(zcm.uuid),
        "zaak": urls.resource("zaken", "zaken", zcm.zaak.uuid),
        "contactmoment": zcm.contactmoment,
    }


class ZaakVerzoekData(ZgwModel):
    zaak: Url | None = None
    verzoek: Url | None = None


def serialize_zaakverzoek(urls: TenantUrls, zv: ZaakVerzoek) -> dict[str, Any]:
    return {
        "url": urls.resource("zaken", "zaakverzoeken", zv.uuid),
        "uuid": str(zv.uuid),
        "zaak": urls.resource("zaken", "zaken", zv.zaak.uuid),
        "verzoek": zv.verzoek,
    }


class ZaakBesluitData(ZgwModel):
    besluit: Url | None = None
