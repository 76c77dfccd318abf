"""Backups, restores, drills and exports as the control plane offers them: plain functions of (control plane,
session, actor, input) for the routes, the web UI, the beat tasks and other contexts (upgrades call
``backup_now`` and ``restore_in_place``). The work itself runs as durable jobs (``jobs.py``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import structlog
from sqlalchemy import Select, and_, case, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from controlplane.accounts.actors import SYSTEM, Actor
from controlplane.audit import service as audit
from controlplane.backups import crypto, operations
from controlplane.backups.interfaces import BackupTarget
from controlplane.backups.models import (
    Backup,
    BackupKind,
    BackupPolicy,
    BackupStatus,
    Drill,
    Export,
    ExportStatus,
    Restore,
    RestoreMode,
    RunStatus,
    TenantBackupKey,
)
from controlplane.backups.schemas import CloneTarget, PolicyIn
from controlplane.container import ControlPlane
from controlplane.credentials import service as credentials
from controlplane.db import aware
from controlplane.drivers.databases import TenantDatabases
from controlplane.drivers.interfaces import TemporaryError
from controlplane.jobs import runner
from controlplane.jobs import service as jobs
from controlplane.jobs.models import Job, JobKind, JobStatus
from controlplane.tenants import service as tenants
from controlplane.tenants.models import Plan, Tenant, TenantState
from controlplane.tenants.schemas import TenantCreate
from tenant_runtime.core.problems import InvalidParam, Problem, validation_problem

log = structlog.get_logger(__name__)

# Tenants whose data can be backed up and exported (their database exists and is current).
BACKUP_STATES = frozenset({TenantState.ACTIVE, TenantState.SUSPENDED})


# --- policies -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Policy:
    interval_hours: int
    keep_daily: int
    keep_weekly: int
    keep_monthly: int
    drills_enabled: bool
    from_plan: bool


def policy_for(cp: ControlPlane, session: Session, plan_id: uuid.UUID) -> Policy:
    """The plan's backup policy, or the settings' defaults when the plan has none."""
    row = session.get(BackupPolicy, plan_id)
    if row is not None:
        return Policy(row.interval_hours, row.keep_daily, row.keep_weekly, row.keep_monthly, row.drills_enabled, True)
    s = cp.settings
    return Policy(
        s.backup_default_interval_hours,
        s.backup_default_keep_daily,
        s.backup_default_keep_weekly,
        s.backup_default_keep_monthly,
        True,
        False,
    )


def set_policy(session: Session, actor: Actor, plan: Plan, data: PolicyIn) -> BackupPolicy:
    row = session.get(BackupPolicy, plan.id)
    before = None
    if row is None:
        row = BackupPolicy(plan_id=plan.id)
        session.add(row)
    else:
        before = {f: getattr(row, f) for f in PolicyIn.model_fields}
    for name, value in data.model_dump().items():
        setattr(row, name, value)
    session.flush()
    audit.record(
        session, actor, "plan.backup_policy_set", target_type="plan", target_id=plan.code, before=before,
        after=data.model_dump(),
    )  # fmt: skip
    return row


# --- data keys ------------------------------------------------------------------------------------
def data_key(cp: ControlPlane, session: Session, tenant: Tenant) -> tuple[bytes, crypto.WrappedKey]:
    """The tenant's data key (created on first use) and its wrapped form (what manifests carry)."""
    context = str(tenant.id)
    row = session.get(TenantBackupKey, tenant.id)
    if row is None:
        key = crypto.new_data_key()
        wrapped = crypto.wrap(key, cp.settings.backup_platform_keys()[0], context)
        try:
            with session.begin_nested():
                session.add(
                    TenantBackupKey(
                        tenant_id=tenant.id, wrapped_key=wrapped.wrapped, platform_key_id=wrapped.platform_key_id
                    )
                )
            return key, wrapped
        except IntegrityError:  # created concurrently: use that one
            row = session.get(TenantBackupKey, tenant.id, populate_existing=True)
            assert row is not None
    wrapped = crypto.WrappedKey(row.wrapped_key, row.platform_key_id)
    return crypto.unwrap(wrapped, cp.settings.backup_platform_keys(), context), wrapped


# --- visibility -----------------------------------------------------------------------------------
def visible_backups(actor: Actor) -> Select[Backup]:
    statement = select(Backup).order_by(Backup.created_at.desc())
    if not actor.sees_all_tenants():
        statement = statement.where(Backup.tenant_id == actor.tenant_id)
    return statement


def get_backup(session: Session, actor: Actor, backup_id: uuid.UUID) -> Backup:
    backup = session.get(Backup, backup_id)
    if backup is None or not actor.may_see_tenant(backup.tenant_id):
        raise Problem(404, "Backup niet gevonden.", code="not_found")
    return backup


def require_manager(actor: Actor, tenant: Tenant) -> None:
    if not actor.may_manage_tenant(tenant.id):
        raise Problem(
            403, "Uw rol mag voor deze gemeente geen backups, restores of exports starten.", code="permission_denied"
        )


# --- jobs -----------------------------------------------------------------------------------------
def _job(
    cp: ControlPlane, session: Session, actor: Actor, kind: JobKind, tenant_id: uuid.UUID, key: str | None,
    fingerprint: str, *, dispatch: bool = True,
) -> Job:  # fmt: skip
    from controlplane.backups.jobs import JOB_DEFINITIONS

    job = jobs.create(session, actor, kind, tenant_id, key, fingerprint)
    job.steps_total = len(JOB_DEFINITIONS[kind].steps)
    if dispatch:
        jobs.dispatch_after_commit(cp, session, job.id)
    return job


def _inline_job(session: Session, kind: JobKind, tenant_id: uuid.UUID, key: str, by: str) -> Job:
    """A job run synchronously by another job (an upgrade): no one-job-per-tenant check, the caller's job is it."""
    from controlplane.backups.jobs import JOB_DEFINITIONS

    job = Job(
        kind=kind, tenant_id=tenant_id, idempotency_key=key, request_fingerprint="", created_by=by, steps_done=[],
        steps_total=len(JOB_DEFINITIONS[kind].steps),
    )  # fmt: skip
    session.add(job)
    session.flush()
    return job


def _run_inline(cp: ControlPlane, session: Session, job_id: uuid.UUID) -> JobStatus:
    """Run a job now in this process; a temporary condition is raised for the caller's own retry."""
    session.commit()  # the records must be visible to the runner's sessions
    try:
        status = runner.run(cp, job_id)
    except runner.JobBusy:
        raise TemporaryError(f"job {job_id} is being run by another worker", delay=5) from None
    session.expire_all()
    return status


def _reopen(job: Job) -> None:
    job.status = JobStatus.QUEUED
    job.error = ""
    job.attempts = 0
    job.finished_at = None


# --- backups --------------------------------------------------------------------------------------
def _check_backup_state(tenant: Tenant) -> None:
    if tenant.state not in BACKUP_STATES:
        raise Problem(
            409,
            f"Van een gemeente met status '{tenant.state.value}' kan geen backup worden gemaakt.",
            code="invalid-state",
        )


def _new_backup(
    cp: ControlPlane, session: Session, actor: Actor, tenant: Tenant, kind: BackupKind, reason: str, key: str, job: Job
) -> Backup:
    backup = Backup(
        tenant_id=tenant.id, kind=kind, reason=reason, key=key, job_id=job.id, requested_by=actor.label,
        status=BackupStatus.PENDING, created_at=cp.clock.now(),
    )  # fmt: skip
    session.add(backup)
    session.flush()
    audit.record(
        session, actor, "backup.requested", target_type="backup", target_id=backup.id, tenant_id=tenant.id,
        after={"kind": kind, "reason": reason, "job": job.id},
    )  # fmt: skip
    return backup


def start_backup(
    cp: ControlPlane,
    session: Session,
    actor: Actor,
    tenant: Tenant,
    *,
    kind: BackupKind = BackupKind.ON_DEMAND,
    reason: str = "",
    idempotency_key: str | None = None,
    request_fingerprint: str = "",
) -> tuple[Backup, Job, bool]:
    """Start a backup job (on demand or scheduled). Returns (backup, job, replayed)."""
    key = jobs.scoped_key(actor, idempotency_key)
    if (earlier := jobs.replay(session, key, request_fingerprint)) is not None:
        backup = session.scalar(select(Backup).where(Backup.job_id == earlier.id))
        assert backup is not None
        return backup, earlier, True
    _check_backup_state(tenant)
    job = _job(cp, session, actor, JobKind.BACKUP, tenant.id, key, request_fingerprint)
    return _new_backup(cp, session, actor, tenant, kind, reason, f"job:{job.id}", job), job, False


def backup_now(cp: ControlPlane, session: Session, tenant: Tenant, *, reason: str, key: str) -> Backup:
    """Take a complete, verified backup synchronously (e.g. inside an upgrade job step) and return it.

    Idempotent per ``key``: when a backup with this key succeeded, it is returned without taking another; an
    unfinished or failed one is resumed/retried. Commits ``session`` (the job's records must be visible to the
    runner); run it without holding row locks on the tenant. A temporary condition raises ``TemporaryError``."""
    backup = session.scalar(select(Backup).where(Backup.tenant_id == tenant.id, Backup.key == key))
    if backup is not None and backup.status is BackupStatus.SUCCEEDED:
        return backup
    _check_backup_state(tenant)
    if backup is None:
        job = _inline_job(session, JobKind.BACKUP, tenant.id, f"backups:now:{tenant.id}:{key}"[:255], SYSTEM.label)
        backup = _new_backup(cp, session, SYSTEM, tenant, BackupKind.SYSTEM, reason, key, job)
    else:
        found = session.get(Job, backup.job_id)
        assert found is not None
        job = found
    return _run_to_success(cp, session, job, backup, BackupStatus.PENDING, "backup")


R = TypeVar("R", Backup, Export)


def _run_to_success(cp: ControlPlane, session: Session, job: Job, row: R, pending: Any, what: str) -> R:
    """Run ``job`` here (reopened when it failed before) and return ``row`` as it ended; BackupFailed otherwise."""
    if job.status is JobStatus.FAILED:
        _reopen(job)
        row.status, row.error = pending, ""
    row_id = row.id
    status = _run_inline(cp, session, job.id)
    fresh = session.get(type(row), row_id, populate_existing=True)
    assert fresh is not None
    if status is not JobStatus.SUCCEEDED:
        raise BackupFailed(f"{what} {row_id} failed: {fresh.error}")
    return fresh


class BackupFailed(Exception):
    """``backup_now``/``restore_in_place`` ended in a permanent failure (the reason is in the message)."""


# --- restores -------------------------------------------------------------------------------------
def restorable(cp: ControlPlane, backup: Backup) -> None:
    """Refuse at request time what the job would refuse: an unfinished backup, or one from a newer schema."""
    if backup.status is not BackupStatus.SUCCEEDED:
        raise validation_problem(
            [InvalidParam("backup", "backup-not-restorable", f"Deze backup heeft status '{backup.status.value}'.")]
        )
    too_new = operations.newer_schema(list(backup.schema_heads or []))
    if too_new:
        raise validation_problem(
            [
                InvalidParam(
                    "backup",
                    "schema-newer",
                    f"Het databaseschema van deze backup ({', '.join(too_new)}) is nieuwer dan de runtime "
                    f"({cp.driver.runtime_version()}) kent; herstel met een runtime van die versie.",
                )
            ]
        )


def _new_restore(
    cp: ControlPlane, session: Session, actor: Actor, backup: Backup, target: Tenant, mode: RestoreMode, job: Job,
    reason: str,
) -> Restore:  # fmt: skip
    restore = Restore(
        backup_id=backup.id, source_tenant_id=backup.tenant_id, target_tenant_id=target.id, mode=mode, job_id=job.id,
        requested_by=actor.label, reason=reason, created_at=cp.clock.now(),
    )  # fmt: skip
    session.add(restore)
    session.flush()
    audit.record(
        session, actor, "backup.restore_requested", target_type="restore", target_id=restore.id,
        tenant_id=target.id, after={"backup": backup.id, "mode": mode, "job": job.id, "source": backup.tenant_id},
    )  # fmt: skip
    return restore


def start_restore(
    cp: ControlPlane,
    session: Session,
    actor: Actor,
    backup: Backup,
    *,
    mode: RestoreMode,
    target: CloneTarget | None = None,
    reason: str = "",
    idempotency_key: str | None = None,
    request_fingerprint: str = "",
) -> tuple[Restore, Job, bool]:
    """Restore a backup in place or into a new tenant (clone). Returns (restore, job, replayed)."""
    key = jobs.scoped_key(actor, idempotency_key)
    if (earlier := jobs.replay(session, key, request_fingerprint)) is not None:
        restore = session.scalar(select(Restore).where(Restore.job_id == earlier.id))
        assert restore is not None
        return restore, earlier, True
    source = session.get(Tenant, backup.tenant_id)
    assert source is not None
    require_manager(actor, source)
    if mode is RestoreMode.NEW_TENANT and not actor.is_operator:
        raise Problem(
            403,
            "Alleen de beheerder van het platform maakt een nieuwe omgeving uit een backup.",
            code="permission_denied",
        )
    restorable(cp, backup)
    if mode is RestoreMode.IN_PLACE:
        if target is not None:
            raise validation_problem([InvalidParam("target", "not-allowed", "Een restore in place heeft geen doel.")])
        if source.state not in BACKUP_STATES:
            raise Problem(
                409, f"Een gemeente met status '{source.state.value}' kan niet worden hersteld.", code="invalid-state"
            )
        job = _job(cp, session, actor, JobKind.RESTORE, source.id, key, request_fingerprint)
        return _new_restore(cp, session, actor, backup, source, mode, job, reason), job, False
    if target is None:
        raise validation_problem(
            [InvalidParam("target", "required", "Een nieuwe omgeving vraagt een doel (naam, gemeentecode).")]
        )
    data = TenantCreate(
        name=target.name,
        gemeentecode=target.gemeentecode,
        rsin=target.rsin or source.rsin,
        oin=source.oin,
        inhabitants=target.inhabitants or source.inhabitants,
        slug=target.slug,
        tier=source.tier,
        plan=target.plan or source.plan.code,
        provision=False,
    )
    clone, _, _ = tenants.onboard(cp, session, actor, data)
    job = _job(cp, session, actor, JobKind.CLONE, clone.id, key, request_fingerprint)
    return _new_restore(cp, session, actor, backup, clone, mode, job, reason), job, False


def restore_in_place(cp: ControlPlane, session: Session, tenant: Tenant, backup: Backup, *, key: str = "") -> Restore:
    """Restore ``backup`` into ``tenant`` synchronously: verify every checksum, stage, maintenance (503), swap,
    documents, credentials, record counts, active, a real ZGW call. Idempotent on retry: the same (tenant,
    backup, key) resumes the unfinished restore or returns the finished one. Commits ``session``."""
    if backup.tenant_id != tenant.id:
        raise ValueError("restore_in_place restores a tenant's own backup")
    job_key = f"backups:restore-in-place:{tenant.id}:{backup.id}:{key}"[:255]
    job = session.scalar(select(Job).where(Job.idempotency_key == job_key))
    if job is None:
        restorable(cp, backup)
        job = _inline_job(session, JobKind.RESTORE, tenant.id, job_key, SYSTEM.label)
        _new_restore(cp, session, SYSTEM, backup, tenant, RestoreMode.IN_PLACE, job, "restore_in_place")
    elif job.status is JobStatus.FAILED:
        _reopen(job)
    job_id = job.id
    status = _run_inline(cp, session, job_id)
    restore = session.scalar(select(Restore).where(Restore.job_id == job_id))
    assert restore is not None
    if status is not JobStatus.SUCCEEDED:
        raise BackupFailed(f"restore {restore.id} failed: {restore.error}")
    return restore


def get_restore(session: Session, actor: Actor, restore_id: uuid.UUID) -> Restore:
    restore = session.get(Restore, restore_id)
    if restore is None or not (
        actor.may_see_tenant(restore.target_tenant_id) or actor.may_see_tenant(restore.source_tenant_id)
    ):
        raise Problem(404, "Restore niet gevonden.", code="not_found")
    return restore


def visible_restores(actor: Actor) -> Select[Restore]:
    statement = select(Restore).order_by(Restore.created_at.desc())
    if not actor.sees_all_tenants():
        statement = statement.where(
            or_(Restore.target_tenant_id == actor.tenant_id, Restore.source_tenant_id == actor.tenant_id)
        )
    return statement


# --- drills ---------------------------------------------------------------------------------------
def latest_backup(session: Session, tenant_id: uuid.UUID) -> Backup | None:
    return session.scalar(
        select(Backup)
        .where(Backup.tenant_id == tenant_id, Backup.status == BackupStatus.SUCCEEDED)
        .order_by(Backup.created_at.desc())
        .limit(1)
    )


def start_drill(
    cp: ControlPlane,
    session: Session,
    actor: Actor,
    tenant: Tenant,
    *,
    idempotency_key: str | None = None,
    request_fingerprint: str = "",
) -> tuple[Drill, Job, bool]:
    key = jobs.scoped_key(actor, idempotency_key)
    if (earlier := jobs.replay(session, key, request_fingerprint)) is not None:
        drill = session.scalar(select(Drill).where(Drill.job_id == earlier.id))
        assert drill is not None
        return drill, earlier, True
    backup = latest_backup(session, tenant.id)
    if backup is None:
        raise Problem(409, "Deze gemeente heeft nog geen geslaagde backup om te oefenen.", code="no-backup")
    restorable(cp, backup)
    job = _job(cp, session, actor, JobKind.DRILL, tenant.id, key, request_fingerprint)
    drill_id = uuid.uuid4()
    drill = Drill(
        id=drill_id, tenant_id=tenant.id, backup_id=backup.id, job_id=job.id, scratch_slug=f"drill-{drill_id.hex[:12]}",
        expected_counts=dict(backup.record_counts or {}), created_at=cp.clock.now(),
    )  # fmt: skip
    session.add(drill)
    session.flush()
    audit.record(
        session, actor, "backup.drill_requested", target_type="drill", target_id=drill.id, tenant_id=tenant.id,
        after={"backup": backup.id, "job": job.id, "scratch": drill.scratch_slug},
    )  # fmt: skip
    return drill, job, False


def visible_drills(actor: Actor) -> Select[Drill]:
    """Failed drills first, then the newest."""
    failed_first = case((Drill.status == RunStatus.FAILED, 0), else_=1)
    statement = select(Drill).order_by(failed_first, Drill.created_at.desc())
    if not actor.sees_all_tenants():
        statement = statement.where(Drill.tenant_id == actor.tenant_id)
    return statement


def latest_drills(session: Session, actor: Actor) -> list[Drill]:
    """Every visible tenant's latest drill (one query, a window per tenant): tenants whose latest drill failed
    first, then the newest. An older failure is history once a later drill of that tenant succeeded."""
    newest = func.row_number().over(partition_by=Drill.tenant_id, order_by=(Drill.created_at.desc(), Drill.id))
    ranked = select(Drill.id.label("id"), newest.label("rank"))
    if not actor.sees_all_tenants():
        ranked = ranked.where(Drill.tenant_id == actor.tenant_id)
    latest = ranked.subquery()
    failed_first = case((Drill.status == RunStatus.FAILED, 0), else_=1)
    statement = (
        select(Drill)
        .join(latest, and_(latest.c.id == Drill.id, latest.c.rank == 1))
        .order_by(failed_first, Drill.created_at.desc())
    )
    return list(session.scalars(statement))


def get_drill(session: Session, actor: Actor, drill_id: uuid.UUID) -> Drill:
    drill = session.get(Drill, drill_id)
    if drill is None or not actor.may_see_tenant(drill.tenant_id):
        raise Problem(404, "Hersteloefening niet gevonden.", code="not_found")
    return drill


# --- exports --------------------------------------------------------------------------------------
def start_export(
    cp: ControlPlane, session: Session, actor: Actor, tenant: Tenant, *, idempotency_key: str | None = None,
    request_fingerprint: str = "",
) -> tuple[Export, Job, bool]:  # fmt: skip
    key = jobs.scoped_key(actor, idempotency_key)
    if (earlier := jobs.replay(session, key, request_fingerprint)) is not None:
        export = session.scalar(select(Export).where(Export.job_id == earlier.id))
        assert export is not None
        return export, earlier, True
    require_manager(actor, tenant)
    _check_backup_state(tenant)
    job = _job(cp, session, actor, JobKind.EXPORT, tenant.id, key, request_fingerprint)
    export = Export(tenant_id=tenant.id, job_id=job.id, requested_by=actor.label, created_at=cp.clock.now())
    session.add(export)
    session.flush()
    export.object_key = operations.export_key(tenant.id, export.id)
    audit.record(
        session, actor, "export.requested", target_type="export", target_id=export.id, tenant_id=tenant.id,
        after={"job": job.id},
    )  # fmt: skip
    return export, job, False


def get_export(session: Session, actor: Actor, export_id: uuid.UUID) -> Export:
    export = session.get(Export, export_id)
    if export is None or not actor.may_see_tenant(export.tenant_id):
        raise Problem(404, "Export niet gevonden.", code="not_found")
    return export


def visible_exports(actor: Actor) -> Select[Export]:
    statement = select(Export).order_by(Export.created_at.desc())
    if not actor.sees_all_tenants():
        statement = statement.where(Export.tenant_id == actor.tenant_id)
    return statement


def download_export(cp: ControlPlane, session: Session, actor: Actor, export: Export) -> Any:
    """The export's bytes (decrypted while streaming), for its own municipality's admin and operators."""
    tenant = session.get(Tenant, export.tenant_id)
    assert tenant is not None
    if not actor.may_manage_tenant(tenant.id):
        raise Problem(403, "Uw rol mag deze export niet downloaden.", code="permission_denied")
    if export.status is not ExportStatus.READY:
        raise Problem(409, f"De export heeft status '{export.status.value}'.", code="export-not-ready")
    key, _ = data_key(cp, session, tenant)
    audit.record(
        session, actor, "export.downloaded", target_type="export", target_id=export.id, tenant_id=tenant.id,
        after={"size_bytes": export.size_bytes},
    )  # fmt: skip
    return operations.read_export(cp.settings, export.object_key, key)


# --- deprovisioning: the final export and the purge ------------------------------------------------
FINAL_EXPORT_BY = "system (eindexport bij opheffen)"


def final_export_key(tenant_id: uuid.UUID) -> str:
    return f"exports:final:{tenant_id}"


def holds_data(cp: ControlPlane, tenant: Tenant) -> bool:
    """Whether the tenant has a database with its schema (a tenant whose provisioning failed before that has
    nothing to export)."""
    databases = TenantDatabases(cp.settings)
    try:
        return bool(databases.schema_heads(credentials.spec_of(tenant)))
    finally:
        databases.close()


def final_export(cp: ControlPlane, session: Session, tenant: Tenant) -> Export | None:
    """The complete export of a tenant being deprovisioned: the very export job a municipality starts (database
    dump + documents + JSON index, encrypted into the backup target), run synchronously inside the
    deprovisioning job. None when there is nothing to export (no database, or one that never got its schema).

    Idempotent per tenant: a ready final export is returned as it is, an unfinished one resumed, a failed one
    retried. Commits ``session``; a temporary condition raises ``TemporaryError``."""
    key = final_export_key(tenant.id)
    job = session.scalar(select(Job).where(Job.idempotency_key == key))
    export = session.scalar(select(Export).where(Export.job_id == job.id)) if job is not None else None
    if export is not None and export.status is ExportStatus.READY:
        return export
    if job is None or export is None:
        if not holds_data(cp, tenant):
            return None
        job = _inline_job(session, JobKind.EXPORT, tenant.id, key, SYSTEM.label)
        export = Export(tenant_id=tenant.id, job_id=job.id, requested_by=FINAL_EXPORT_BY, created_at=cp.clock.now())
        session.add(export)
        session.flush()
        export.object_key = operations.export_key(tenant.id, export.id)
        audit.record(
            session, SYSTEM, "export.requested", target_type="export", target_id=export.id, tenant_id=tenant.id,
            after={"job": job.id, "final": True},
        )  # fmt: skip
    return _run_to_success(cp, session, job, export, ExportStatus.PENDING, "final export")


def purge_copies(cp: ControlPlane, session: Session, tenant: Tenant) -> dict[str, int]:
    """At the purge after the deprovisioning retention: delete every backup of the tenant and every export (its
    final export too) from the backup target; the records stay, ``deleted`` / ``expired`` (audited).
    Idempotent; waits (``TemporaryError``) while a restore or drill still reads one of its backups."""
    from controlplane.backups.targets import build_target

    target = build_target(cp.settings)
    now = cp.clock.now()
    backups = list(
        session.scalars(
            select(Backup).where(
                Backup.tenant_id == tenant.id, Backup.status.in_([BackupStatus.SUCCEEDED, BackupStatus.FAILED])
            )
        )
    )
    ids = [b.id for b in backups]
    reading = session.scalar(
        select(func.count())
        .select_from(Restore)
        .where(Restore.backup_id.in_(ids), Restore.status.in_([RunStatus.PENDING, RunStatus.RUNNING]))
    ) or session.scalar(
        select(func.count())
        .select_from(Drill)
        .where(Drill.backup_id.in_(ids), Drill.status.in_([RunStatus.PENDING, RunStatus.RUNNING]))
    )
    if ids and reading:
        raise TemporaryError(f"a restore or drill still reads a backup of {tenant.slug}", delay=60)
    deleted = sum(_delete_backup(session, target, b, now, "backup.deleted_by_purge") for b in backups)
    exports = list(
        session.scalars(
            select(Export).where(
                Export.tenant_id == tenant.id,
                Export.status.in_([ExportStatus.READY, ExportStatus.PENDING, ExportStatus.RUNNING]),
            )
        )
    )
    for export in exports:
        _expire_export(target, export)
    log.info("tenant_copies_purged", tenant=tenant.slug, backups=deleted, exports=len(exports))
    return {"backups": deleted, "exports": len(exports)}


# --- schedule and retention (beat) ----------------------------------------------------------------
def _busy_tenants() -> Select[uuid.UUID]:
    return select(Job.tenant_id).where(Job.status.in_(jobs.UNFINISHED))


def schedule_due_backups(cp: ControlPlane) -> list[str]:
    """Start a scheduled backup for every live tenant whose plan interval has passed since its last backup."""
    started: list[str] = []
    now = cp.clock.now()
    with cp.sessions() as session:
        last = (
            select(Backup.tenant_id, func.max(Backup.created_at).label("at"))
            .where(Backup.status.in_([BackupStatus.PENDING, BackupStatus.RUNNING, BackupStatus.SUCCEEDED]))
            .group_by(Backup.tenant_id)
            .subquery()
        )
        rows = session.execute(
            select(Tenant, last.c.at)
            .outerjoin(last, last.c.tenant_id == Tenant.id)
            .where(Tenant.state.in_(list(BACKUP_STATES)), Tenant.id.not_in(_busy_tenants()))
            .with_for_update(skip_locked=True, of=Tenant)
        ).unique()
        for tenant, at in rows:
            policy = policy_for(cp, session, tenant.plan_id)
            if policy.interval_hours <= 0:
                continue
            at = aware(at)
            if at is not None and now - at < timedelta(hours=policy.interval_hours):
                continue
            start_backup(cp, session, SYSTEM, tenant, kind=BackupKind.SCHEDULED, reason="schedule")
            started.append(tenant.slug)
        session.commit()
    if started:
        log.info("backups_scheduled", tenants=started)
    return started


def retained(backups: list[Backup], policy: Policy, now: datetime) -> set[uuid.UUID]:
    """Which succeeded backups a policy keeps at ``now``: the newest of each of the last ``keep_daily`` days,
    ``keep_weekly`` ISO weeks and ``keep_monthly`` months (UTC), and always the newest backup."""
    ok = sorted(
        (b for b in backups if b.status is BackupStatus.SUCCEEDED),
        key=lambda b: aware(b.created_at) or now,
        reverse=True,
    )
    if not ok:
        return set()
    today = now.astimezone(UTC).date()
    days = {today - timedelta(days=n) for n in range(policy.keep_daily)}
    weeks: set[tuple[int, int]] = set()
    monday = today - timedelta(days=today.weekday())
    for n in range(policy.keep_weekly):
        iso = (monday - timedelta(weeks=n)).isocalendar()
        weeks.add((iso.year, iso.week))
    months: set[tuple[int, int]] = set()
    year, month = today.year, today.month
    for _ in range(policy.keep_monthly):
        months.add((year, month))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    keep = {ok[0].id}
    seen_days: set[object] = set()
    seen_weeks: set[object] = set()
    seen_months: set[object] = set()
    for backup in ok:  # newest first: the first of each period is its newest
        moment = (aware(backup.created_at) or now).astimezone(UTC)
        day, iso = moment.date(), moment.isocalendar()
        if day in days and day not in seen_days:
            seen_days.add(day)
            keep.add(backup.id)
        if (iso.year, iso.week) in weeks and (iso.year, iso.week) not in seen_weeks:
            seen_weeks.add((iso.year, iso.week))
            keep.add(backup.id)
        if (moment.year, moment.month) in months and (moment.year, moment.month) not in seen_months:
            seen_months.add((moment.year, moment.month))
            keep.add(backup.id)
    return keep


def _delete_backup(session: Session, target: BackupTarget, backup: Backup, now: datetime, action: str) -> bool:
    """Delete a backup's objects; a succeeded backup's record becomes ``deleted`` (audited as ``action``), a failed
    attempt's leftovers are forgotten. Returns whether a succeeded backup was deleted. Idempotent."""
    if backup.status is BackupStatus.FAILED and backup.prefix == "":
        return False  # nothing was written
    target.delete_prefix(backup.prefix or operations.backup_prefix(backup.tenant_id, backup.id))
    if backup.status is not BackupStatus.SUCCEEDED:
        backup.prefix = ""  # the failed attempt's leftovers are gone
        return False
    backup.status = BackupStatus.DELETED
    backup.deleted_at = now
    audit.record(
        session, SYSTEM, action, target_type="backup", target_id=backup.id, tenant_id=backup.tenant_id,
        after={"created_at": backup.created_at},
    )  # fmt: skip
    return True


def _expire_export(target: BackupTarget, export: Export) -> None:
    target.delete(export.object_key)
    export.status = ExportStatus.EXPIRED


def enforce_retention(cp: ControlPlane) -> dict[str, int]:
    """Delete the succeeded backups no policy keeps (and what failed attempts left), per tenant, and every
    backup of a deleted tenant. Backups a running restore or drill reads are kept until it ends."""
    from controlplane.backups.targets import build_target

    now = cp.clock.now()
    deleted: dict[str, int] = {}
    target = build_target(cp.settings)
    with cp.sessions() as session:
        in_use = {
            *session.scalars(
                select(Restore.backup_id).where(Restore.status.in_([RunStatus.PENDING, RunStatus.RUNNING]))
            ),
            *session.scalars(select(Drill.backup_id).where(Drill.status.in_([RunStatus.PENDING, RunStatus.RUNNING]))),
        }
        tenant_ids = list(
            session.scalars(
                select(Backup.tenant_id)
                .where(Backup.status.in_([BackupStatus.SUCCEEDED, BackupStatus.FAILED]))
                .distinct()
            )
        )
        for tenant_id in tenant_ids:
            tenant = session.get(Tenant, tenant_id)
            assert tenant is not None
            policy = policy_for(cp, session, tenant.plan_id)
            backups = list(
                session.scalars(
                    select(Backup).where(
                        Backup.tenant_id == tenant_id, Backup.status.in_([BackupStatus.SUCCEEDED, BackupStatus.FAILED])
                    )
                )
            )
            # A deleted tenant's data is gone after its retention: its backups go too (the final export stays).
            keep = set() if tenant.state is TenantState.DELETED else retained(backups, policy, now)
            for backup in backups:
                if backup.id in keep or backup.id in in_use:
                    continue
                if _delete_backup(session, target, backup, now, "backup.deleted_by_retention"):
                    deleted[tenant.slug] = deleted.get(tenant.slug, 0) + 1
            session.commit()
        for export in session.scalars(
            select(Export).where(
                Export.status == ExportStatus.READY, Export.expires_at.is_not(None), Export.expires_at <= now
            )
        ):
            _expire_export(target, export)
        session.commit()
    if deleted:
        log.info("backups_retention_enforced", deleted=deleted)
    return deleted


def schedule_due_drills(cp: ControlPlane) -> list[str]:
    """Start a restore drill for tenants whose latest successful backup was not drilled within the interval."""
    hours = cp.settings.backup_drill_interval_hours
    if hours <= 0:
        return []
    now = cp.clock.now()
    started: list[str] = []
    with cp.sessions() as session:
        running = (
            session.scalar(
                select(func.count()).select_from(Drill).where(Drill.status.in_([RunStatus.PENDING, RunStatus.RUNNING]))
            )
            or 0
        )
        room = cp.settings.backup_drill_concurrency - running
        if room <= 0:
            return []
        last_drill = (
            select(Drill.tenant_id, func.max(Drill.created_at).label("at")).group_by(Drill.tenant_id).subquery()
        )
        has_backup = select(Backup.tenant_id).where(Backup.status == BackupStatus.SUCCEEDED)
        rows = session.execute(
            select(Tenant, last_drill.c.at)
            .outerjoin(last_drill, last_drill.c.tenant_id == Tenant.id)
            .where(
                Tenant.state.in_(list(BACKUP_STATES)),
                Tenant.id.in_(has_backup),
                Tenant.id.not_in(_busy_tenants()),
                or_(last_drill.c.at.is_(None), last_drill.c.at < now - timedelta(hours=hours)),
            )
            .order_by(last_drill.c.at.asc().nulls_first())
            .limit(room)
            .with_for_update(skip_locked=True, of=Tenant)
        ).unique()
        for tenant, _ in rows:
            if not policy_for(cp, session, tenant.plan_id).drills_enabled:
                continue
            start_drill(cp, session, SYSTEM, tenant)
            started.append(tenant.slug)
        session.commit()
    return started


def latest_backups(session: Session) -> dict[uuid.UUID, Backup]:
    """Every tenant's latest successful backup, in one query (the fleet tables of the operator console)."""
    latest_ok = (
        select(Backup.tenant_id, func.max(Backup.created_at).label("at"))
        .where(Backup.status == BackupStatus.SUCCEEDED)
        .group_by(Backup.tenant_id)
        .subquery()
    )
    rows = session.scalars(
        select(Backup).join(
            latest_ok,
            and_(
                latest_ok.c.tenant_id == Backup.tenant_id,
                latest_ok.c.at == Backup.created_at,
                Backup.status == BackupStatus.SUCCEEDED,
            ),
        )
    )
    return {backup.tenant_id: backup for backup in rows}


def fleet_overview(session: Session) -> list[dict[str, Any]]:
    """Per tenant: the latest successful backup (operator console)."""
    latest = latest_backups(session)
    rows = session.scalars(select(Tenant).where(Tenant.state != TenantState.DELETED).order_by(Tenant.name)).unique()
    return [{"tenant": t, "backup": latest.get(t.id)} for t in rows]
