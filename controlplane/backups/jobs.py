"""The job kinds of the backups context and their steps (run by ``controlplane.jobs.runner``).

Every step is idempotent: a step that writes objects or databases first removes what an interrupted attempt
left, and a record only becomes ``succeeded`` in the last step, so a worker killed at any moment never leaves a
partial backup marked successful. An in-place restore puts the tenant in maintenance (the runtime answers 503)
before it touches anything live and only lets it serve again after the data, the credentials and the record
counts are checked; a failure in between leaves it in maintenance and the tenant ``failed`` (retry resumes).
"""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid
from datetime import timedelta
from typing import Any

import httpx
import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from controlplane.accounts.actors import SYSTEM
from controlplane.audit import service as audit
from controlplane.backups import archive, operations
from controlplane.backups.content import runtime_settings
from controlplane.backups.models import (
    Backup,
    BackupStatus,
    Drill,
    Export,
    ExportStatus,
    Restore,
    RestoreMode,
    RunStatus,
)
from controlplane.backups.service import data_key
from controlplane.backups.targets import build_target
from controlplane.container import ControlPlane
from controlplane.credentials import service as credentials
from controlplane.credentials.models import ApiCredential
from controlplane.db import aware
from controlplane.drivers.databases import TenantDatabases
from controlplane.drivers.interfaces import ClientSpec, RuntimeStatus, SecretSpec, TemporaryError, TenantSpec
from controlplane.jobs.models import Job, JobKind
from controlplane.tenants import lifecycle
from controlplane.tenants.lifecycle import JobDefinition, StepContext
from controlplane.tenants.models import Tenant, TenantState
from tenant_runtime.autorisaties.admin import make_jwt

log = structlog.get_logger(__name__)

DRILL_CLIENT_ID = "zgwcloud-drill"


def _record(ctx: StepContext, model: type[Any]) -> Any:
    found = ctx.session.scalar(select(model).where(model.job_id == ctx.job.id))
    assert found is not None, f"no {model.__name__} for job {ctx.job.id}"
    return found


def _fail_reason(ctx: StepContext) -> str:
    return ctx.job.error or "onbekende fout"


# --- backup ---------------------------------------------------------------------------------------
def backup_write(ctx: StepContext) -> None:
    backup: Backup = _record(ctx, Backup)
    settings = ctx.cp.settings
    backup.status = BackupStatus.RUNNING
    backup.started_at = backup.started_at or ctx.cp.clock.now()
    backup.target = build_target(settings).describe()
    backup.prefix = operations.backup_prefix(backup.tenant_id, backup.id)
    key, wrapped = data_key(ctx.cp, ctx.session, ctx.tenant)
    ctx.session.commit()  # visible as running while it is written
    snapshot_at = ctx.cp.clock.now()
    manifest = operations.take_backup(
        operations.BackupContext(settings, credentials.spec_of(ctx.tenant), ctx.tenant.id, backup.id, key, wrapped),
        snapshot_at,
    )
    backup.snapshot_at = snapshot_at
    backup.manifest = archive.summary(manifest)
    backup.runtime_version = manifest["runtime_version"]
    backup.schema_heads = manifest["schema_heads"]
    backup.record_counts = manifest["record_counts"]
    backup.database_bytes = manifest["database"]["size"]
    backup.documents_count = manifest["documents"]["count"]
    backup.documents_bytes = manifest["documents"]["bytes"]
    backup.stored_bytes = operations.stored_bytes(manifest)


def backup_verify(ctx: StepContext) -> None:
    backup: Backup = _record(ctx, Backup)
    if ctx.cp.settings.backup_verify_readback:
        opened = operations.open_backup(ctx.cp.settings, backup.tenant_id, backup.id, backup.manifest)
        archive.verify_objects(opened.target, opened.prefix, opened.manifest)


def backup_finish(ctx: StepContext) -> None:
    backup: Backup = _record(ctx, Backup)
    backup.status = BackupStatus.SUCCEEDED
    backup.error = ""
    backup.completed_at = ctx.cp.clock.now()
    audit.record(
        ctx.session, SYSTEM, "backup.succeeded", target_type="backup", target_id=backup.id, tenant_id=backup.tenant_id,
        after={"stored_bytes": backup.stored_bytes, "documents": backup.documents_count,
               "counts": backup.record_counts},
    )  # fmt: skip
    log.info("backup_succeeded", tenant=ctx.tenant.slug, backup=str(backup.id), duration_s=backup.duration_seconds)


def backup_failed(ctx: StepContext) -> None:
    backup = ctx.session.scalar(select(Backup).where(Backup.job_id == ctx.job.id))
    if backup is not None:
        backup.status = BackupStatus.FAILED
        backup.error = _fail_reason(ctx)
        backup.completed_at = ctx.cp.clock.now()


# --- restores -------------------------------------------------------------------------------------
def _opened(ctx: StepContext, backup: Backup) -> operations.Opened:
    return operations.open_backup(ctx.cp.settings, backup.tenant_id, backup.id, backup.manifest)


def _restore_backup(ctx: StepContext) -> tuple[Restore, Backup]:
    restore: Restore = _record(ctx, Restore)
    backup = ctx.session.get(Backup, restore.backup_id)
    assert backup is not None
    return restore, backup


def restore_verify(ctx: StepContext) -> None:
    """Before anything is touched: the manifest authenticates and every stored part matches its checksum."""
    restore, backup = _restore_backup(ctx)
    restore.status = RunStatus.RUNNING
    restore.started_at = restore.started_at or ctx.cp.clock.now()
    if backup.status is not BackupStatus.SUCCEEDED:
        raise archive.BackupCorrupt(f"backup {backup.id} has status {backup.status.value}")
    operations.verify_backup(_opened(ctx, backup))


def restore_stage(ctx: StepContext) -> None:
    restore, backup = _restore_backup(ctx)
    operations.restore_database(
        ctx.cp.settings, _opened(ctx, backup), credentials.spec_of(ctx.tenant), restore.id, staging=True
    )


def enter_maintenance(ctx: StepContext) -> None:
    restore, _ = _restore_backup(ctx)
    ctx.cp.driver.register(credentials.spec_of(ctx.tenant), RuntimeStatus.MAINTENANCE)
    restore.maintenance_started_at = restore.maintenance_started_at or ctx.cp.clock.now()
    # The runtime caches its registry briefly: wait until no request can still be routed to the tenant.
    time.sleep(runtime_settings(ctx.cp.settings).registry_cache_seconds)
    audit.record(
        ctx.session, SYSTEM, "tenant.maintenance_started", target_type="tenant", target_id=ctx.tenant.slug,
        tenant_id=ctx.tenant.id, after={"restore": restore.id},
    )  # fmt: skip


def restore_swap(ctx: StepContext) -> None:
    restore, backup = _restore_backup(ctx)
    operations.swap_in(ctx.cp.settings, _opened(ctx, backup), credentials.spec_of(ctx.tenant), restore.id)


def restore_migrate(ctx: StepContext) -> None:
    """An older backup's schema is brought up to this runtime's (a newer one was refused)."""
    ctx.cp.driver.migrate(credentials.spec_of(ctx.tenant))


def restore_documents(ctx: StepContext) -> None:
    _, backup = _restore_backup(ctx)
    operations.restore_documents(ctx.cp.settings, _opened(ctx, backup), credentials.spec_of(ctx.tenant))


def _sync_clients(ctx: StepContext, spec: TenantSpec, source_tenant_id: uuid.UUID, clients: list[ClientSpec]) -> None:
    """The control plane's applications as they are now: a restore brings back the backup's moment, so the
    source tenant's managed applications that should not be there (revoked since, or a clone's source's) are
    revoked and the wanted ones pushed. Applications made through the tenant's own Autorisaties API stay."""
    managed = set(
        ctx.session.scalars(select(ApiCredential.client_id).where(ApiCredential.tenant_id == source_tenant_id))
    )
    managed.add(credentials.PLATFORM_CLIENT_ID)
    for client_id in sorted(managed - {c.client_id for c in clients}):
        ctx.cp.driver.revoke_client(spec, client_id)
    ctx.cp.driver.push_clients(spec, clients)


def restore_prepare(ctx: StepContext) -> None:
    restore, _ = _restore_backup(ctx)
    spec = credentials.spec_of(ctx.tenant)
    operations.prepare_restored(ctx.cp.settings, spec, detach_notifications=restore.mode is RestoreMode.NEW_TENANT)
    _sync_clients(ctx, spec, restore.source_tenant_id, credentials.all_clients(ctx.cp, ctx.session, ctx.tenant))


def restore_check(ctx: StepContext) -> None:
    """The restored database holds exactly the backup's records (before it serves anyone)."""
    restore, backup = _restore_backup(ctx)
    counts = operations.count_records(ctx.cp.settings, credentials.spec_of(ctx.tenant))
    restore.record_counts = counts
    if counts != backup.record_counts:
        raise archive.BackupCorrupt(f"restored record counts {counts} differ from the backup's {backup.record_counts}")


def restore_activate(ctx: StepContext) -> None:
    restore, _ = _restore_backup(ctx)
    status = RuntimeStatus.SUSPENDED if ctx.tenant.state is TenantState.SUSPENDED else RuntimeStatus.ACTIVE
    ctx.cp.driver.register(credentials.spec_of(ctx.tenant), status)
    restore.maintenance_ended_at = ctx.cp.clock.now()


def restore_verify_call(ctx: StepContext) -> None:
    if ctx.tenant.state is TenantState.SUSPENDED:
        return  # a suspended tenant answers 403; its data was checked by count
    lifecycle.verify(ctx)


def restore_finish(ctx: StepContext) -> None:
    restore, backup = _restore_backup(ctx)
    TenantDatabases(ctx.cp.settings).drop_restore_leftovers(credentials.spec_of(ctx.tenant))
    restore.status = RunStatus.SUCCEEDED
    restore.error = ""
    restore.completed_at = ctx.cp.clock.now()
    audit.record(
        ctx.session, SYSTEM, "backup.restored", target_type="restore", target_id=restore.id, tenant_id=ctx.tenant.id,
        after={"backup": backup.id, "mode": restore.mode, "counts": restore.record_counts},
    )  # fmt: skip
    log.info("backup_restored", tenant=ctx.tenant.slug, backup=str(backup.id), mode=restore.mode.value)


def restore_failed(ctx: StepContext) -> None:
    restore = ctx.session.scalar(select(Restore).where(Restore.job_id == ctx.job.id))
    if restore is not None:
        restore.status = RunStatus.FAILED
        restore.error = _fail_reason(ctx)
        restore.completed_at = ctx.cp.clock.now()


def _in_maintenance(job: Job) -> bool:
    done = set(job.steps_done or [])
    return "enter_maintenance" in done and "activate" not in done


# --- clones (restore into a new tenant) -----------------------------------------------------------
def clone_restore_database(ctx: StepContext) -> None:
    restore, backup = _restore_backup(ctx)
    operations.restore_database(
        ctx.cp.settings, _opened(ctx, backup), credentials.spec_of(ctx.tenant), restore.id, staging=False
    )


def clone_activate(ctx: StepContext) -> None:
    lifecycle.activate(ctx)
    restore_finish(ctx)


# --- drills ---------------------------------------------------------------------------------------
def _drill(ctx: StepContext) -> tuple[Drill, Backup, TenantSpec]:
    drill: Drill = _record(ctx, Drill)
    backup = ctx.session.get(Backup, drill.backup_id)
    assert backup is not None
    return drill, backup, TenantSpec(drill.scratch_slug, f"Hersteloefening {ctx.tenant.name}")


def _drill_secret(ctx: StepContext, drill: Drill) -> str:
    return hmac.new(ctx.cp.settings.secret_key.encode(), f"drill:{drill.id}".encode(), hashlib.sha256).hexdigest()


def drill_verify(ctx: StepContext) -> None:
    drill, backup, _ = _drill(ctx)
    drill.status = RunStatus.RUNNING
    drill.started_at = drill.started_at or ctx.cp.clock.now()
    if backup.snapshot_at is not None:
        drill.rpo_seconds = (aware(drill.started_at) - aware(backup.snapshot_at)).total_seconds()
    ctx.session.commit()
    operations.verify_backup(_opened(ctx, backup))
    drill.checks = [{"check": "checksums", "ok": True}]


def drill_restore_database(ctx: StepContext) -> None:
    drill, backup, scratch = _drill(ctx)
    operations.restore_database(ctx.cp.settings, _opened(ctx, backup), scratch, drill.id, staging=False)
    ctx.cp.driver.migrate(scratch)


def drill_restore_documents(ctx: StepContext) -> None:
    _, backup, scratch = _drill(ctx)
    operations.restore_documents(ctx.cp.settings, _opened(ctx, backup), scratch)


def drill_prepare(ctx: StepContext) -> None:
    drill, _, scratch = _drill(ctx)
    operations.prepare_restored(ctx.cp.settings, scratch, detach_notifications=True)
    client = ClientSpec(DRILL_CLIENT_ID, "zgw-cloud hersteloefening", [SecretSpec(_drill_secret(ctx, drill))], True)
    _sync_clients(ctx, scratch, drill.tenant_id, [client])
    ctx.cp.driver.register(scratch, RuntimeStatus.ACTIVE)


def _count(response: httpx.Response) -> int:
    body = response.json()
    return int(body["count"]) if isinstance(body, dict) and "count" in body else len(body)


SMOKE_LISTS = {
    "zaken": "/zaken/api/v1/zaken",
    "documenten": "/documenten/api/v1/enkelvoudiginformatieobjecten",
    "besluiten": "/besluiten/api/v1/besluiten",
}


def drill_smoke(ctx: StepContext) -> None:
    """Real ZGW calls to the scratch tenant: every list's count against the manifest, and a document download."""
    drill, _, scratch = _drill(ctx)
    base = ctx.cp.driver.runtime_admin(scratch).base_url.rstrip("/")  # where the control plane reaches it
    token = make_jwt(DRILL_CLIENT_ID, _drill_secret(ctx, drill))
    headers = {"Authorization": f"Bearer {token}", "Accept-Crs": "EPSG:4326"}
    checks: list[dict[str, Any]] = [c for c in drill.checks if c.get("check") == "checksums"]
    actual: dict[str, int] = {}
    try:
        with httpx.Client(headers=headers, timeout=30) as http:
            kanalen = http.get(base + "/notificaties/api/v1/kanaal")
            if kanalen.status_code != 200:
                raise TemporaryError(f"drill tenant not answering yet ({kanalen.status_code})", delay=2)
            for name, path in SMOKE_LISTS.items():
                response = http.get(base + path)
                expected = drill.expected_counts.get(name)
                actual[name] = _count(response) if response.status_code == 200 else -1
                checks.append({"check": f"GET {path}", "status": response.status_code, "count": actual[name],
                               "expected": expected, "ok": actual[name] == expected})  # fmt: skip
            documents = http.get(base + SMOKE_LISTS["documenten"])
            results = documents.json().get("results", []) if documents.status_code == 200 else []
            with_content = [d for d in results if d.get("bestandsomvang")]
            if with_content:
                first = with_content[0]
                download = http.get(first["url"] + "/download")
                size, expected_size = len(download.content), first["bestandsomvang"]
                ok = download.status_code == 200 and size == expected_size
                checks.append({"check": "document download", "status": download.status_code, "bytes": size,
                               "expected": expected_size, "ok": ok})  # fmt: skip
    except httpx.TransportError as exc:
        raise TemporaryError(f"drill tenant not reachable: {type(exc).__name__}", delay=3) from None
    answered = ctx.cp.clock.now()
    assert drill.started_at is not None
    drill.rto_seconds = (answered - aware(drill.started_at)).total_seconds()
    drill.actual_counts = actual
    drill.checks = checks
    failed = [c["check"] for c in checks if not c["ok"]]
    drill.status = RunStatus.FAILED if failed else RunStatus.SUCCEEDED
    drill.error = f"mislukte controles: {', '.join(failed)}" if failed else ""


def cleanup_scratch(cp: ControlPlane, session: Session, drill: Drill) -> None:
    """Remove a drill's scratch tenant: registration, database and document objects (idempotent)."""
    scratch = TenantSpec(drill.scratch_slug, drill.scratch_slug)
    cp.driver.unregister(scratch)
    cp.driver.drop_database(scratch)
    backup = session.get(Backup, drill.backup_id)
    keys: list[str] = []
    if backup is not None:
        try:
            opened = operations.open_backup(cp.settings, backup.tenant_id, backup.id, backup.manifest)
            keys = [i["key"] for i in opened.manifest["documents"]["items"]]
        except archive.BackupCorrupt:
            keys = []  # a local scratch directory is removed whole all the same
    operations.delete_documents(cp.settings, scratch, keys)
    drill.cleaned_up = True


def drill_cleanup(ctx: StepContext) -> None:
    drill, _, _ = _drill(ctx)
    cleanup_scratch(ctx.cp, ctx.session, drill)
    drill.finished_at = ctx.cp.clock.now()
    audit.record(
        ctx.session, SYSTEM, f"backup.drill_{drill.status.value}", target_type="drill", target_id=drill.id,
        tenant_id=drill.tenant_id,
        after={"rto_seconds": drill.rto_seconds, "rpo_seconds": drill.rpo_seconds, "counts": drill.actual_counts,
               "error": drill.error},
    )  # fmt: skip
    log.info("backup_drill_done", tenant=ctx.tenant.slug, status=drill.status.value, rto_s=drill.rto_seconds)


def drill_failed(ctx: StepContext) -> None:
    drill = ctx.session.scalar(select(Drill).where(Drill.job_id == ctx.job.id))
    if drill is None:
        return
    drill.status = RunStatus.FAILED
    drill.error = _fail_reason(ctx)
    drill.finished_at = ctx.cp.clock.now()
    try:
        cleanup_scratch(ctx.cp, ctx.session, drill)
    except Exception:  # the sweep of failed drills tries again
        log.exception("backup_drill_cleanup_failed", drill=str(drill.id))
    audit.record(
        ctx.session, SYSTEM, "backup.drill_failed", target_type="drill", target_id=drill.id, tenant_id=drill.tenant_id,
        after={"error": drill.error},
    )  # fmt: skip


# --- exports --------------------------------------------------------------------------------------
def export_write(ctx: StepContext) -> None:
    export: Export = _record(ctx, Export)
    export.status = ExportStatus.RUNNING
    key, _ = data_key(ctx.cp, ctx.session, ctx.tenant)
    ctx.session.commit()
    tenant: Tenant = ctx.tenant
    info = {"id": str(tenant.id), "slug": tenant.slug, "name": tenant.name, "gemeentecode": tenant.gemeentecode,
            "rsin": tenant.rsin, "oin": tenant.oin}  # fmt: skip
    result = operations.write_export(
        ctx.cp.settings, credentials.spec_of(tenant), info, export.object_key, key, ctx.cp.clock.now()
    )
    export.size_bytes, export.sha256 = result.size, result.sha256
    export.documents_count, export.record_counts = result.documents, result.counts


def export_finish(ctx: StepContext) -> None:
    export: Export = _record(ctx, Export)
    export.status = ExportStatus.READY
    export.completed_at = ctx.cp.clock.now()
    export.expires_at = export.completed_at + timedelta(days=ctx.cp.settings.backup_export_retention_days)
    audit.record(
        ctx.session, SYSTEM, "export.ready", target_type="export", target_id=export.id, tenant_id=export.tenant_id,
        after={"size_bytes": export.size_bytes, "sha256": export.sha256},
    )  # fmt: skip


def export_failed(ctx: StepContext) -> None:
    export = ctx.session.scalar(select(Export).where(Export.job_id == ctx.job.id))
    if export is not None:
        export.status = ExportStatus.FAILED
        export.error = _fail_reason(ctx)
        build_target(ctx.cp.settings).delete(export.object_key)


def _always(_: Job) -> bool:
    return True


JOB_DEFINITIONS: dict[JobKind, JobDefinition] = {
    JobKind.BACKUP: JobDefinition(
        steps=[("write", backup_write), ("verify", backup_verify), ("finish", backup_finish)],
        on_failure=backup_failed,
    ),
    JobKind.RESTORE: JobDefinition(
        steps=[
            ("verify_backup", restore_verify),
            ("stage_database", restore_stage),
            # Object keys are never reused: the backup's objects can be written while the tenant still serves.
            ("restore_documents", restore_documents),
            ("enter_maintenance", enter_maintenance),
            ("swap_database", restore_swap),
            ("migrate", restore_migrate),
            ("prepare", restore_prepare),
            ("check_counts", restore_check),
            ("activate", restore_activate),
            ("verify", restore_verify_call),
            ("finish", restore_finish),
        ],
        fails_tenant=_in_maintenance,
        on_failure=restore_failed,
    ),
    JobKind.CLONE: JobDefinition(
        steps=[
            ("verify_backup", restore_verify),
            ("restore_database", clone_restore_database),
            ("migrate", restore_migrate),
            ("restore_documents", restore_documents),
            ("prepare", restore_prepare),
            ("check_counts", restore_check),
            ("register", lifecycle.register_active),
            ("verify", lifecycle.verify),
            ("activate", clone_activate),
        ],
        running_state=TenantState.PROVISIONING,
        fails_tenant=_always,
        on_failure=restore_failed,
    ),
    JobKind.DRILL: JobDefinition(
        steps=[
            ("verify_backup", drill_verify),
            ("restore_database", drill_restore_database),
            ("restore_documents", drill_restore_documents),
            ("prepare", drill_prepare),
            ("smoke", drill_smoke),
            ("cleanup", drill_cleanup),
        ],
        on_failure=drill_failed,
    ),
    JobKind.EXPORT: JobDefinition(steps=[("write", export_write), ("finish", export_finish)], on_failure=export_failed),
}
