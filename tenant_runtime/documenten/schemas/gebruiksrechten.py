"""Gebruiksrechten: request models and the response serializer."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import Field

from tenant_runtime.core.urls import TenantUrls
from tenant_runtime.documenten.models import Gebruiksrechten
from tenant_runtime.documenten.schemas.common import RequestModel, Url
from tenant_runtime.documenten.schemas.enkelvoudiginformatieobjecten import document_url, iso_datetime


class GebruiksrechtenIn(RequestModel):
    informatieobject: Annotated[Url, Field(max_length=1000)]
    startdatum: datetime
    einddatum: datetime | None = None
    omschrijving_voorwaarden: str = Field(min_length=1)


class GebruiksrechtenPatch(RequestModel):
    informatieobject: Annotated[Url, Field(max_length=1000)] | None = None
    startdatum: datetime | None = None
    einddatum: datetime | None = None
    omschrijving_voorwaarden: str | None = Field(None, min_length=1)


def gebruiksrechten_url(urls: TenantUrls, recht: Gebruiksrechten) -> str:
    return urls.resource("documenten", "gebruiksrechten", recht.uuid)


def serialize_gebruiksrechten(urls: TenantUrls, recht: Gebruiksrechten) -> dict[str, Any]:
    return {
        "url": gebruiksrechten_url(urls, recht),
        "informatieobject": document_url(urls, recht.informatieobject),
        "startdatum": iso_datetime(recht.startdatum),
        "einddatum": iso_datetime(recht.einddatum) if recht.einddatum else None,
        "omschrijvingVoorwaarden": recht.omschrijving_voorwaarden,
    }
