"""The steps of each lifecycle job. Every step is idempotent; a step that only changes the control-plane
database commits together with the job's record of it being done, so a re-run never repeats it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import structlog
from sqlalchemy import update
from sqlalchemy.orm import Session

from controlplane.accounts.actors import SYSTEM, Actor
from controlplane.accounts.models import utcnow
from controlplane.audit import service as audit
from controlplane.container import ControlPlane
from controlplane.credentials import service as credentials
from controlplane.drivers.interfaces import RuntimeStatus
from controlplane.jobs.models import Job, JobKind
from controlplane.tenants.models import Health, Tenant, TenantState, Tier
from controlplane.usage import service as usage

log = structlog.get_logger(__name__)


@dataclass
class StepContext:
    cp: ControlPlane
    session: Session
    job: Job
    tenant: Tenant

    def report(self, detail: str) -> None:
        """Show a waiting step's progress with the job at once (its own transaction; it also keeps the job from
        looking stale to the reconciler)."""
        with self.cp.sessions() as session:
            session.execute(update(Job).where(Job.id == self.job.id).values(detail=detail[:500], updated_at=utcnow()))
            session.commit()


StepFn = Callable[[StepContext], None]


def _never(_: Job) -> bool:
    return False


def _always(_: Job) -> bool:
    return True


@dataclass(frozen=True)
class JobDefinition:
    """How the runner runs one job kind: its steps in order, the tenant state while it runs, whether its failure
    puts the tenant in ``failed`` (asked with the failed job, so it can depend on the steps done), and what else
    to record when it fails (e.g. a backup marked failed). Each context lists its kinds in ``JOB_DEFINITIONS``."""

    steps: list[tuple[str, StepFn]]
    running_state: TenantState | None = None
    fails_tenant: Callable[[Job], bool] = _never
    on_failure: StepFn | None = None


def set_state(ctx: StepContext, state: TenantState, **changes: object) -> None:
    tenant = ctx.tenant
    before = tenant.state
    tenant.state = state
    for name, value in changes.items():
        setattr(tenant, name, value)
    if before is not state:
        actor = Actor(SYSTEM.label, None, via="task", request_id=f"job:{ctx.job.id}")
        audit.record(
            ctx.session,
            actor,
            "tenant.state_changed",
            target_type="tenant",
            target_id=tenant.slug,
            tenant_id=tenant.id,
            before={"status": before},
            after={"status": state, "job": str(ctx.job.id), "kind": ctx.job.kind},
        )
        log.info("tenant_state_changed", tenant=tenant.slug, before=before.value, after=state.value)


# --- provisioning ---------------------------------------------------------------------------------
def create_database(ctx: StepContext) -> None:
    ctx.cp.driver.create_database(credentials.spec_of(ctx.tenant))


def migrate(ctx: StepContext) -> None:
    ctx.cp.driver.migrate(credentials.spec_of(ctx.tenant))


def seed_credentials(ctx: StepContext) -> None:
    ctx.cp.driver.push_clients(
        credentials.spec_of(ctx.tenant), credentials.all_clients(ctx.cp, ctx.session, ctx.tenant)
    )


def register_active(ctx: StepContext) -> None:
    ctx.cp.driver.register(credentials.spec_of(ctx.tenant), RuntimeStatus.ACTIVE)


def deploy_runtime(ctx: StepContext) -> None:
    if ctx.tenant.tier is Tier.DEDICATED:  # its own runtime ships usage with a token of its own account
        usage.dedicated_runtime_account(ctx.session, SYSTEM, ctx.cp.settings.secret_key, ctx.tenant)
    ctx.cp.driver.deploy_runtime(credentials.spec_of(ctx.tenant), RuntimeStatus.ACTIVE)


def wait_ready(ctx: StepContext) -> None:
    ctx.cp.driver.wait_ready(credentials.spec_of(ctx.tenant), ctx.report)


def verify(ctx: StepContext) -> None:
    ctx.cp.driver.verify(
        credentials.spec_of(ctx.tenant), credentials.PLATFORM_CLIENT_ID, credentials.platform_secret(ctx.cp, ctx.tenant)
    )


def activate(ctx: StepContext) -> None:
    # Credentials created while provisioning ran are pushed here as well (idempotent).
    seed_credentials(ctx)
    set_state(
        ctx,
        TenantState.ACTIVE,
        failure_reason="",
        health=Health.OK,  # the verification call just succeeded
        health_detail="",
        health_checked_at=ctx.cp.clock.now(),
        runtime_version=ctx.cp.driver.runtime_version(),
        api_base_url=ctx.cp.driver.api_base_url(credentials.spec_of(ctx.tenant)),
    )


# --- suspend / resume -----------------------------------------------------------------------------
def runtime_suspend(ctx: StepContext) -> None:
    spec = credentials.spec_of(ctx.tenant)
    ctx.cp.driver.register(spec, RuntimeStatus.SUSPENDED)  # the runtime answers 403 from now on
    ctx.cp.driver.deploy_runtime(spec, RuntimeStatus.SUSPENDED)  # its own runtime (dedicated) scales to zero


def mark_suspended(ctx: StepContext) -> None:
    set_state(ctx, TenantState.SUSPENDED)


def runtime_resume(ctx: StepContext) -> None:
    spec = credentials.spec_of(ctx.tenant)
    ctx.cp.driver.deploy_runtime(spec, RuntimeStatus.ACTIVE)
    ctx.cp.driver.register(spec, RuntimeStatus.ACTIVE)


def mark_active(ctx: StepContext) -> None:
    set_state(ctx, TenantState.ACTIVE, failure_reason="", health=Health.OK, health_checked_at=ctx.cp.clock.now())


# --- deprovisioning -------------------------------------------------------------------------------
def final_export(ctx: StepContext) -> None:
    """The complete export (``backups``: database dump + documents + JSON index, encrypted in the backup target)
    that the operator and the municipality's admin download until the purge; a tenant whose provisioning failed
    before it had a database (or its schema) has nothing to export, which is recorded instead."""
    from controlplane.backups import service as backups  # the backups context builds on this module

    tenant = ctx.tenant
    export = backups.final_export(ctx.cp, ctx.session, tenant)
    if export is not None:
        tenant.final_export_id = export.id
        return
    tenant.final_export_id = None
    audit.record(
        ctx.session, SYSTEM, "tenant.final_export_skipped", target_type="tenant", target_id=tenant.slug,
        tenant_id=tenant.id, after={"job": str(ctx.job.id), "reason": NOTHING_TO_EXPORT},
    )  # fmt: skip
    log.info("tenant_final_export_skipped", tenant=tenant.slug, reason=NOTHING_TO_EXPORT)


NOTHING_TO_EXPORT = "nothing to export: the tenant database was never created (or never got its schema)"


def remove_runtime(ctx: StepContext) -> None:
    # After the final export: the tenant's own runtime (dedicated) and its namespace go; the database stays
    # until the purge after the retention period.
    ctx.cp.driver.remove_runtime(credentials.spec_of(ctx.tenant), ctx.report)


def schedule_purge(ctx: StepContext) -> None:
    from controlplane.backups.models import Export

    tenant = ctx.tenant
    retention = timedelta(days=ctx.cp.settings.deprovision_retention_days)
    tenant.retention_until = ctx.cp.clock.now() + retention
    export = ctx.session.get(Export, tenant.final_export_id) if tenant.final_export_id else None
    if export is not None:
        export.expires_at = tenant.retention_until  # downloadable until the purge
    audit.record(
        ctx.session,
        SYSTEM,
        "tenant.retention_scheduled",
        target_type="tenant",
        target_id=tenant.slug,
        tenant_id=tenant.id,
        after={
            "retention_until": tenant.retention_until,
            "final_export": str(export.id) if export is not None else NOTHING_TO_EXPORT,
        },
    )


def unregister(ctx: StepContext) -> None:
    ctx.cp.driver.unregister(credentials.spec_of(ctx.tenant))


def delete_documents(ctx: StepContext) -> None:
    """The tenant's document objects (S3 prefix or bucket, or local content directory). Before the database is
    dropped: its document versions name the keys; a re-run reads them again (deleting twice is harmless)."""
    from controlplane.backups import operations

    spec = credentials.spec_of(ctx.tenant)
    operations.delete_documents(ctx.cp.settings, spec, operations.document_keys(ctx.cp.settings, spec))


def drop_database(ctx: StepContext) -> None:
    ctx.cp.driver.drop_database(credentials.spec_of(ctx.tenant))


def delete_copies(ctx: StepContext) -> None:
    """Every backup and export of the tenant (the final export too): its data is gone after the retention."""
    from controlplane.backups import service as backups

    copies = backups.purge_copies(ctx.cp, ctx.session, ctx.tenant)
    audit.record(
        ctx.session, SYSTEM, "tenant.copies_deleted", target_type="tenant", target_id=ctx.tenant.slug,
        tenant_id=ctx.tenant.id, after=copies,
    )  # fmt: skip


def mark_deleted(ctx: StepContext) -> None:
    set_state(ctx, TenantState.DELETED, deleted_at=ctx.cp.clock.now(), health=Health.UNKNOWN, health_detail="")


STEPS: dict[JobKind, list[tuple[str, StepFn]]] = {
    JobKind.PROVISION: [
        ("create_database", create_database),
        ("migrate", migrate),
        ("seed_credentials", seed_credentials),
        ("register", register_active),
        ("deploy_runtime", deploy_runtime),
        ("wait_ready", wait_ready),
        ("verify", verify),
        ("activate", activate),
    ],
    JobKind.SUSPEND: [("runtime_suspend", runtime_suspend), ("mark_suspended", mark_suspended)],
    JobKind.RESUME: [
        ("runtime_resume", runtime_resume),
        ("wait_ready", wait_ready),
        ("verify", verify),
        ("mark_active", mark_active),
    ],
    JobKind.DEPROVISION: [
        ("runtime_suspend", runtime_suspend),
        ("final_export", final_export),
        ("remove_runtime", remove_runtime),
        ("schedule_purge", schedule_purge),
    ],
    JobKind.PURGE: [
        ("unregister", unregister),
        ("delete_documents", delete_documents),
        ("drop_database", drop_database),
        ("delete_copies", delete_copies),
        ("mark_deleted", mark_deleted),
    ],
}

# The tenant state while a job of this kind runs (None: unchanged until its last step).
RUNNING_STATE: dict[JobKind, TenantState | None] = {
    JobKind.PROVISION: TenantState.PROVISIONING,
    JobKind.SUSPEND: None,
    JobKind.RESUME: None,
    JobKind.DEPROVISION: TenantState.DEPROVISIONING,
    JobKind.PURGE: TenantState.DEPROVISIONING,
}

# Job kinds whose failure puts the tenant in ``failed`` (suspend/resume leave it as it was).
FAILS_TENANT = frozenset({JobKind.PROVISION, JobKind.DEPROVISION, JobKind.PURGE})

# From which states an operator may start each kind.
ALLOWED_FROM: dict[JobKind, frozenset[TenantState]] = {
    JobKind.PROVISION: frozenset({TenantState.REQUESTED}),
    JobKind.SUSPEND: frozenset({TenantState.ACTIVE}),
    JobKind.RESUME: frozenset({TenantState.SUSPENDED}),
    JobKind.DEPROVISION: frozenset({TenantState.ACTIVE, TenantState.SUSPENDED, TenantState.FAILED}),
}


JOB_DEFINITIONS: dict[JobKind, JobDefinition] = {
    kind: JobDefinition(
        steps=steps,
        running_state=RUNNING_STATE[kind],
        fails_tenant=_always if kind in FAILS_TENANT else _never,
    )
    for kind, steps in STEPS.items()
}
