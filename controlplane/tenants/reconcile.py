"""Level-based reconciliation: compare each tenant's desired state with what the runtime actually has, in
locked batches (``FOR UPDATE SKIP LOCKED``) so several beat/worker processes share the work."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import structlog
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from controlplane.accounts.actors import SYSTEM
from controlplane.audit import service as audit
from controlplane.container import ControlPlane
from controlplane.credentials import service as credentials
from controlplane.drivers.interfaces import RuntimeStatus
from controlplane.jobs import service as jobs
from controlplane.jobs.models import Job, JobKind, JobStatus
from controlplane.tenants.models import Health, Tenant, TenantState

log = structlog.get_logger(__name__)

DESIRED_STATUS = {TenantState.ACTIVE: RuntimeStatus.ACTIVE, TenantState.SUSPENDED: RuntimeStatus.SUSPENDED}
STALE_JOB_AFTER = timedelta(minutes=2)


@dataclass
class ReconcileReport:
    checked: int = 0
    repaired: dict[str, list[str]] = field(default_factory=dict)
    reported: dict[str, list[str]] = field(default_factory=dict)
    orphan_databases: list[str] = field(default_factory=list)
    requeued_jobs: list[str] = field(default_factory=list)
    purges_scheduled: list[str] = field(default_factory=list)


def _reconcile_tenant(cp: ControlPlane, session: Session, tenant: Tenant, report: ReconcileReport) -> None:
    spec = credentials.spec_of(tenant)
    desired = DESIRED_STATUS[tenant.state]
    observed = cp.driver.observe(spec)
    repaired: list[str] = []
    problems: list[str] = []
    if not observed.database_exists:
        # Never recreate an empty database under a live tenant: that would hide data loss. Report it.
        problems.append("tenant database missing")
    else:
        if not observed.schema_current:
            cp.driver.migrate(spec)
            repaired.append("schema migrated")
        if not observed.registered or observed.status is not desired or not observed.registered_database_matches:
            cp.driver.register(spec, desired)
            repaired.append(f"registry set to {desired.value}")
        if observed.runtime_drift:  # the tenant's own runtime (dedicated) differs: apply it as desired again
            cp.driver.deploy_runtime(spec, desired)
            repaired.append(f"runtime restored ({', '.join(observed.runtime_drift)})")
        cp.driver.push_clients(spec, credentials.all_clients(cp, session, tenant))
    tenant.health = Health.DRIFT if problems else Health.OK
    tenant.health_detail = "; ".join(problems + repaired)
    tenant.health_checked_at = cp.clock.now()
    if repaired:
        report.repaired[tenant.slug] = repaired
        audit.record(
            session, SYSTEM, "tenant.drift_repaired", target_type="tenant", target_id=tenant.slug,
            tenant_id=tenant.id, after={"repaired": repaired},
        )  # fmt: skip
    if problems:
        report.reported[tenant.slug] = problems
        log.warning("tenant_drift", tenant=tenant.slug, problems=problems)


def reconcile_batch(cp: ControlPlane, batch_size: int = 50) -> ReconcileReport:
    """Reconcile the least recently checked live tenants, skipping those another process holds or a job runs on."""
    report = ReconcileReport()
    with cp.sessions() as session:
        busy = select(Job.tenant_id).where(Job.status.in_(jobs.UNFINISHED))
        tenants = session.scalars(
            select(Tenant)
            .where(Tenant.state.in_(list(DESIRED_STATUS)), Tenant.id.not_in(busy))
            .order_by(Tenant.health_checked_at.asc().nulls_first())
            .limit(batch_size)
            .with_for_update(skip_locked=True, of=Tenant)
        ).unique()
        for tenant in tenants:
            report.checked += 1
            try:
                _reconcile_tenant(cp, session, tenant, report)
            except Exception as exc:  # one broken tenant must not stop the batch
                log.exception("tenant_reconcile_failed", tenant=tenant.slug)
                tenant.health = Health.DRIFT
                tenant.health_detail = f"reconcile failed: {type(exc).__name__}"
                tenant.health_checked_at = cp.clock.now()
                report.reported[tenant.slug] = [tenant.health_detail]
        session.commit()
    report.orphan_databases = orphan_databases(cp)
    report.requeued_jobs = requeue_stale_jobs(cp)
    if report.orphan_databases:
        log.warning("orphan_tenant_databases", databases=report.orphan_databases)
    return report


def orphan_databases(cp: ControlPlane) -> list[str]:
    """Tenant databases on the server that no (undeleted) tenant owns."""
    with cp.sessions() as session:
        tenants = session.scalars(select(Tenant).where(Tenant.state != TenantState.DELETED))
        expected = {cp.driver.database_name(credentials.spec_of(t)) for t in tenants}
    return sorted(cp.driver.managed_databases() - expected)


def requeue_stale_jobs(cp: ControlPlane) -> list[str]:
    """Unfinished jobs nobody runs (no lock holder) and untouched for a while: hand them to a worker again.
    A backstop for a lost message; the job lock and the recorded steps make a duplicate harmless."""
    requeued: list[str] = []
    cutoff = cp.clock.now() - STALE_JOB_AFTER
    with cp.sessions() as session:
        stale = session.scalars(
            select(Job).where(Job.status.in_(jobs.UNFINISHED), Job.updated_at < cutoff).limit(100)
        ).all()
        for job in stale:
            with jobs.job_lock(cp.engine, job.id) as free:
                if free:
                    requeued.append(str(job.id))
    for job_id in requeued:
        import uuid

        cp.dispatch(uuid.UUID(job_id))
    return requeued


def schedule_due_purges(cp: ControlPlane) -> list[str]:
    """Start a purge job for every deprovisioned tenant whose retention has passed (by the injected clock)."""
    scheduled: list[str] = []
    with cp.sessions() as session:
        purging = select(Job.tenant_id).where(
            Job.kind == JobKind.PURGE, or_(Job.status.in_(jobs.UNFINISHED), Job.status == JobStatus.SUCCEEDED)
        )
        due = (
            session.scalars(
                select(Tenant)
                .where(
                    Tenant.state == TenantState.DEPROVISIONING,
                    Tenant.retention_until.is_not(None),
                    Tenant.retention_until <= cp.clock.now(),
                    Tenant.id.not_in(purging),
                    Tenant.id.not_in(select(Job.tenant_id).where(Job.status.in_(jobs.UNFINISHED))),
                )
                .with_for_update(skip_locked=True, of=Tenant)
            )
            .unique()
            .all()
        )
        for tenant in due:
            job = jobs.create(session, SYSTEM, JobKind.PURGE, tenant.id, None, "")
            audit.record(
                session, SYSTEM, "tenant.purge_requested", target_type="tenant", target_id=tenant.slug,
                tenant_id=tenant.id, after={"job": job.id, "retention_until": tenant.retention_until},
            )  # fmt: skip
            jobs.dispatch_after_commit(cp, session, job.id)
            scheduled.append(tenant.slug)
        session.commit()
    return scheduled
