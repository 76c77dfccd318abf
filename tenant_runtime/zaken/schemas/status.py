"""Status and Resultaat: request models and serializers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from tenant_runtime.core.urls import TenantUrls
from tenant_runtime.zaken.models import Resultaat, Status
from tenant_runtime.zaken.schemas.common import Url, ZgwModel, iso_datetime


def type_url(urls: TenantUrls, resource: str, local: Any, url: str) -> str:
    """URL of a Catalogi type referenced locally (foreign key) or by external URL."""
    return urls.resource("catalogi", resource, local.uuid) if local is not None else url


class StatusData(ZgwModel):
    zaak: Url | None = None
    statustype: Url | None = None
    datum_status_gezet: datetime | None = None
    statustoelichting: str | None = Field(None, max_length=1000)
    gezetdoor: Url | None = None


STATUS_REQUIRED = ("zaak", "statustype", "datum_status_gezet")


def serialize_status(
    urls: TenantUrls, status: Status, latest: bool, zaakinformatieobjecten: list[str]
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "url": urls.resource("zaken", "statussen", status.uuid),
        "uuid": str(status.uuid),
        "zaak": urls.resource("zaken", "zaken", status.zaak.uuid),
        "statustype": type_url(urls, "statustypen", status.statustype, status.statustype_url),
        "datumStatusGezet": iso_datetime(status.datum_status_gezet),
        "statustoelichting": status.statustoelichting,
        "indicatieLaatstGezetteStatus": latest,
        "zaakinformatieobjecten": zaakinformatieobjecten,
    }
    if status.gezetdoor is not None:
        body["gezetdoor"] = urls.resource("zaken", "rollen", status.gezetdoor.uuid)
    return body


class ResultaatData(ZgwModel):
    zaak: Url | None = None
    resultaattype: Url | None = None
    toelichting: str | None = Field(None, max_length=1000)


RESULTAAT_REQUIRED = ("zaak", "resultaattype")


def serialize_resultaat(urls: TenantUrls, resultaat: Resultaat) -> dict[str, Any]:
    return {
        "url": urls.resource("zaken", "resultaten", resultaat.uuid),
        "uuid": str(resultaat.uuid),
        "zaak": urls.resource("zaken", "zaken", resultaat.zaak.uuid),
        "resultaattype": type_url(urls, "resultaattypen", resultaat.resultaattype, resultaat.resultaattype_url),
        "toelichting": resultaat.toelichting,
    }
