"""Request and response bodies of the tenants API."""

from __future__ import annotations

import uuid
from datetime import datetime, time
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from controlplane.jobs.schemas import JobOut
from controlplane.tenants import validators
from controlplane.tenants.models import Health, TenantState, Tier

# API roots a tenant exposes, relative to its base URL.
API_ROOTS = {
    "autorisaties": "/autorisaties/api/v1",
    "catalogi": "/catalogi/api/v1",
    "zaken": "/zaken/api/v1",
    "documenten": "/documenten/api/v1",
    "besluiten": "/besluiten/api/v1",
    "notificaties": "/notificaties/api/v1",
    "referentielijsten": "/referentielijsten/api/v1",
}

Gemeentecode = Annotated[str, AfterValidator(validators.validate_gemeentecode)]
Rsin = Annotated[str, AfterValidator(validators.validate_rsin)]
Oin = Annotated[str, AfterValidator(validators.validate_oin)]
Slug = Annotated[str, AfterValidator(validators.validate_slug)]


class MaintenanceWindow(BaseModel):
    """A weekly window (UTC) in which upgrades and maintenance may happen."""

    model_config = ConfigDict(extra="forbid")

    weekday: int = Field(ge=1, le=7, description="ISO weekday, 1 = Monday.")
    start: time = Field(description="Start time (UTC), e.g. 02:00.")
    duration_minutes: int = Field(ge=30, le=12 * 60, description="Length of the window in minutes.")


class TenantCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=2, max_length=200, description="Name of the municipality, e.g. Gemeente Utrecht.")
    gemeentecode: Gemeentecode = Field(description="CBS gemeentecode (4 digits).")
    rsin: Rsin = Field(description="RSIN of the municipality (9 digits, elfproef).")
    oin: Oin = Field("", description="OIN (20 digits), optional.")
    inhabitants: int = Field(ge=1, le=2_000_000, description="Number of inhabitants.")
    slug: Slug | None = Field(None, description="Host/path name; derived from the name when omitted.")
    tier: Tier = Field(Tier.SHARED, description="shared: served by the shared runtime; dedicated: own runtime.")
    plan: str = Field(min_length=1, max_length=63, description="Code of the plan (see /api/v1/plans).")
    maintenance_window: MaintenanceWindow | None = None
    provision: bool = Field(True, description="Start provisioning right away (a job is returned).")


class TenantUpdate(BaseModel):
    """Fields that can be changed. Municipality admins may only change ``maintenance_window``."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=2, max_length=200)
    oin: Oin | None = None
    inhabitants: int | None = Field(None, ge=1, le=2_000_000)
    plan: str | None = Field(None, min_length=1, max_length=63)
    maintenance_window: MaintenanceWindow | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> TenantUpdate:
        if not self.model_fields_set:
            raise PydanticCustomError("empty", "Geef ten minste één veld op.")
        return self


class TenantOut(BaseModel):
    id: uuid.UUID
    slug: str
    name: str
    gemeentecode: str
    rsin: str
    oin: str
    inhabitants: int
    tier: Tier
    plan: str
    provider: str | None
    status: TenantState
    failure_reason: str
    runtime_version: str
    health: Health
    health_detail: str
    health_checked_at: datetime | None
    api_base_url: str
    api_roots: dict[str, str]
    maintenance_window: MaintenanceWindow | None
    retention_until: datetime | None
    # The complete export written at deprovisioning (``GET /api/v1/exports/{id}``), downloadable by operators
    # and the municipality's admin until the purge at ``retention_until``; None: none (yet, or nothing to export).
    final_export_id: uuid.UUID | None
    final_export_download_url: str | None
    created_at: datetime
    updated_at: datetime


class TenantList(BaseModel):
    count: int
    results: list[TenantOut]


class TenantWithJob(BaseModel):
    tenant: TenantOut
    job: JobOut | None
