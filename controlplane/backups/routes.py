"""``/api/v1/.../backups``, restores, restore drills, exports and each plan's backup policy.

Operators: everything, fleet-wide. A municipality's admin: its own tenant's backups, on-demand backups, in-place
restores of its own backups, drills (read), exports and their download; other tenants answer 404. Finance:
backups, restores and drills read-only; no exports (their content is the municipality's)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from controlplane.accounts.actors import Actor
from controlplane.backups import service
from controlplane.backups.models import Backup, BackupStatus, Drill, Export, Restore, RunStatus
from controlplane.backups.schemas import (
    BackupCreate,
    BackupList,
    BackupOut,
    BackupWithJob,
    DrillList,
    DrillOut,
    DrillWithJob,
    ExportList,
    ExportOut,
    ExportWithJob,
    PolicyIn,
    PolicyOut,
    RestoreCreate,
    RestoreList,
    RestoreOut,
    RestoreWithJob,
)
from controlplane.deps import ControlPlaneDep, CurrentActor, IdempotencyKey, ManagerActor, OperatorActor, SessionDep
from controlplane.jobs import service as jobs
from controlplane.jobs.models import Job
from controlplane.jobs.schemas import JobOut
from controlplane.tenants import service as tenants
from controlplane.tenants.models import Plan, Tenant
from controlplane.tenants.routes import mark_started, retry_on_conflict
from tenant_runtime.core.problems import Problem

router = APIRouter(prefix="/api/v1", tags=["backups"])
T = TypeVar("T")
Limit = Annotated[int, Query(ge=1, le=500)]


def _tenant(session: Session, actor: Actor, tenant_id: uuid.UUID) -> Tenant:
    return tenants.get_visible(session, actor, tenant_id)


def _started(session: Session, response: Response, start: Callable[[], tuple[T, Job, bool]]) -> tuple[T, Job]:
    """Run ``start`` and commit (once more after a unique-constraint race: it then sees the winner); a replayed
    Idempotency-Key is marked, and Location names the job."""

    def attempt() -> tuple[T, Job, bool]:
        found = start()
        session.commit()
        return found

    record, job, replayed = retry_on_conflict(session, attempt)
    mark_started(response, f"/api/v1/jobs/{job.id}", replayed)
    return record, job


# --- backups --------------------------------------------------------------------------------------
@router.get("/backups", response_model=BackupList, summary="Backups (operators and finance: the fleet)")
def list_backups(
    actor: CurrentActor,
    session: SessionDep,
    tenant_id: uuid.UUID | None = None,
    status: BackupStatus | None = None,
    limit: Limit = 100,
) -> BackupList:
    statement = service.visible_backups(actor)
    if tenant_id is not None:
        statement = statement.where(Backup.tenant_id == tenant_id)
    if status is not None:
        statement = statement.where(Backup.status == status)
    results = [BackupOut.of(b) for b in session.scalars(statement.limit(limit))]
    return BackupList(count=len(results), results=results)


@router.get("/tenants/{tenant_id}/backups", response_model=BackupList)
def tenant_backups(tenant_id: uuid.UUID, actor: CurrentActor, session: SessionDep, limit: Limit = 100) -> BackupList:
    tenant = _tenant(session, actor, tenant_id)
    statement = service.visible_backups(actor).where(Backup.tenant_id == tenant.id)
    results = [BackupOut.of(b) for b in session.scalars(statement.limit(limit))]
    return BackupList(count=len(results), results=results)


@router.post("/tenants/{tenant_id}/backups", response_model=BackupWithJob, status_code=202, summary="Take a backup now")
def create_backup(
    tenant_id: uuid.UUID,
    request: Request,
    response: Response,
    actor: ManagerActor,
    cp: ControlPlaneDep,
    session: SessionDep,
    data: BackupCreate | None = None,
    idempotency_key: IdempotencyKey = None,
) -> BackupWithJob:
    tenant = _tenant(session, actor, tenant_id)
    service.require_manager(actor, tenant)
    body = data or BackupCreate()
    fingerprint = jobs.fingerprint("POST", request.url.path, body.model_dump(mode="json"))

    backup, job = _started(session, response, lambda: service.start_backup(
        cp, session, actor, tenant, reason=body.reason, idempotency_key=idempotency_key,
        request_fingerprint=fingerprint,
    ))  # fmt: skip
    return BackupWithJob(backup=BackupOut.of(backup), job=JobOut.of(job))


@router.get("/backups/{backup_id}", response_model=BackupOut)
def get_backup(backup_id: uuid.UUID, actor: CurrentActor, session: SessionDep) -> BackupOut:
    return BackupOut.of(service.get_backup(session, actor, backup_id), detail=True)


@router.post(
    "/backups/{backup_id}/restore",
    response_model=RestoreWithJob,
    status_code=202,
    summary="Restore a backup in place or into a new tenant (operators)",
)
def restore_backup(
    backup_id: uuid.UUID,
    data: RestoreCreate,
    request: Request,
    response: Response,
    actor: ManagerActor,
    cp: ControlPlaneDep,
    session: SessionDep,
    idempotency_key: IdempotencyKey = None,
) -> RestoreWithJob:
    backup = service.get_backup(session, actor, backup_id)
    fingerprint = jobs.fingerprint("POST", request.url.path, data.model_dump(mode="json"))

    restore, job = _started(session, response, lambda: service.start_restore(
        cp, session, actor, backup, mode=data.mode, target=data.target, reason=data.reason,
        idempotency_key=idempotency_key, request_fingerprint=fingerprint,
    ))  # fmt: skip
    return RestoreWithJob(restore=RestoreOut.of(restore), job=JobOut.of(job))


# --- restores -------------------------------------------------------------------------------------
@router.get("/restores", response_model=RestoreList)
def list_restores(
    actor: CurrentActor, session: SessionDep, status: RunStatus | None = None, limit: Limit = 100
) -> RestoreList:
    statement = service.visible_restores(actor)
    if status is not None:
        statement = statement.where(Restore.status == status)
    results = [RestoreOut.of(r) for r in session.scalars(statement.limit(limit))]
    return RestoreList(count=len(results), results=results)


@router.get("/restores/{restore_id}", response_model=RestoreOut)
def get_restore(restore_id: uuid.UUID, actor: CurrentActor, session: SessionDep) -> RestoreOut:
    return RestoreOut.of(service.get_restore(session, actor, restore_id))


# --- drills ---------------------------------------------------------------------------------------
@router.get("/drills", response_model=DrillList, summary="Restore drills, failed ones first")
def list_drills(
    actor: CurrentActor,
    session: SessionDep,
    tenant_id: uuid.UUID | None = None,
    status: RunStatus | None = None,
    limit: Limit = 100,
) -> DrillList:
    statement = service.visible_drills(actor)
    if tenant_id is not None:
        statement = statement.where(Drill.tenant_id == tenant_id)
    if status is not None:
        statement = statement.where(Drill.status == status)
    results = [DrillOut.of(d) for d in session.scalars(statement.limit(limit))]
    return DrillList(count=len(results), results=results)


@router.get("/drills/{drill_id}", response_model=DrillOut)
def get_drill(drill_id: uuid.UUID, actor: CurrentActor, session: SessionDep) -> DrillOut:
    return DrillOut.of(service.get_drill(session, actor, drill_id))


@router.post(
    "/tenants/{tenant_id}/drills", response_model=DrillWithJob, status_code=202, summary="Run a restore drill now"
)
def create_drill(
    tenant_id: uuid.UUID,
    request: Request,
    response: Response,
    actor: OperatorActor,
    cp: ControlPlaneDep,
    session: SessionDep,
    idempotency_key: IdempotencyKey = None,
) -> DrillWithJob:
    tenant = _tenant(session, actor, tenant_id)
    fingerprint = jobs.fingerprint("POST", request.url.path, {})

    drill, job = _started(session, response, lambda: service.start_drill(
        cp, session, actor, tenant, idempotency_key=idempotency_key, request_fingerprint=fingerprint
    ))  # fmt: skip
    return DrillWithJob(drill=DrillOut.of(drill), job=JobOut.of(job))


# --- exports --------------------------------------------------------------------------------------
@router.get("/tenants/{tenant_id}/exports", response_model=ExportList)
def tenant_exports(tenant_id: uuid.UUID, actor: ManagerActor, session: SessionDep, limit: Limit = 50) -> ExportList:
    tenant = _tenant(session, actor, tenant_id)
    statement = service.visible_exports(actor).where(Export.tenant_id == tenant.id)
    results = [ExportOut.of(e) for e in session.scalars(statement.limit(limit))]
    return ExportList(count=len(results), results=results)


@router.post(
    "/tenants/{tenant_id}/exports",
    response_model=ExportWithJob,
    status_code=202,
    summary="Prepare a complete export (database dump + documents + JSON index) for download",
)
def create_export(
    tenant_id: uuid.UUID,
    request: Request,
    response: Response,
    actor: ManagerActor,
    cp: ControlPlaneDep,
    session: SessionDep,
    idempotency_key: IdempotencyKey = None,
) -> ExportWithJob:
    tenant = _tenant(session, actor, tenant_id)
    fingerprint = jobs.fingerprint("POST", request.url.path, {})

    export, job = _started(session, response, lambda: service.start_export(
        cp, session, actor, tenant, idempotency_key=idempotency_key, request_fingerprint=fingerprint
    ))  # fmt: skip
    return ExportWithJob(export=ExportOut.of(export), job=JobOut.of(job))


@router.get("/exports/{export_id}", response_model=ExportOut)
def get_export(export_id: uuid.UUID, actor: ManagerActor, session: SessionDep) -> ExportOut:
    export = service.get_export(session, actor, export_id)
    if not actor.may_manage_tenant(export.tenant_id):
        raise Problem(404, "Export niet gevonden.", code="not_found")
    return ExportOut.of(export)


@router.get(
    "/exports/{export_id}/download",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/x-tar": {}}, "description": "The export archive (tar)."}},
    summary="Download an export (a tar archive; see docs/operations/backups.md for its format)",
)
def download_export(export_id: uuid.UUID, actor: ManagerActor, cp: ControlPlaneDep, session: SessionDep) -> Response:
    export = service.get_export(session, actor, export_id)
    if not actor.may_manage_tenant(export.tenant_id):
        raise Problem(404, "Export niet gevonden.", code="not_found")
    tenant = session.get(Tenant, export.tenant_id)
    assert tenant is not None
    chunks = service.download_export(cp, session, actor, export)
    session.commit()  # the audit entry of the download
    filename = f"{tenant.slug}-export-{export.created_at:%Y%m%d-%H%M%S}.tar"
    return StreamingResponse(
        chunks,
        media_type="application/x-tar",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Content-Length": str(export.size_bytes),
            "X-Checksum-SHA256": export.sha256,
            "Cache-Control": "no-store",
        },
    )


# --- policies -------------------------------------------------------------------------------------
def _plan(session: Session, code: str) -> Plan:
    plan = session.scalar(select(Plan).where(Plan.code == code))
    if plan is None:
        raise Problem(404, "Plan niet gevonden.", code="not_found")
    return plan


def _policy_out(cp: ControlPlaneDep, session: Session, plan: Plan) -> PolicyOut:
    policy = service.policy_for(cp, session, plan.id)
    return PolicyOut(
        plan=plan.code, interval_hours=policy.interval_hours, keep_daily=policy.keep_daily,
        keep_weekly=policy.keep_weekly, keep_monthly=policy.keep_monthly, drills_enabled=policy.drills_enabled,
        from_plan=policy.from_plan,
    )  # fmt: skip


@router.get("/plans/{code}/backup-policy", response_model=PolicyOut, tags=["plans"])
def get_policy(code: str, _: CurrentActor, cp: ControlPlaneDep, session: SessionDep) -> PolicyOut:
    return _policy_out(cp, session, _plan(session, code))


@router.put("/plans/{code}/backup-policy", response_model=PolicyOut, tags=["plans"])
def put_policy(code: str, data: PolicyIn, actor: OperatorActor, cp: ControlPlaneDep, session: SessionDep) -> PolicyOut:
    plan = _plan(session, code)
    service.set_policy(session, actor, plan, data)
    session.commit()
    return _policy_out(cp, session, plan)
