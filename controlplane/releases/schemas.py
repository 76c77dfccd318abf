"""Request and response bodies of the releases and campaigns API."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from controlplane.jobs.models import JobStatus
from controlplane.releases.models import CampaignStatus, FailurePolicy, ReleaseStatus, UpgradeStatus
from controlplane.tenants.models import Tier

_VERSION = re.compile(r"^[0-9]+\.[0-9]+\.[0-9]+(?:[-+][0-9A-Za-z.+-]{1,30})?$")
_POOL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
# registry[:port]/path[:tag][@sha256:digest], lower-case path, a tag or a digest required.
_IMAGE = re.compile(
    r"^[a-z0-9]+(?:[.-][a-z0-9]+)*(?::[0-9]{1,5})?(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)+"
    r"(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[0-9a-f]{64})?$"
)
_REVISION = re.compile(r"^[A-Za-z0-9_]{1,32}$")


def validate_version(value: str) -> str:
    if not _VERSION.match(value):
        raise PydanticCustomError("invalid-version", "Een versie is MAJOR.MINOR.PATCH, eventueel met -suffix.")
    return value


def validate_pool(value: str) -> str:
    if not _POOL.match(value):
        raise PydanticCustomError("invalid-pool", "Een pool-naam bestaat uit kleine letters, cijfers en '-'.")
    return value


def validate_image(value: str) -> str:
    if value and (not _IMAGE.match(value) or (":" not in value.rsplit("/", 1)[-1] and "@" not in value)):
        raise PydanticCustomError(
            "invalid-image", "Een image is registry/pad:tag of registry/pad@sha256:<digest> (kleine letters)."
        )
    return value


def validate_revision(value: str) -> str:
    if not _REVISION.match(value):
        raise PydanticCustomError("invalid-revision", "Een revisie-id bestaat uit letters, cijfers en '_'.")
    return value


Version = Annotated[str, AfterValidator(validate_version)]
Pool = Annotated[str, AfterValidator(validate_pool)]
Image = Annotated[str, AfterValidator(validate_image)]
Revision = Annotated[str, AfterValidator(validate_revision)]


class ReleaseCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: Version = Field(description="Release version, e.g. 0.2.0.")
    image: Image = Field("", description="Container image; default: the configured image repository with the version.")
    package_version: str = Field(
        "", max_length=40, description="Version the release's runtime reports on /healthz (default: the version)."
    )
    pool: Pool | None = Field(None, description="Shared-tier pool running it; default: shared-<version>.")
    schema_heads: list[Revision] | None = Field(
        None,
        min_length=1,
        max_length=50,
        description="Tenant-schema heads its code needs; default: every head of the package and migration_paths.",
    )
    migration_paths: list[str] = Field(
        default_factory=list,
        max_length=10,
        description="Alembic version directories the release brings besides the package's (on the control plane).",
    )
    reversible: bool = Field(True, description="Its migrations can be downgraded (else rollback restores a backup).")
    notes: str = Field("", max_length=20000, description="Release notes.")
    status: Literal[ReleaseStatus.DRAFT, ReleaseStatus.AVAILABLE] = ReleaseStatus.DRAFT


class ReleaseUpdate(BaseModel):
    """Notes and status may always change; the rest only while the release is a draft."""

    model_config = ConfigDict(extra="forbid")

    status: ReleaseStatus | None = None
    notes: str | None = Field(None, max_length=20000)
    image: Image | None = None
    package_version: str | None = Field(None, max_length=40)
    pool: Pool | None = None
    schema_heads: list[Revision] | None = Field(None, min_length=1, max_length=50)
    migration_paths: list[str] | None = Field(None, max_length=10)
    reversible: bool | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> ReleaseUpdate:
        if not self.model_fields_set:
            raise PydanticCustomError("empty", "Geef ten minste één veld op.")
        return self


class ReleaseOut(BaseModel):
    id: uuid.UUID
    version: str
    image: str
    package_version: str
    pool: str
    schema_heads: list[str]
    migration_paths: list[str]
    reversible: bool
    notes: str
    status: ReleaseStatus
    tenants: int = Field(description="Tenants this release serves now.")
    created_by: str
    created_at: datetime
    available_at: datetime | None


class ReleaseList(BaseModel):
    count: int
    results: list[ReleaseOut]


class PinIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: Version = Field(description="Keep the tenant on (or bring it only to) this available release.")
    reason: str = Field("", max_length=500)


class TenantReleaseOut(BaseModel):
    tenant_id: uuid.UUID
    slug: str
    version: str = Field(description="The release serving the tenant.")
    pool: str
    previous_version: str | None
    pinned_version: str | None
    pinned_by: str
    pin_reason: str
    pinned_at: datetime | None
    pinning_allowed: bool = Field(description="Whether the tenant's own admins may pin (the plan allows it).")
    available_versions: list[str]


class CampaignCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    release: Version = Field(description="Version to roll out (an available release).")
    scope: Literal["all", "tier", "tenants"] = Field("all", description="Which tenants: all, one tier, or a list.")
    tier: Tier | None = Field(None, description="With scope=tier.")
    tenants: list[str] = Field(default_factory=list, max_length=2000, description="Slugs, with scope=tenants.")
    canaries: list[str] = Field(
        default_factory=list, max_length=50, description="Slugs upgraded first; a failure halts the campaign."
    )
    canary_count: int = Field(1, ge=0, le=50, description="Without canaries: this many first tenants are canaries.")
    wave_size: int = Field(10, ge=1, le=500, description="Tenants upgraded at once per wave.")
    wave_pause_seconds: int = Field(300, ge=0, le=7 * 86400, description="Pause after each wave.")
    failure_policy: FailurePolicy = Field(
        FailurePolicy.CONTINUE, description="After the canaries: continue past a rolled-back tenant, or halt."
    )
    ignore_maintenance_windows: bool = Field(False, description="Emergency: upgrade outside maintenance windows.")

    @model_validator(mode="after")
    def _scope_fields(self) -> CampaignCreate:
        if self.scope == "tier" and self.tier is None:
            raise PydanticCustomError("required", "tier is verplicht bij scope 'tier'.")
        if self.scope != "tier" and self.tier is not None:
            raise PydanticCustomError("not-allowed", "tier hoort alleen bij scope 'tier'.")
        if self.scope == "tenants" and not self.tenants:
            raise PydanticCustomError("required", "tenants is verplicht bij scope 'tenants'.")
        if self.scope != "tenants" and self.tenants:
            raise PydanticCustomError("not-allowed", "tenants hoort alleen bij scope 'tenants'.")
        return self


class UpgradeJob(BaseModel):
    status: JobStatus
    progress: int
    current_step: str
    steps_done: list[str]
    attempts: int
    error: str


class TenantUpgradeOut(BaseModel):
    id: uuid.UUID
    campaign_id: uuid.UUID
    tenant_id: uuid.UUID
    slug: str
    name: str
    wave: int | None
    canary: bool
    status: UpgradeStatus
    from_version: str | None
    to_version: str
    job_id: uuid.UUID | None
    job: UpgradeJob | None
    backup_id: uuid.UUID | None
    failed_step: str
    detail: str
    gate: dict[str, object]
    maintenance_seconds: float | None
    started_at: datetime | None
    finished_at: datetime | None


class WaveOut(BaseModel):
    wave: int
    canary: bool
    total: int
    counts: dict[str, int]


class CampaignOut(BaseModel):
    id: uuid.UUID
    release: str
    status: CampaignStatus
    selection: dict[str, object]
    wave_size: int
    wave_pause_seconds: int
    failure_policy: FailurePolicy
    ignore_maintenance_windows: bool
    current_wave: int
    next_wave_at: datetime | None
    halt_reason: str
    created_by: str
    created_at: datetime
    finished_at: datetime | None
    total: int
    counts: dict[str, int] = Field(description="Tenants per upgrade status.")
    progress: int = Field(description="Percentage of tenants finished (upgraded, rolled back, failed or skipped).")
    waves: list[WaveOut]
    tenants: list[TenantUpgradeOut] | None = Field(None, description="Per tenant (on the detail endpoint).")


class CampaignList(BaseModel):
    count: int
    results: list[CampaignOut]


class UpgradeList(BaseModel):
    count: int
    results: list[TenantUpgradeOut]
