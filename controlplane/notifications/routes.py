"""``/api/v1/tenants/{id}/notifications``: a tenant's notification deliveries (dead letters, retries, delivered),
each delivery's attempt log, its subscriptions' circuits, and resending a delivery.

Operators: every tenant. A municipality's admin: its own tenant (any other answers 404). Finance: 403 (the
notifications are the municipality's data)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from controlplane.deps import ControlPlaneDep, IdempotencyKey, ManagerActor, SessionDep
from controlplane.jobs import service as jobs
from controlplane.notifications import service
from controlplane.notifications.schemas import (
    DeliveryList,
    DeliveryOut,
    DeliveryState,
    ResendOut,
    SubscriptionList,
    SubscriptionOut,
)

router = APIRouter(prefix="/api/v1/tenants/{tenant_id}/notifications", tags=["notifications"])

RUNTIME_PROBLEMS: dict[int | str, dict[str, str]] = {
    409: {"description": "The tenant is not active, or the delivery is already waiting to be delivered."},
    502: {"description": "The runtime answered something unusable (e.g. it refuses the platform token)."},
    503: {"description": "The runtime serving the tenant is not reachable or did not answer in time."},
}


def _page_url(request: Request, page: int) -> str:
    return str(request.url.include_query_params(page=page))


@router.get("/subscriptions", response_model=SubscriptionList, responses=RUNTIME_PROBLEMS)
def list_subscriptions(
    tenant_id: uuid.UUID, actor: ManagerActor, cp: ControlPlaneDep, session: SessionDep
) -> SubscriptionList:
    tenant = service.managed_tenant(session, actor, tenant_id)
    results = [SubscriptionOut.of(s) for s in service.subscriptions(cp, tenant)]
    return SubscriptionList(count=len(results), results=results)


@router.get("/deliveries", response_model=DeliveryList, responses=RUNTIME_PROBLEMS, summary="The delivery log")
def list_deliveries(
    tenant_id: uuid.UUID,
    request: Request,
    actor: ManagerActor,
    cp: ControlPlaneDep,
    session: SessionDep,
    status: Annotated[
        DeliveryState | None,
        Query(description="dead: dead letters; failed: being retried; pending; delivered."),
    ] = None,
    abonnement: Annotated[uuid.UUID | None, Query(description="Only this subscription's deliveries.")] = None,
    page: Annotated[int, Query(ge=1, le=1_000_000, description="Page number (newest first).")] = 1,
) -> DeliveryList:
    tenant = service.managed_tenant(session, actor, tenant_id)
    found = service.list_deliveries(cp, tenant, state=status, abonnement=abonnement, page=page)
    return DeliveryList(
        count=found.count,
        page=page,
        page_size=service.PAGE_SIZE,
        next=_page_url(request, page + 1) if found.has_next else None,
        previous=_page_url(request, page - 1) if page > 1 else None,
        results=[DeliveryOut.of(d) for d in found.results],
    )


@router.get("/deliveries/{delivery_id}", response_model=DeliveryOut, responses=RUNTIME_PROBLEMS)
def get_delivery(
    tenant_id: uuid.UUID, delivery_id: uuid.UUID, actor: ManagerActor, cp: ControlPlaneDep, session: SessionDep
) -> DeliveryOut:
    return DeliveryOut.of(service.delivery(cp, service.managed_tenant(session, actor, tenant_id), delivery_id))


@router.post(
    "/deliveries/{delivery_id}/resend",
    response_model=ResendOut,
    status_code=202,
    responses=RUNTIME_PROBLEMS,
    summary="Resend a notification (a dead letter, or one delivered before)",
)
def resend_delivery(
    tenant_id: uuid.UUID,
    delivery_id: uuid.UUID,
    request: Request,
    response: Response,
    actor: ManagerActor,
    cp: ControlPlaneDep,
    session: SessionDep,
    idempotency_key: IdempotencyKey = None,
) -> ResendOut:
    tenant = service.managed_tenant(session, actor, tenant_id)
    fingerprint = jobs.fingerprint("POST", request.url.path, {})
    result, replayed = service.resend(
        cp, session, actor, tenant, delivery_id, idempotency_key=idempotency_key, request_fingerprint=fingerprint
    )
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return ResendOut(delivery=DeliveryOut.of(result), replayed=replayed)
