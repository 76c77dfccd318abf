"""Request models and response serializers of the Notificaties API (camelCase exactly as the spec)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from tenant_runtime.core.urls import TenantUrls
from tenant_runtime.notificaties.models import Abonnement, Kanaal

# The auth header value of an abonnement is never shown (the standard: details "met uitzondering van de auth
# gegevens"); the 1.0 schema requires a value, so this mask is returned. Sending it back keeps the stored value.
AUTH_MASK = "********"


def _absolute_url(value: str) -> str:
    try:
        parts = urlsplit(value)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in value):
        raise PydanticCustomError("url_parsing", "Voer een geldige URL in.")
    return value


Url = Annotated[str, AfterValidator(_absolute_url)]
OptionalUrl = Annotated[str, AfterValidator(lambda v: v and _absolute_url(v))]
Kenmerk = Annotated[str, Field(min_length=1, max_length=1000)]


class _Model(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


class KanaalIn(_Model):
    naam: str = Field(min_length=1, max_length=50)
    documentatie_link: Annotated[OptionalUrl, Field(max_length=200)] = ""
    filters: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(default_factory=list)


class FilterGroupIn(_Model):
    naam: str = Field(min_length=1)
    filters: dict[str, Kenmerk] = Field(default_factory=dict)


class AbonnementIn(_Model):
    callback_url: Annotated[Url, Field(min_length=1, max_length=200)]
    auth: str = Field(min_length=1, max_length=1000)
    kanalen: list[FilterGroupIn]


class AbonnementPatch(_Model):
    callback_url: Annotated[Url, Field(min_length=1, max_length=200)] | None = None
    auth: str | None = Field(None, min_length=1, max_length=1000)
    kanalen: list[FilterGroupIn] | None = None


class MessageIn(_Model):
    kanaal: str = Field(min_length=1, max_length=50)
    hoofd_object: Annotated[Url, Field(min_length=1, max_length=1000)]
    resource: str = Field(min_length=1, max_length=100)
    resource_url: Annotated[Url, Field(min_length=1, max_length=1000)]
    actie: str = Field(min_length=1, max_length=100)
    aanmaakdatum: datetime
    kenmerken: dict[Annotated[str, Field(min_length=1, max_length=100)], Kenmerk] = Field(default_factory=dict)


def kanaal_url(urls: TenantUrls, kanaal: Kanaal) -> str:
    return urls.resource("notificaties", "kanaal", kanaal.uuid)


def abonnement_url(urls: TenantUrls, abonnement: Abonnement) -> str:
    return urls.resource("notificaties", "abonnement", abonnement.uuid)


def serialize_kanaal(urls: TenantUrls, kanaal: Kanaal) -> dict[str, Any]:
    data: dict[str, Any] = {"url": kanaal_url(urls, kanaal), "naam": kanaal.naam}
    if kanaal.documentatie_link:  # optional, and an empty string is no URI: left out when not given
        data["documentatieLink"] = kanaal.documentatie_link
    data["filters"] = list(kanaal.filters or [])
    return data


def serialize_abonnement(urls: TenantUrls, abonnement: Abonnement) -> dict[str, Any]:
    return {
        "url": abonnement_url(urls, abonnement),
        "callbackUrl": abonnement.callback_url,
        "auth": AUTH_MASK,
        "kanalen": [{"filters": dict(group.filters or {}), "naam": group.kanaal.naam} for group in abonnement.kanalen],
    }
