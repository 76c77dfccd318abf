"""Request and response bodies of the backups API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from controlplane.backups.models import (
    Backup,
    BackupKind,
    BackupStatus,
    Drill,
    Export,
    ExportStatus,
    Restore,
    RestoreMode,
    RunStatus,
)
from controlplane.jobs.schemas import JobOut
from controlplane.tenants.schemas import Gemeentecode, Rsin, Slug


class BackupCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field("", max_length=500, description="Why the backup is taken (shown in the list).")


class CloneTarget(BaseModel):
    """The new tenant a backup is restored into (a clone, e.g. a test environment)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=2, max_length=200, description="Name of the new environment.")
    gemeentecode: Gemeentecode = Field(description="CBS gemeentecode of the new tenant (unique per tenant).")
    slug: Slug | None = Field(None, description="Host/path name; derived from the name when omitted.")
    rsin: Rsin | None = Field(None, description="RSIN; the source tenant's when omitted.")
    inhabitants: int | None = Field(None, ge=1, le=2_000_000, description="The source tenant's when omitted.")
    plan: str | None = Field(None, min_length=1, max_length=63, description="Plan code; the source's when omitted.")


class RestoreCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mode: RestoreMode = Field(description="in_place: replace the tenant's data; new_tenant: a clone (operators).")
    target: CloneTarget | None = Field(None, description="The new tenant (new_tenant only).")
    reason: str = Field("", max_length=500)


class PolicyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    interval_hours: int = Field(ge=0, le=24 * 31, description="Hours between scheduled backups (0: none).")
    keep_daily: int = Field(ge=0, le=366, description="Keep the newest backup of each of the last N days.")
    keep_weekly: int = Field(ge=0, le=520, description="Keep the newest backup of each of the last N ISO weeks.")
    keep_monthly: int = Field(ge=0, le=240, description="Keep the newest backup of each of the last N months.")
    drills_enabled: bool = Field(True, description="Run restore drills for this plan's tenants.")


class PolicyOut(PolicyIn):
    plan: str
    from_plan: bool = Field(description="False: the plan has no policy of its own and the defaults apply.")


class BackupOut(BaseModel):
    id: uuid.UUID
    tenant_id: uuid.UUID
    kind: BackupKind
    status: BackupStatus
    reason: str
    job_id: uuid.UUID | None
    requested_by: str
    target: str
    stored_bytes: int
    database_bytes: int
    documents_count: int
    documents_bytes: int
    runtime_version: str
    schema_heads: list[str]
    record_counts: dict[str, int]
    error: str
    created_at: datetime
    snapshot_at: datetime | None
    completed_at: datetime | None
    duration_seconds: float | None
    deleted_at: datetime | None
    manifest: dict[str, Any] | None = Field(None, description="Summary of the stored manifest (detail only).")

    @classmethod
    def of(cls, backup: Backup, *, detail: bool = False) -> BackupOut:
        return cls(
            id=backup.id,
            tenant_id=backup.tenant_id,
            kind=backup.kind,
            status=backup.status,
            reason=backup.reason,
            job_id=backup.job_id,
            requested_by=backup.requested_by,
            target=backup.target,
            stored_bytes=backup.stored_bytes,
            database_bytes=backup.database_bytes,
            documents_count=backup.documents_count,
            documents_bytes=backup.documents_bytes,
            runtime_version=backup.runtime_version,
            schema_heads=list(backup.schema_heads or []),
            record_counts=dict(backup.record_counts or {}),
            error=backup.error,
            created_at=backup.created_at,
            snapshot_at=backup.snapshot_at,
            completed_at=backup.completed_at,
            duration_seconds=backup.duration_seconds,
            deleted_at=backup.deleted_at,
            manifest=backup.manifest if detail else None,
        )


class BackupList(BaseModel):
    count: int
    results: list[BackupOut]


class BackupWithJob(BaseModel):
    backup: BackupOut
    job: JobOut


class RestoreOut(BaseModel):
    id: uuid.UUID
    backup_id: uuid.UUID
    source_tenant_id: uuid.UUID
    target_tenant_id: uuid.UUID
    mode: RestoreMode
    status: RunStatus
    job_id: uuid.UUID | None
    requested_by: str
    reason: str
    record_counts: dict[str, int]
    error: str
    created_at: datetime
    started_at: datetime | None
    maintenance_started_at: datetime | None
    maintenance_ended_at: datetime | None
    completed_at: datetime | None

    @classmethod
    def of(cls, restore: Restore) -> RestoreOut:
        return cls.model_validate(restore, from_attributes=True)


class RestoreWithJob(BaseModel):
    restore: RestoreOut
    job: JobOut


class RestoreList(BaseModel):
    count: int
    results: list[RestoreOut]


class DrillOut(BaseModel):
    id: uuid.UUID
    tenant_id: uuid.UUID
    backup_id: uuid.UUID
    job_id: uuid.UUID | None
    scratch_slug: str
    status: RunStatus
    expected_counts: dict[str, int]
    actual_counts: dict[str, int]
    checks: list[dict[str, Any]]
    rto_seconds: float | None = Field(description="Measured: start of the restore until the scratch tenant answered.")
    rpo_seconds: float | None = Field(description="Age of the backup's data when the drill started.")
    cleaned_up: bool
    error: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def of(cls, drill: Drill) -> DrillOut:
        return cls.model_validate(drill, from_attributes=True)


class DrillWithJob(BaseModel):
    drill: DrillOut
    job: JobOut


class DrillList(BaseModel):
    count: int
    results: list[DrillOut]


class ExportOut(BaseModel):
    id: uuid.UUID
    tenant_id: uuid.UUID
    job_id: uuid.UUID | None
    status: ExportStatus
    requested_by: str
    size_bytes: int
    sha256: str
    documents_count: int
    record_counts: dict[str, int]
    error: str
    created_at: datetime
    completed_at: datetime | None
    expires_at: datetime | None
    download_url: str | None

    @classmethod
    def of(cls, export: Export) -> ExportOut:
        ready = export.status is ExportStatus.READY
        return cls(
            id=export.id,
            tenant_id=export.tenant_id,
            job_id=export.job_id,
            status=export.status,
            requested_by=export.requested_by,
            size_bytes=export.size_bytes,
            sha256=export.sha256,
            documents_count=export.documents_count,
            record_counts=dict(export.record_counts or {}),
            error=export.error,
            created_at=export.created_at,
            completed_at=export.completed_at,
            expires_at=export.expires_at,
            download_url=f"/api/v1/exports/{export.id}/download" if ready else None,
        )


class ExportWithJob(BaseModel):
    export: ExportOut
    job: JobOut


class ExportList(BaseModel):
    count: int
    results: list[ExportOut]
