"""Durable jobs: long-running work (provisioning and the other lifecycle transitions) with recorded steps."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import JSON, BigInteger, Enum, Float, ForeignKey, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from controlplane.accounts.models import utcnow
from controlplane.db import Base, UtcDateTime


class JobKind(enum.StrEnum):
    PROVISION = "provision"
    SUSPEND = "suspend"
    RESUME = "resume"
    DEPROVISION = "deprovision"
    PURGE = "purge"  # drop the data of a deprovisioned tenant once its retention has passed
    UPGRADE = "upgrade"  # controlplane.releases: one tenant's upgrade in a campaign (backup … health gate, rollback)
    BACKUP = "backup"  # controlplane.backups: database dump + document objects, encrypted, to the backup target
    RESTORE = "restore"  # a backup restored in place (the tenant briefly in maintenance)
    CLONE = "clone"  # a backup restored into a new tenant
    DRILL = "drill"  # the latest backup restored into a scratch tenant, checked, timed and removed
    EXPORT = "export"  # a downloadable export of the tenant's data


class JobStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


def _values(e: type[enum.Enum]) -> list[str]:
    return [str(m.value) for m in e]


# Upper bounds (seconds) of the job duration histogram's buckets (``JobDurations.buckets``, in this order; other
# bounds need a migration that recounts the table from the jobs, like cpmt0001's).
DURATION_BUCKETS = (1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0)


class JobDurations(Base):
    """The duration histogram of succeeded jobs of one kind, kept as they succeed: the runner adds a job in the
    transaction that marks it succeeded, so a metrics scrape reads one row per kind, not every job."""

    __tablename__ = "job_durations"

    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger, default=0)
    sum_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    buckets: Mapped[list[int]] = mapped_column(JSON, default=list)  # cumulative count per DURATION_BUCKETS bound

    def bucket_counts(self) -> list[int]:
        """The cumulative count per ``DURATION_BUCKETS`` bound (a bound added later starts at 0)."""
        return [*(self.buckets or []), *[0] * len(DURATION_BUCKETS)][: len(DURATION_BUCKETS)]


class Job(Base):
    __tablename__ = "jobs"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    kind: Mapped[JobKind] = mapped_column(Enum(JobKind, native_enum=False, length=20, values_callable=_values))
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"), index=True)
    status: Mapped[JobStatus] = mapped_column(
        Enum(JobStatus, native_enum=False, length=20, values_callable=_values), default=JobStatus.QUEUED, index=True
    )
    steps_total: Mapped[int] = mapped_column(Integer, default=0)
    steps_done: Mapped[list[str]] = mapped_column(JSON, default=list)  # names of finished steps, in order
    current_step: Mapped[str] = mapped_column(String(63), default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    # Progress of the current step while it waits (e.g. "API 1/2 beschikbaar"); cleared when the step ends.
    detail: Mapped[str] = mapped_column(String(500), default="", server_default="")
    # Same Idempotency-Key (per user) → same job; the fingerprint tells a replay from a different request.
    idempotency_key: Mapped[str | None] = mapped_column(String(255), unique=True, default=None)
    request_fingerprint: Mapped[str] = mapped_column(String(64), default="")
    created_by: Mapped[str] = mapped_column(String(254), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)

    @property
    def progress(self) -> int:
        """Percentage of finished steps."""
        if self.status is JobStatus.SUCCEEDED:
            return 100
        return int(100 * len(self.steps_done or []) / self.steps_total) if self.steps_total else 0

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class JobRetry(Base):
    """A ``POST /tenants/{id}/retry`` that reopened a failed job: its Idempotency-Key (per user) replays it."""

    __tablename__ = "job_retries"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("jobs.id"), index=True)
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    request_fingerprint: Mapped[str] = mapped_column(String(64), default="")
    created_by: Mapped[str] = mapped_column(String(254), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
