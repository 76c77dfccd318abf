"""Request and response bodies of the credentials API."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator, model_validator
from pydantic_core import PydanticCustomError

from controlplane.credentials.models import CredentialStatus
from tenant_runtime.core.vertrouwelijkheid import Vertrouwelijkheid

Component = Literal["ac", "nrc", "zrc", "ztc", "drc", "brc"]
CLIENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{2,254}$")
# Per component, which type field an autorisatie is limited by (the Autorisaties API's rules).
TYPE_FIELD = {"zrc": "zaaktype", "drc": "informatieobjecttype", "brc": "besluittype"}


class Autorisatie(BaseModel):
    model_config = ConfigDict(extra="forbid")

    component: Component
    scopes: list[str] = Field(min_length=1)
    zaaktype: HttpUrl | None = None
    informatieobjecttype: HttpUrl | None = None
    besluittype: HttpUrl | None = None
    max_vertrouwelijkheidaanduiding: Vertrouwelijkheid | None = None

    @field_validator("scopes")
    @classmethod
    def _scopes(cls, scopes: list[str]) -> list[str]:
        for scope in scopes:
            if not re.match(r"^[a-z][a-z0-9_.-]{1,99}$", scope):
                raise PydanticCustomError("invalid-scope", f"Ongeldige scope '{scope}'.")
        return scopes

    @model_validator(mode="after")
    def _type_and_level(self) -> Autorisatie:
        needed = TYPE_FIELD.get(self.component)
        for name in TYPE_FIELD.values():
            if name != needed and getattr(self, name) is not None:
                raise PydanticCustomError("invalid-type-field", f"'{name}' past niet bij component {self.component}.")
        if needed and getattr(self, needed) is None:
            raise PydanticCustomError(f"missing-{needed}", f"Voor component {self.component} is '{needed}' verplicht.")
        if needed in ("zaaktype", "informatieobjecttype") and self.max_vertrouwelijkheidaanduiding is None:
            raise PydanticCustomError(
                "missing-max-vertrouwelijkheidaanduiding",
                f"Voor component {self.component} is 'max_vertrouwelijkheidaanduiding' verplicht.",
            )
        return self

    def stored(self) -> dict[str, object]:
        return {
            "component": self.component,
            "scopes": list(self.scopes),
            "zaaktype": str(self.zaaktype or ""),
            "informatieobjecttype": str(self.informatieobjecttype or ""),
            "besluittype": str(self.besluittype or ""),
            "max_vertrouwelijkheidaanduiding": self.max_vertrouwelijkheidaanduiding.value
            if self.max_vertrouwelijkheidaanduiding
            else "",
        }


class CredentialCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    client_id: str = Field(description="Client id the application puts in its JWTs (3-255 chars).")
    label: str = Field(min_length=1, max_length=100, description="Name of the application.")
    heeft_alle_autorisaties: bool = False
    autorisaties: list[Autorisatie] = Field(default_factory=list)

    @field_validator("client_id")
    @classmethod
    def _client_id(cls, value: str) -> str:
        if not CLIENT_ID.match(value):
            raise PydanticCustomError(
                "invalid-client-id",
                "Alleen letters, cijfers, punt, liggend streepje en koppelteken; 3 tot 255 tekens.",
            )
        if value.startswith("zgwcloud-"):
            raise PydanticCustomError(
                "reserved-client-id", "Client ids die met 'zgwcloud-' beginnen zijn voor het platform gereserveerd."
            )
        return value

    @model_validator(mode="after")
    def _some_autorisatie(self) -> CredentialCreate:
        if not self.heeft_alle_autorisaties and not self.autorisaties:
            raise PydanticCustomError("missing-autorisaties", "Geef autorisaties op of zet heeft_alle_autorisaties.")
        return self


class CredentialUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str | None = Field(None, min_length=1, max_length=100)
    heeft_alle_autorisaties: bool | None = None
    autorisaties: list[Autorisatie] | None = None


class SecretOut(BaseModel):
    created_at: datetime
    expires_at: datetime | None


class CredentialOut(BaseModel):
    id: uuid.UUID
    tenant_id: uuid.UUID
    client_id: str
    label: str
    status: CredentialStatus
    heeft_alle_autorisaties: bool
    autorisaties: list[dict[str, object]]
    secrets: list[SecretOut]
    created_at: datetime
    revoked_at: datetime | None


class CredentialWithSecret(BaseModel):
    """Returned once, on create and rotate: the plain secret is not retrievable later."""

    credential: CredentialOut
    secret: str
    api_base_url: str


class CredentialList(BaseModel):
    count: int
    results: list[CredentialOut]
