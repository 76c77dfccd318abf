"""Backups of tenants, restores of them, restore drills, exports, the backup policy of each plan and each
tenant's wrapped data key."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Enum,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from controlplane.accounts.models import utcnow
from controlplane.db import Base, UtcDateTime


def _values(e: type[enum.Enum]) -> list[str]:
    return [str(m.value) for m in e]


def _enum(e: type[enum.Enum]) -> Enum:
    return Enum(e, native_enum=False, length=20, values_callable=_values)


class BackupKind(enum.StrEnum):
    SCHEDULED = "scheduled"  # from the plan's interval
    ON_DEMAND = "on_demand"  # an operator or the municipality's admin asked for it
    SYSTEM = "system"  # taken by the platform itself, e.g. before an upgrade (``backup_now``)


class BackupStatus(enum.StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"  # complete: every object written, read back and checked, manifest stored
    FAILED = "failed"
    DELETED = "deleted"  # removed by retention (the record stays for the history)


class RestoreMode(enum.StrEnum):
    IN_PLACE = "in_place"  # the backup replaces the tenant's data (briefly in maintenance)
    NEW_TENANT = "new_tenant"  # a clone: a new tenant with the backup's data (e.g. a test environment)


class RunStatus(enum.StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class ExportStatus(enum.StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    READY = "ready"
    FAILED = "failed"
    EXPIRED = "expired"


class BackupPolicy(Base):
    """How often a plan's tenants are backed up and which backups are kept (absent: the settings' defaults)."""

    __tablename__ = "backup_policies"

    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), primary_key=True)
    interval_hours: Mapped[int] = mapped_column(Integer)  # 0: no scheduled backups
    keep_daily: Mapped[int] = mapped_column(Integer)
    keep_weekly: Mapped[int] = mapped_column(Integer)
    keep_monthly: Mapped[int] = mapped_column(Integer)
    drills_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)


class TenantBackupKey(Base):
    """The tenant's data key, wrapped (encrypted) by the platform key; the plain key is never stored."""

    __tablename__ = "tenant_backup_keys"

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"), primary_key=True)
    wrapped_key: Mapped[str] = mapped_column(Text)
    platform_key_id: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Backup(Base):
    __tablename__ = "backups"
    __table_args__ = (UniqueConstraint("tenant_id", "key", name="uq_backups_tenant_key"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"), index=True)
    kind: Mapped[BackupKind] = mapped_column(_enum(BackupKind))
    status: Mapped[BackupStatus] = mapped_column(_enum(BackupStatus), default=BackupStatus.PENDING, index=True)
    reason: Mapped[str] = mapped_column(String(500), default="")
    # Idempotency per tenant: ``backup_now(key=...)``, the schedule's slot, or an Idempotency-Key.
    key: Mapped[str] = mapped_column(String(255))
    job_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("jobs.id"), default=None, index=True)
    requested_by: Mapped[str] = mapped_column(String(254), default="")
    target: Mapped[str] = mapped_column(String(500), default="")  # where it is stored (no secrets)
    prefix: Mapped[str] = mapped_column(String(500), default="")  # key prefix of its objects in the target
    stored_bytes: Mapped[int] = mapped_column(BigInteger, default=0)  # all objects, encrypted, with manifest
    database_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    documents_count: Mapped[int] = mapped_column(Integer, default=0)
    documents_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    runtime_version: Mapped[str] = mapped_column(String(40), default="")
    schema_heads: Mapped[list[str]] = mapped_column(JSON, default=list)
    record_counts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    manifest: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, index=True)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    snapshot_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)  # the data's moment
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    deleted_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at is None or self.completed_at is None:
            return None
        return (self.completed_at - self.started_at).total_seconds()


class Restore(Base):
    __tablename__ = "restores"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    backup_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("backups.id"), index=True)
    source_tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"), index=True)
    target_tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"), index=True)
    mode: Mapped[RestoreMode] = mapped_column(_enum(RestoreMode))
    status: Mapped[RunStatus] = mapped_column(_enum(RunStatus), default=RunStatus.PENDING, index=True)
    job_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("jobs.id"), default=None, index=True)
    requested_by: Mapped[str] = mapped_column(String(254), default="")
    reason: Mapped[str] = mapped_column(String(500), default="")
    record_counts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)  # counted after the restore
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    maintenance_started_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    maintenance_ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)


class Drill(Base):
    """A restore drill: the latest backup restored into a scratch tenant, checked, timed and removed."""

    __tablename__ = "restore_drills"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"), index=True)
    backup_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("backups.id"), index=True)
    job_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("jobs.id"), default=None, index=True)
    scratch_slug: Mapped[str] = mapped_column(String(63))
    status: Mapped[RunStatus] = mapped_column(_enum(RunStatus), default=RunStatus.PENDING, index=True)
    expected_counts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)  # from the manifest
    actual_counts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)  # through the ZGW APIs
    checks: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # smoke calls and comparisons
    rto_seconds: Mapped[float | None] = mapped_column(Float, default=None)  # restore until answering ZGW calls
    rpo_seconds: Mapped[float | None] = mapped_column(Float, default=None)  # age of the backup at the drill
    cleaned_up: Mapped[bool] = mapped_column(Boolean, default=False)
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, index=True)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)


class Export(Base):
    """A complete export of a tenant's data for download (database dump + documents + JSON index)."""

    __tablename__ = "exports"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"), index=True)
    job_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("jobs.id"), default=None, index=True)
    status: Mapped[ExportStatus] = mapped_column(_enum(ExportStatus), default=ExportStatus.PENDING, index=True)
    requested_by: Mapped[str] = mapped_column(String(254), default="")
    object_key: Mapped[str] = mapped_column(String(500), default="")  # encrypted at rest in the backup target
    size_bytes: Mapped[int] = mapped_column(BigInteger, default=0)  # of the downloadable archive
    sha256: Mapped[str] = mapped_column(String(64), default="")  # of the downloadable archive
    documents_count: Mapped[int] = mapped_column(Integer, default=0)
    record_counts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, index=True)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
