"""Rol and ZaakObject: request models and serializers. Their identificatie objects are free-form JSON here and
validated against the official schema of their type (``spec_schemas``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from tenant_runtime.core.urls import TenantUrls
from tenant_runtime.zaken.models import Rol, ZaakObject
from tenant_runtime.zaken.schemas.common import OptionalUrl, Url, ZgwModel, iso_datetime
from tenant_runtime.zaken.schemas.status import type_url

BetrokkeneType = Literal[
    "natuurlijk_persoon", "niet_natuurlijk_persoon", "vestiging", "organisatorische_eenheid", "medewerker"
]
ObjectType = Literal[
    "adres",
    "besluit",
    "buurt",
    "enkelvoudig_document",
    "gemeente",
    "gemeentelijke_openbare_ruimte",
    "huishouden",
    "inrichtingselement",
    "kadastrale_onroerende_zaak",
    "kunstwerkdeel",
    "maatschappelijke_activiteit",
    "medewerker",
    "natuurlijk_persoon",
    "niet_natuurlijk_persoon",
    "openbare_ruimte",
    "organisatorische_eenheid",
    "pand",
    "spoorbaandeel",
    "status",
    "terreindeel",
    "terrein_gebouwd_object",
    "vestiging",
    "waterdeel",
    "wegdeel",
    "wijk",
    "woonplaats",
    "woz_deelobject",
    "woz_object",
    "woz_waarde",
    "zakelijk_recht",
    "overige",
]


class ContactpersoonRolIn(ZgwModel):
    emailadres: str = Field("", max_length=254)
    functie: str = Field("", max_length=50)
    telefoonnummer: str = Field("", max_length=20)
    naam: str = Field(max_length=200)


class RolData(ZgwModel):
    zaak: Url | None = None
    betrokkene: OptionalUrl | None = None
    betrokkene_type: BetrokkeneType | None = None
    afwijkende_naam_betrokkene: str | None = Field(None, max_length=625)
    roltype: Url | None = None
    roltoelichting: str | None = Field(None, max_length=1000)
    indicatie_machtiging: Literal["gemachtigde", "machtiginggever", ""] | None = None
    contactpersoon_rol: ContactpersoonRolIn | None = None
    betrokkene_identificatie: dict[str, Any] | None = None


ROL_REQUIRED = ("zaak", "betrokkene_type", "roltype", "roltoelichting")


def serialize_rol(urls: TenantUrls, rol: Rol, statussen: list[str] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "url": urls.resource("zaken", "rollen", rol.uuid),
        "uuid": str(rol.uuid),
        "zaak": urls.resource("zaken", "zaken", rol.zaak.uuid),
        "betrokkene": rol.betrokkene,
        "betrokkeneType": rol.betrokkene_type,
        "afwijkendeNaamBetrokkene": rol.afwijkende_naam_betrokkene,
        "roltype": type_url(urls, "roltypen", rol.roltype, rol.roltype_url),
        "omschrijving": rol.omschrijving,
        "omschrijvingGeneriek": rol.omschrijving_generiek,
        "roltoelichting": rol.roltoelichting,
        "registratiedatum": iso_datetime(rol.registratiedatum),
        "indicatieMachtiging": rol.indicatie_machtiging,
        "contactpersoonRol": rol.contactpersoon_rol,
        "statussen": statussen or [],
    }
    for key in ("betrokkene", "contactpersoonRol"):
        if not body[key]:
            del body[key]  # optional: an empty string is no URI, and allOf + nullable reads as "an object"
    if rol.betrokkene_identificatie is not None:
        body["betrokkeneIdentificatie"] = rol.betrokkene_identificatie
    return body


class ObjectTypeOverigeDefinitieIn(ZgwModel):
    url: Url
    schema_: str = Field(alias="schema", max_length=100)
    object_data: str = Field(max_length=100)


class ZaakObjectData(ZgwModel):
    zaak: Url | None = None
    object: OptionalUrl | None = None
    zaakobjecttype: OptionalUrl | None = None
    object_type: ObjectType | None = None
    object_type_overige: str | None = Field(None, max_length=100, pattern=r"[a-z\_]+")
    object_type_overige_definitie: ObjectTypeOverigeDefinitieIn | None = None
    relatieomschrijving: str | None = Field(None, max_length=80)
    object_identificatie: dict[str, Any] | None = None


ZAAKOBJECT_REQUIRED = ("zaak", "object_type")


def serialize_zaakobject(urls: TenantUrls, zaakobject: ZaakObject) -> dict[str, Any]:
    body: dict[str, Any] = {
        "url": urls.resource("zaken", "zaakobjecten", zaakobject.uuid),
        "uuid": str(zaakobject.uuid),
        "zaak": urls.resource("zaken", "zaken", zaakobject.zaak.uuid),
        "object": zaakobject.object,
        "zaakobjecttype": type_url(urls, "zaakobjecttypen", zaakobject.zaakobjecttype, zaakobject.zaakobjecttype_url),
        "objectType": zaakobject.object_type,
        "objectTypeOverige": zaakobject.object_type_overige,
        "objectTypeOverigeDefinitie": zaakobject.object_type_overige_definitie,
        "relatieomschrijving": zaakobject.relatieomschrijving,
    }
    # Optional fields without a value are left out: an empty string is no URI and does not match the pattern of
    # objectTypeOverige, and the document's allOf + nullable groups read as "an object" to validators.
    for key in ("object", "zaakobjecttype", "objectTypeOverige", "objectTypeOverigeDefinitie"):
        if not body[key]:
            del body[key]
    if zaakobject.object_identificatie is not None:
        body["objectIdentificatie"] = zaakobject.object_identificatie
    return body
