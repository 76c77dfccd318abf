"""The release catalogue, each tenant's release (and pin), upgrade campaigns and each tenant's upgrade in one."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import JSON, Boolean, Enum, Float, ForeignKey, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from controlplane.accounts.models import utcnow
from controlplane.db import Base, UtcDateTime
from controlplane.drivers.interfaces import ReleaseSpec


def _values(e: type[enum.Enum]) -> list[str]:
    return [str(m.value) for m in e]


def _enum(e: type[enum.Enum], length: int = 20) -> Enum:
    return Enum(e, native_enum=False, length=length, values_callable=_values)


class ReleaseStatus(enum.StrEnum):
    DRAFT = "draft"  # being described; campaigns and pins cannot use it
    AVAILABLE = "available"  # may be rolled out and pinned
    WITHDRAWN = "withdrawn"  # no new campaigns or pins; tenants on it stay until upgraded


class Release(Base):
    """A runtime version: the code (image / package version) and the tenant-schema heads that code needs."""

    __tablename__ = "releases"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    version: Mapped[str] = mapped_column(String(40), unique=True)
    image: Mapped[str] = mapped_column(String(500), default="")  # container image (Kubernetes driver)
    package_version: Mapped[str] = mapped_column(String(40), default="")  # what its runtime's /healthz reports
    pool: Mapped[str] = mapped_column(String(63))  # the shared-tier pool that runs this release
    schema_heads: Mapped[list[str]] = mapped_column(JSON, default=list)
    migration_paths: Mapped[list[str]] = mapped_column(JSON, default=list)  # version dirs beyond the package's
    reversible: Mapped[bool] = mapped_column(Boolean, default=True)  # the upgrade to it can be downgraded
    notes: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[ReleaseStatus] = mapped_column(_enum(ReleaseStatus), default=ReleaseStatus.DRAFT)
    created_by: Mapped[str] = mapped_column(String(254), default="")
    available_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)

    def spec(self) -> ReleaseSpec:
        return ReleaseSpec(
            version=self.version,
            image=self.image,
            pool=self.pool,
            package_version=self.package_version,
            schema_heads=tuple(sorted(self.schema_heads or [])),
            migration_paths=tuple(self.migration_paths or []),
        )


class TenantRelease(Base):
    """Which release serves a tenant, the one before it (rollback target) and a pin (campaigns skip the tenant
    unless they bring it to the pinned version). No row: the release shipped with this control plane."""

    __tablename__ = "tenant_releases"

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"), primary_key=True)
    release_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("releases.id"))
    previous_release_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("releases.id"), default=None)
    pinned_release_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("releases.id"), default=None)
    pinned_by: Mapped[str] = mapped_column(String(254), default="")
    pin_reason: Mapped[str] = mapped_column(String(500), default="")
    pinned_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)

    release: Mapped[Release] = relationship(foreign_keys=[release_id], lazy="joined")
    previous_release: Mapped[Release | None] = relationship(foreign_keys=[previous_release_id], lazy="joined")
    pinned_release: Mapped[Release | None] = relationship(foreign_keys=[pinned_release_id], lazy="joined")


class CampaignStatus(enum.StrEnum):
    RUNNING = "running"
    PAUSED = "paused"  # by an operator; resumes where it stopped
    HALTED = "halted"  # a canary failed, or a tenant failed under the halt policy; needs an operator
    COMPLETED = "completed"  # every selected tenant upgraded, rolled back or skipped
    CANCELLED = "cancelled"


ACTIVE_CAMPAIGN = (CampaignStatus.RUNNING, CampaignStatus.PAUSED)


class FailurePolicy(enum.StrEnum):
    CONTINUE = "continue"  # a failed tenant (after the canaries) is rolled back and the campaign goes on
    HALT = "halt"  # the first failed tenant halts the campaign after its wave


class Campaign(Base):
    """Rolling a release out to a selection of tenants: canaries first, then waves with a pause in between."""

    __tablename__ = "campaigns"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    release_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("releases.id"), index=True)
    selection: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)  # as requested
    wave_size: Mapped[int] = mapped_column(Integer)
    wave_pause_seconds: Mapped[int] = mapped_column(Integer)
    failure_policy: Mapped[FailurePolicy] = mapped_column(_enum(FailurePolicy))
    ignore_maintenance_windows: Mapped[bool] = mapped_column(Boolean, default=False)  # emergency override
    status: Mapped[CampaignStatus] = mapped_column(_enum(CampaignStatus), default=CampaignStatus.RUNNING, index=True)
    current_wave: Mapped[int] = mapped_column(Integer, default=0)  # 0: the canaries (when there are any)
    next_wave_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    halt_reason: Mapped[str] = mapped_column(Text, default="")
    idempotency_key: Mapped[str | None] = mapped_column(String(255), unique=True, default=None)
    request_fingerprint: Mapped[str] = mapped_column(String(64), default="")
    created_by: Mapped[str] = mapped_column(String(254), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)

    release: Mapped[Release] = relationship(lazy="joined")


class UpgradeStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for its wave (and maintenance window)
    RUNNING = "running"  # its upgrade job runs
    UPGRADED = "upgraded"
    ROLLED_BACK = "rolled_back"  # the upgrade failed and the previous release serves the tenant again
    FAILED = "failed"  # the upgrade and its rollback failed: the tenant needs an operator
    SKIPPED = "skipped"  # pinned, not active, or already on the release


FINISHED_UPGRADE = (UpgradeStatus.UPGRADED, UpgradeStatus.ROLLED_BACK, UpgradeStatus.FAILED, UpgradeStatus.SKIPPED)


class TenantUpgrade(Base):
    """One tenant's upgrade within a campaign: its wave, job, pre-upgrade backup and outcome."""

    __tablename__ = "tenant_upgrades"
    __table_args__ = (UniqueConstraint("campaign_id", "tenant_id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    campaign_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("campaigns.id"), index=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)  # order within the campaign
    canary: Mapped[bool] = mapped_column(Boolean, default=False)
    wave: Mapped[int | None] = mapped_column(Integer, default=None)  # assigned when its wave starts
    status: Mapped[UpgradeStatus] = mapped_column(_enum(UpgradeStatus), default=UpgradeStatus.PENDING, index=True)
    from_release_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("releases.id"), default=None)
    to_release_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("releases.id"))
    job_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("jobs.id"), default=None, index=True)
    backup_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)  # controlplane.backups
    failed_step: Mapped[str] = mapped_column(String(63), default="")
    detail: Mapped[str] = mapped_column(Text, default="")  # why it failed, was skipped or rolled back
    gate: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)  # what the health gate measured
    maintenance_started_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    maintenance_seconds: Mapped[float | None] = mapped_column(Float, default=None)  # the tenant answered 503
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)

    campaign: Mapped[Campaign] = relationship(lazy="joined")
    to_release: Mapped[Release] = relationship(foreign_keys=[to_release_id], lazy="joined")
    from_release: Mapped[Release | None] = relationship(foreign_keys=[from_release_id], lazy="joined")
