"""Request models and response serializers of the Autorisaties API 1.0 (camelCase exactly as the spec).

An autorisatie is polymorphic on ``component``: ``zrc`` carries ``zaaktype`` and
``maxVertrouwelijkheidaanduiding``, ``drc`` ``informatieobjecttype`` and ``maxVertrouwelijkheidaanduiding``,
``brc`` ``besluittype``; the other components only ``scopes``. Fields that do not belong to the component are
ignored on input, as the reference implementation does.
"""

from __future__ import annotations

import enum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from tenant_runtime.autorisaties.models import Applicatie, Autorisatie
from tenant_runtime.core.urls import TenantUrls
from tenant_runtime.core.vertrouwelijkheid import Vertrouwelijkheid
from tenant_runtime.notificaties.schemas import Url


class Component(enum.StrEnum):
    ac = "ac"
    nrc = "nrc"
    zrc = "zrc"
    ztc = "ztc"
    drc = "drc"
    brc = "brc"


COMPONENT_WEERGAVE: dict[str, str] = {
    Component.ac: "Autorisatiecomponent",
    Component.nrc: "Notificatierouteringcomponent",
    Component.zrc: "Zaakregistratiecomponent",
    Component.ztc: "Zaaktypecatalogus",
    Component.drc: "Documentregistratiecomponent",
    Component.brc: "Besluitregistratiecomponent",
}

# The component-specific fields (snake_case attribute names) each component's autorisatie carries.
COMPONENT_FIELDS: dict[str, tuple[str, ...]] = {
    Component.zrc: ("zaaktype", "max_vertrouwelijkheidaanduiding"),
    Component.drc: ("informatieobjecttype", "max_vertrouwelijkheidaanduiding"),
    Component.brc: ("besluittype",),
}

TypeUrl = Annotated[Url, Field(max_length=1000)]
Scope = Annotated[str, Field(min_length=1, max_length=100)]
ClientId = Annotated[str, Field(min_length=1, max_length=50)]


class _Model(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


class AutorisatieIn(_Model):
    component: Component
    scopes: list[Scope]
    zaaktype: TypeUrl | None = None
    informatieobjecttype: TypeUrl | None = None
    besluittype: TypeUrl | None = None
    max_vertrouwelijkheidaanduiding: Vertrouwelijkheid | None = None

    def field_value(self, name: str) -> str:
        value = getattr(self, name)
        return "" if value is None else str(value)


class ApplicatieIn(_Model):
    """POST and PUT: ``clientIds`` and ``label`` are required."""

    client_ids: list[ClientId]
    label: str = Field(min_length=1, max_length=100)
    heeft_alle_autorisaties: bool | None = None
    autorisaties: list[AutorisatieIn] | None = None


class ApplicatiePatch(_Model):
    client_ids: list[ClientId] | None = None
    label: str | None = Field(None, min_length=1, max_length=100)
    heeft_alle_autorisaties: bool | None = None
    autorisaties: list[AutorisatieIn] | None = None


def applicatie_url(urls: TenantUrls, applicatie: Applicatie) -> str:
    return urls.resource("autorisaties", "applicaties", applicatie.uuid)


def serialize_autorisatie(autorisatie: Autorisatie) -> dict[str, Any]:
    data: dict[str, Any] = {
        "component": autorisatie.component,
        "componentWeergave": COMPONENT_WEERGAVE.get(autorisatie.component, autorisatie.component),
        "scopes": list(autorisatie.scopes or []),
    }
    for name in COMPONENT_FIELDS.get(autorisatie.component, ()):
        value = getattr(autorisatie, name)
        if value:  # an empty type URL or level is no valid URI/enum value: left out
            data[to_camel(name)] = value
    return data


def serialize_applicatie(urls: TenantUrls, applicatie: Applicatie) -> dict[str, Any]:
    return {
        "url": applicatie_url(urls, applicatie),
        "clientIds": list(applicatie.client_ids or []),
        "label": applicatie.label,
        "heeftAlleAutorisaties": applicatie.heeft_alle_autorisaties,
        "autorisaties": [serialize_autorisatie(a) for a in applicatie.autorisaties],
    }
