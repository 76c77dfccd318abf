"""Running a job: one runner at a time (lock), steps in order, finished steps skipped, each step committed
with its record; temporary errors are retried by the caller (Celery), others fail the job with a reason."""

from __future__ import annotations

import importlib
import time
import uuid
from functools import cache

import structlog
from sqlalchemy.orm import Session

from controlplane.accounts.actors import SYSTEM
from controlplane.audit import service as audit
from controlplane.container import ControlPlane
from controlplane.drivers.interfaces import TemporaryError
from controlplane.jobs import service
from controlplane.jobs.models import Job, JobKind, JobStatus
from controlplane.tenants import lifecycle
from controlplane.tenants.models import Tenant, TenantState

log = structlog.get_logger(__name__)

MAX_ATTEMPTS = 10
# Modules that define job kinds (``JOB_DEFINITIONS``); each bounded context with jobs adds its own.
JOB_MODULES = ("controlplane.tenants.lifecycle", "controlplane.backups.jobs", "controlplane.releases.jobs")


@cache
def definitions() -> dict[JobKind, lifecycle.JobDefinition]:
    found: dict[JobKind, lifecycle.JobDefinition] = {}
    for name in JOB_MODULES:
        found.update(importlib.import_module(name).JOB_DEFINITIONS)
    return found


def definition(kind: JobKind) -> lifecycle.JobDefinition:
    return definitions()[kind]


class JobBusy(Exception):
    """Another worker holds the job (a re-delivered message while the first delivery still runs)."""


def run(cp: ControlPlane, job_id: uuid.UUID) -> JobStatus:
    """Run (or resume) a job to its end. Raises TemporaryError to be retried, JobBusy when someone else runs it."""
    with service.job_lock(cp.engine, job_id) as locked:
        if not locked:
            raise JobBusy(str(job_id))
        return _run_locked(cp, job_id)


def _start(cp: ControlPlane, session: Session, job: Job, tenant: Tenant) -> None:
    steps = definition(job.kind).steps
    job.status = JobStatus.RUNNING
    job.attempts += 1
    job.steps_total = len(steps)
    job.started_at = job.started_at or cp.clock.now()
    running_state = definition(job.kind).running_state
    if running_state is not None:
        ctx = lifecycle.StepContext(cp, session, job, tenant)
        lifecycle.set_state(ctx, running_state, failure_reason="")


def _run_locked(cp: ControlPlane, job_id: uuid.UUID) -> JobStatus:
    with cp.sessions() as session:
        job = session.get(Job, job_id)
        if job is None:
            log.warning("job_missing", job=str(job_id))
            return JobStatus.FAILED
        if job.status in (JobStatus.SUCCEEDED, JobStatus.FAILED):
            return job.status  # a duplicate delivery of a finished job: nothing to do
        tenant = session.get(Tenant, job.tenant_id)
        assert tenant is not None
        _start(cp, session, job, tenant)
        session.commit()
        log.info("job_started", job=str(job.id), kind=job.kind.value, tenant=tenant.slug, attempt=job.attempts)
    for name, step in definition(job.kind).steps:
        with cp.sessions() as session:
            step_job = session.get(Job, job_id)
            assert step_job is not None
            job = step_job
            step_tenant = session.get(Tenant, job.tenant_id)
            assert step_tenant is not None
            tenant = step_tenant
            if name in (job.steps_done or []):
                continue
            job.current_step = name
            job.detail = ""
            session.commit()
            started = time.monotonic()
            try:
                step(lifecycle.StepContext(cp, session, job, tenant))
            except TemporaryError as exc:
                session.rollback()
                if job.attempts >= MAX_ATTEMPTS:
                    return _fail(cp, job_id, name, f"{exc} (na {job.attempts} pogingen)")
                job.error = f"poging {job.attempts}: {exc}"
                session.commit()
                log.warning("job_step_retry", job=str(job_id), step=name, reason=str(exc), delay=exc.delay)
                raise
            except Exception as exc:
                session.rollback()
                log.exception("job_step_failed", job=str(job_id), step=name)
                return _fail(cp, job_id, name, f"{type(exc).__name__}: {exc}")
            job.steps_done = [*(job.steps_done or []), name]
            session.commit()
            log.info(
                "job_step_done",
                job=str(job_id),
                step=name,
                tenant=tenant.slug,
                duration_ms=round((time.monotonic() - started) * 1000),
            )
    with cp.sessions() as session:
        final = session.get(Job, job_id)
        assert final is not None
        job = final
        job.status = JobStatus.SUCCEEDED
        job.current_step = ""
        job.detail = ""
        job.error = ""
        job.finished_at = cp.clock.now()
        if job.duration_seconds is not None:
            service.record_duration(session, job.kind, job.duration_seconds)
        session.commit()
        log.info("job_succeeded", job=str(job_id), kind=job.kind.value, duration_s=job.duration_seconds)
        return JobStatus.SUCCEEDED


def _fail(cp: ControlPlane, job_id: uuid.UUID, step: str, reason: str) -> JobStatus:
    with cp.sessions() as session:
        job = session.get(Job, job_id)
        assert job is not None
        tenant = session.get(Tenant, job.tenant_id)
        assert tenant is not None
        job.status = JobStatus.FAILED
        job.error = f"{step}: {reason}"[:4000]
        job.finished_at = cp.clock.now()
        kind = definition(job.kind)
        ctx = lifecycle.StepContext(cp, session, job, tenant)
        if kind.fails_tenant(job):
            lifecycle.set_state(ctx, TenantState.FAILED, failure_reason=f"{job.kind.value} ({job.error})"[:4000])
        if kind.on_failure is not None:
            kind.on_failure(ctx)
        audit.record(
            session,
            SYSTEM,
            "job.failed",
            target_type="job",
            target_id=job.id,
            tenant_id=tenant.id,
            after={"kind": job.kind, "step": step, "error": job.error},
        )
        session.commit()
        log.error("job_failed", job=str(job_id), kind=job.kind.value, tenant=tenant.slug, step=step, reason=reason)
        return JobStatus.FAILED
