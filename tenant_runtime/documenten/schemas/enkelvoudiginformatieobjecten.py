"""Enkelvoudiginformatieobjecten: request models and the response serializer."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from pydantic import Field

from tenant_runtime.core.urls import TenantUrls
from tenant_runtime.core.vertrouwelijkheid import Vertrouwelijkheid
from tenant_runtime.documenten.models import BestandsDeel, InformatieObject, InformatieObjectVersie
from tenant_runtime.documenten.schemas.common import OptionalUrl, RequestModel, Rsin, Url

Status = Literal["in_bewerking", "ter_vaststelling", "definitief", "gearchiveerd"]
Algoritme = Literal[
    "crc_16",
    "crc_32",
    "crc_64",
    "fletcher_4",
    "fletcher_8",
    "fletcher_16",
    "fletcher_32",
    "hmac",
    "md5",
    "sha_1",
    "sha_256",
    "sha_512",
    "sha_3",
]
Trefwoord = Annotated[str, Field(min_length=1, max_length=100)]

RESOURCE = "enkelvoudiginformatieobjecten"


class OndertekeningIn(RequestModel):
    soort: Literal["analoog", "digitaal", "pki"]
    datum: date


class IntegriteitIn(RequestModel):
    algoritme: Algoritme
    waarde: str = Field(min_length=1, max_length=128)
    datum: date


class DocumentFields(RequestModel):
    """Fields a client may set; in a PATCH every one is optional (``model_fields_set`` says what was sent)."""

    identificatie: str = Field("", max_length=40)
    bronorganisatie: Rsin
    creatiedatum: date
    titel: str = Field(min_length=1, max_length=200)
    vertrouwelijkheidaanduiding: Vertrouwelijkheid | Literal[""] = ""
    auteur: str = Field(min_length=1, max_length=200)
    status: Status | Literal[""] = ""
    formaat: str = Field("", max_length=255)
    taal: str = Field(min_length=3, max_length=3)
    bestandsnaam: str = Field("", max_length=255)
    # Base64 content never reaches the model: it is streamed to the storage (``inhoud.py``) and replaced by null.
    inhoud: None = None
    bestandsomvang: int | None = Field(None, ge=0, le=9223372036854775807)
    link: Annotated[OptionalUrl, Field(max_length=200)] = ""
    beschrijving: str = Field("", max_length=1000)
    ontvangstdatum: date | None = None
    verzenddatum: date | None = None
    indicatie_gebruiksrecht: bool | None = None
    verschijningsvorm: str = ""
    ondertekening: OndertekeningIn | None = None
    integriteit: IntegriteitIn | None = None
    informatieobjecttype: Annotated[Url, Field(min_length=1, max_length=200)]
    trefwoorden: list[Trefwoord] | None = None


class DocumentCreate(DocumentFields):
    pass


class DocumentUpdate(DocumentFields):
    lock: str = Field(min_length=1)


class DocumentPatch(RequestModel):
    identificatie: str | None = Field(None, max_length=40)
    bronorganisatie: Rsin | None = None
    creatiedatum: date | None = None
    titel: str | None = Field(None, min_length=1, max_length=200)
    vertrouwelijkheidaanduiding: Vertrouwelijkheid | Literal[""] | None = None
    auteur: str | None = Field(None, min_length=1, max_length=200)
    status: Status | Literal[""] | None = None
    formaat: str | None = Field(None, max_length=255)
    taal: str | None = Field(None, min_length=3, max_length=3)
    bestandsnaam: str | None = Field(None, max_length=255)
    inhoud: None = None
    bestandsomvang: int | None = Field(None, ge=0, le=9223372036854775807)
    link: Annotated[OptionalUrl, Field(max_length=200)] | None = None
    beschrijving: str | None = Field(None, max_length=1000)
    ontvangstdatum: date | None = None
    verzenddatum: date | None = None
    indicatie_gebruiksrecht: bool | None = None
    verschijningsvorm: str | None = None
    ondertekening: OndertekeningIn | None = None
    integriteit: IntegriteitIn | None = None
    informatieobjecttype: Annotated[Url, Field(min_length=1, max_length=200)] | None = None
    trefwoorden: list[Trefwoord] | None = None
    lock: str | None = Field(None, min_length=1)


# Fields that are NOT NULL in a version: a PATCH sending null for them is refused.
NOT_NULL_FIELDS = (
    "identificatie",
    "bronorganisatie",
    "creatiedatum",
    "titel",
    "vertrouwelijkheidaanduiding",
    "auteur",
    "status",
    "formaat",
    "taal",
    "bestandsnaam",
    "link",
    "beschrijving",
    "verschijningsvorm",
    "informatieobjecttype",
)


class UnlockIn(RequestModel):
    lock: str = Field("", max_length=100)


class ZoekIn(RequestModel):
    uuid__in: list[str] = Field(alias="uuid_In")
    expand: str | None = Field(None, min_length=1)


def document_url(urls: TenantUrls, document: InformatieObject) -> str:
    return urls.resource("documenten", RESOURCE, document.uuid)


def bestandsdeel_url(urls: TenantUrls, deel: BestandsDeel) -> str:
    return urls.resource("documenten", "bestandsdelen", deel.uuid)


def informatieobjecttype_url(urls: TenantUrls, document: InformatieObject) -> str:
    if document.informatieobjecttype is not None:
        return urls.resource("catalogi", "informatieobjecttypen", document.informatieobjecttype.uuid)
    return document.informatieobjecttype_url


def iso_datetime(moment: datetime) -> str:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _iso_date(value: date | None) -> str | None:
    return value.isoformat() if value else None


def has_content(versie: InformatieObjectVersie) -> bool:
    return bool(versie.content_key) and not versie.upload_id


def serialize_bestandsdeel(urls: TenantUrls, deel: BestandsDeel, lock: str | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "url": bestandsdeel_url(urls, deel),
        "volgnummer": deel.volgnummer,
        "omvang": deel.omvang,
        "voltooid": deel.voltooid,
    }
    if lock is not None:
        data["lock"] = lock
    return data


def serialize_document(
    urls: TenantUrls,
    document: InformatieObject,
    versie: InformatieObjectVersie,
    *,
    with_lock: bool = False,
    parts_lock: bool = False,
) -> dict[str, Any]:
    """The document as of ``versie``. ``with_lock`` adds the lock (create response of an upload in parts);
    ``parts_lock`` puts it in the pending bestandsdelen (the retrieve schema ``SchemaEIO`` requires it there)."""
    url = document_url(urls, document)
    pending = versie.upload_id and versie.versie == document.versie
    data: dict[str, Any] = {
        "url": url,
        "identificatie": versie.identificatie,
        "bronorganisatie": versie.bronorganisatie,
        "creatiedatum": versie.creatiedatum.isoformat(),
        "titel": versie.titel,
        "vertrouwelijkheidaanduiding": versie.vertrouwelijkheidaanduiding,
        "auteur": versie.auteur,
        "status": versie.status,
        "formaat": versie.formaat,
        "taal": versie.taal,
        "versie": versie.versie,
        "beginRegistratie": iso_datetime(versie.begin_registratie),
        "bestandsnaam": versie.bestandsnaam,
        "inhoud": f"{url}/download?versie={versie.versie}" if has_content(versie) else None,
        "bestandsomvang": versie.bestandsomvang,
        "beschrijving": versie.beschrijving,
        "ontvangstdatum": _iso_date(versie.ontvangstdatum),
        "verzenddatum": _iso_date(versie.verzenddatum),
        "indicatieGebruiksrecht": versie.indicatie_gebruiksrecht,
        "verschijningsvorm": versie.verschijningsvorm,
        "ondertekening": dict(versie.ondertekening) if versie.ondertekening else None,
        "integriteit": dict(versie.integriteit) if versie.integriteit else None,
        "informatieobjecttype": informatieobjecttype_url(urls, document),
        "locked": bool(document.lock),
        "bestandsdelen": [
            serialize_bestandsdeel(urls, deel, document.lock if with_lock or parts_lock else None)
            for deel in versie.bestandsdelen
        ]
        if pending
        else [],
        "trefwoorden": list(versie.trefwoorden or []),
    }
    if versie.link:  # optional, and an empty string is no URI: left out when not set
        data["link"] = versie.link
    if with_lock:
        data["lock"] = document.lock
    return data
