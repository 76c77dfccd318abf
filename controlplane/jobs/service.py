"""Creating jobs (with Idempotency-Key replay), handing them to workers after commit, and the per-job lock."""

from __future__ import annotations

import hashlib
import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeVar

import structlog
from sqlalchemy import Engine, event, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from controlplane.accounts.actors import Actor
from controlplane.container import ControlPlane
from controlplane.jobs.models import DURATION_BUCKETS, Job, JobDurations, JobKind, JobStatus
from tenant_runtime.core.problems import Problem

log = structlog.get_logger(__name__)

UNFINISHED = (JobStatus.QUEUED, JobStatus.RUNNING)
R = TypeVar("R")


def fingerprint(method: str, path: str, body: object) -> str:
    return hashlib.sha256(json.dumps([method, path, body], sort_keys=True, default=str).encode()).hexdigest()


def scoped_key(actor: Actor, key: str | None) -> str | None:
    """Idempotency keys are per user: two users never collide on the same key."""
    if key is None:
        return None
    if not 1 <= len(key) <= 200:
        raise Problem(400, "Idempotency-Key moet 1 tot 200 tekens lang zijn.", code="invalid-idempotency-key")
    return f"{actor.user_id or actor.label}:{key}"


def replay(session: Session, key: str | None, request_fingerprint: str) -> Job | None:
    """The job an earlier request with this key created, or None; a different request with the key is refused."""
    return replayed(session, Job, key, request_fingerprint)


def replayed(session: Session, model: type[R], key: str | None, request_fingerprint: str) -> R | None:
    """What an earlier request with this key created (a row of ``model``, which has ``idempotency_key`` and
    ``request_fingerprint`` columns), or None; a different request with the same key is refused."""
    if key is None:
        return None
    found = session.scalar(select(model).where(getattr(model, "idempotency_key") == key))  # noqa: B009
    if found is not None and getattr(found, "request_fingerprint") != request_fingerprint:  # noqa: B009
        raise Problem(
            422,
            "Deze Idempotency-Key is al gebruikt voor een ander verzoek.",
            code="idempotency-key-reused",
            title="Idempotency-Key hergebruikt.",
        )
    return found


def unfinished_job(session: Session, tenant_id: uuid.UUID) -> Job | None:
    return session.scalar(select(Job).where(Job.tenant_id == tenant_id, Job.status.in_(UNFINISHED)).limit(1))


def create(
    session: Session, actor: Actor, kind: JobKind, tenant_id: uuid.UUID, key: str | None, request_fingerprint: str
) -> Job:
    if (busy := unfinished_job(session, tenant_id)) is not None:
        raise Problem(
            409,
            f"Er loopt al een taak ({busy.kind.value}, {busy.status.value}) voor deze gemeente.",
            code="job-in-progress",
        )
    job = Job(
        kind=kind,
        tenant_id=tenant_id,
        idempotency_key=key,
        request_fingerprint=request_fingerprint,
        created_by=actor.label,
        steps_done=[],
    )
    session.add(job)
    session.flush()
    return job


def dispatch_after_commit(cp: ControlPlane, session: Session, job_id: uuid.UUID) -> None:
    """Enqueue the job once the transaction that created it has committed (never a task for a rolled-back job)."""

    def _after_commit(_: Session) -> None:
        try:
            cp.dispatch(job_id)
        except Exception:  # broker unreachable: the job stays queued and the reconciler hands it out later
            log.exception("job_dispatch_failed", job=str(job_id))

    event.listen(session, "after_commit", _after_commit, once=True)


_local_locks: dict[uuid.UUID, threading.Lock] = {}
_local_locks_guard = threading.Lock()


@contextmanager
def job_lock(engine: Engine, job_id: uuid.UUID) -> Iterator[bool]:
    """Try to become the only runner of a job. PostgreSQL: a session advisory lock, released by the server when
    the worker dies (even by SIGKILL); SQLite (one embedded worker): a process-local lock."""
    if engine.dialect.name != "postgresql":
        with _local_locks_guard:
            lock = _local_locks.setdefault(job_id, threading.Lock())
        got = lock.acquire(blocking=False)
        try:
            yield got
        finally:
            if got:
                lock.release()
        return
    key = int.from_bytes(job_id.bytes[:8], "big", signed=True)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        got = bool(connection.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())
        try:
            yield got
        finally:
            if got:
                connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})


def record_duration(session: Session, kind: JobKind, seconds: float) -> None:
    """Add a succeeded job to its kind's duration histogram (in the caller's transaction, the row locked: workers
    finishing jobs of the same kind at once each add theirs)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    empty = {"kind": kind.value, "count": 0, "sum_seconds": 0.0, "buckets": [0] * len(DURATION_BUCKETS)}
    session.execute(dialect.insert(JobDurations).values(**empty).on_conflict_do_nothing(index_elements=["kind"]))
    row = session.get(JobDurations, kind.value, with_for_update=True, populate_existing=True)
    assert row is not None
    row.buckets = [n + (seconds <= bound) for n, bound in zip(row.bucket_counts(), DURATION_BUCKETS, strict=True)]
    row.count += 1
    row.sum_seconds += seconds
