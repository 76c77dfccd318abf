"""``/api/v1/tenants``: municipalities and their lifecycle actions."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from controlplane.deps import ControlPlaneDep, CurrentActor, IdempotencyKey, OperatorActor, SessionDep
from controlplane.jobs import service as jobs
from controlplane.jobs.models import Job, JobKind
from controlplane.jobs.schemas import JobOut
from controlplane.tenants import service
from controlplane.tenants.models import Tenant, TenantState
from controlplane.tenants.schemas import TenantCreate, TenantList, TenantOut, TenantUpdate, TenantWithJob
from tenant_runtime.core.problems import Problem

router = APIRouter(prefix="/api/v1/tenants", tags=["tenants"])
T = TypeVar("T")


def mark_started(response: Response, location: str, replayed: bool) -> None:
    """The headers of a POST that started (or, with a reused Idempotency-Key, had started) work."""
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    response.headers["Location"] = location


def retry_on_conflict(session: Session, attempt: Callable[[], T]) -> T:
    """Run ``attempt``; after a unique-constraint race, roll back and run it once more (it then sees the winner)."""
    try:
        return attempt()
    except IntegrityError:
        session.rollback()
        return attempt()


@router.get("", response_model=TenantList)
def list_tenants(
    actor: CurrentActor,
    session: SessionDep,
    status: Annotated[TenantState | None, Query(description="Only tenants in this status.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> TenantList:
    statement = service.visible_tenants(actor)
    if status is not None:
        statement = statement.where(Tenant.state == status)
    tenants = list(session.scalars(statement).unique())
    return TenantList(count=len(tenants), results=[service.to_out(t) for t in tenants[offset : offset + limit]])


@router.post("", response_model=TenantWithJob, status_code=201)
def onboard(
    request: Request,
    response: Response,
    data: TenantCreate,
    actor: OperatorActor,
    cp: ControlPlaneDep,
    session: SessionDep,
    idempotency_key: IdempotencyKey = None,
) -> TenantWithJob:
    fingerprint = jobs.fingerprint("POST", request.url.path, data.model_dump(mode="json"))

    def attempt() -> tuple[Tenant, Job | None, bool]:
        found = service.onboard(
            cp, session, actor, data, idempotency_key=idempotency_key, request_fingerprint=fingerprint
        )
        session.commit()
        return found

    # A concurrent request with the same slug, code or Idempotency-Key won the race: answer as it would now.
    tenant, job, replayed = retry_on_conflict(session, attempt)
    mark_started(response, f"/api/v1/tenants/{tenant.id}", replayed)
    return TenantWithJob(tenant=service.to_out(tenant), job=JobOut.of(job) if job else None)


@router.get("/{tenant_id}", response_model=TenantOut)
def get_tenant(tenant_id: uuid.UUID, actor: CurrentActor, session: SessionDep) -> TenantOut:
    return service.to_out(service.get_visible(session, actor, tenant_id))


@router.patch("/{tenant_id}", response_model=TenantOut)
def update_tenant(tenant_id: uuid.UUID, data: TenantUpdate, actor: CurrentActor, session: SessionDep) -> TenantOut:
    tenant = service.get_visible(session, actor, tenant_id)
    if not actor.may_manage_tenant(tenant.id):
        raise Problem(403, "Uw rol mag deze gemeente niet wijzigen.", code="permission_denied")
    service.update(session, actor, tenant, data)
    session.commit()
    return service.to_out(tenant)


def _action(kind: JobKind, summary: str):  # type: ignore[no-untyped-def]
    def start(
        tenant_id: uuid.UUID,
        request: Request,
        response: Response,
        actor: OperatorActor,
        cp: ControlPlaneDep,
        session: SessionDep,
        idempotency_key: IdempotencyKey = None,
    ) -> JobOut:
        tenant = service.get_visible(session, actor, tenant_id)
        fingerprint = jobs.fingerprint("POST", request.url.path, {})

        def attempt() -> tuple[Job, bool]:
            found = service.start(
                cp, session, actor, tenant, kind, idempotency_key=idempotency_key, request_fingerprint=fingerprint
            )
            session.commit()
            return found

        job, replayed = retry_on_conflict(session, attempt)
        mark_started(response, f"/api/v1/jobs/{job.id}", replayed)
        return JobOut.of(job)

    router.add_api_route(
        f"/{{tenant_id}}/{kind.value}",
        start,
        methods=["POST"],
        response_model=JobOut,
        status_code=202,
        summary=summary,
        name=f"tenant_{kind.value}",
    )


_action(JobKind.PROVISION, "Provision a tenant that was created without provisioning")
_action(JobKind.SUSPEND, "Suspend: the runtime answers 403 for this tenant")
_action(JobKind.RESUME, "Resume a suspended tenant")
_action(
    JobKind.DEPROVISION,
    "Deprovision: suspend, write the complete final export, delete the data, documents and backups after the "
    "retention period",
)


@router.post("/{tenant_id}/retry", response_model=JobOut, status_code=202, summary="Retry the last failed job")
def retry(
    tenant_id: uuid.UUID,
    request: Request,
    response: Response,
    actor: OperatorActor,
    cp: ControlPlaneDep,
    session: SessionDep,
    idempotency_key: IdempotencyKey = None,
) -> JobOut:
    tenant = service.get_visible(session, actor, tenant_id)
    fingerprint = jobs.fingerprint("POST", request.url.path, {})

    def attempt() -> tuple[Job, bool]:
        found = service.retry(
            cp, session, actor, tenant, idempotency_key=idempotency_key, request_fingerprint=fingerprint
        )
        session.commit()
        return found

    job, replayed = retry_on_conflict(session, attempt)
    mark_started(response, f"/api/v1/jobs/{job.id}", replayed)
    return JobOut.of(job)
