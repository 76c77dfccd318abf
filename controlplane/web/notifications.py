"""Notifications in the web UI: a tenant's subscriptions (circuits), dead letters first, the delivery log and a
resend button. Operator console: ``/tenants/{id}/notifications``; municipality portal:
``/portal/{id}/notifications`` (its own tenant; operators may open every portal). Finance has no access (the
notifications are the municipality's data). The pages read the runtime through ``controlplane.notifications``;
when it cannot be reached the page says so (with the problem's status) instead of failing."""

from __future__ import annotations

import uuid
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.orm import Session

from controlplane.accounts.actors import Actor
from controlplane.container import ControlPlane
from controlplane.deps import ControlPlaneDep, SessionDep
from controlplane.jobs import service as jobs
from controlplane.notifications import service
from controlplane.notifications.schemas import DeliveryOut, DeliveryState, SubscriptionOut
from controlplane.tenants import service as tenants
from controlplane.tenants.models import Tenant
from controlplane.web.forms import CsrfChecked, WebActor
from controlplane.web.templating import templates
from tenant_runtime.core.problems import Problem

router = APIRouter(tags=["web"], include_in_schema=False)
_STATE = TypeAdapter(DeliveryState | None)
_PAGE = TypeAdapter(int)


def _operator_tenant(session: Session, actor: Actor, tenant_id: uuid.UUID) -> Tenant:
    if not actor.is_operator:
        raise Problem(403, "Deze pagina is voor beheerders van het platform.", code="permission_denied")
    return tenants.get_visible(session, actor, tenant_id)


def _filters(request: Request) -> tuple[DeliveryState | None, int, dict[str, str]]:
    errors: dict[str, str] = {}
    state: DeliveryState | None = None
    page = 1
    try:
        state = _STATE.validate_python(request.query_params.get("status") or None)
    except ValidationError:
        errors["status"] = "Kies uit pending, failed, delivered of dead."
    try:
        page = max(1, _PAGE.validate_python(request.query_params.get("page") or "1"))
    except ValidationError:
        errors["page"] = "Geef een positief paginanummer op."
    return state, page, errors


def _page(request: Request, cp: ControlPlane, actor: Actor, tenant: Tenant, *, portal: bool) -> Response:
    base = f"/portal/{tenant.id}" if portal else f"/tenants/{tenant.id}"
    state, page, errors = _filters(request)
    context: dict[str, Any] = {
        "user": actor,
        "tenant": tenant,
        "portal": portal,
        "base": base,
        "state": state.value if state else "",
        "states": [s.value for s in DeliveryState],
        "page": page,
        "errors": errors,
        "subscriptions": [],
        "dead": [],
        "deliveries": [],
        "count": 0,
        "has_next": False,
        "idempotency_key": str(uuid.uuid4()),  # one per rendered page: a double-submitted form resends once
        "message": request.query_params.get("message", ""),
        "error": request.query_params.get("error", ""),
    }
    status = 400 if errors else 200
    try:
        context["subscriptions"] = [SubscriptionOut.of(s) for s in service.subscriptions(cp, tenant)]
        dead = service.list_deliveries(cp, tenant, state=DeliveryState.DEAD)
        context["dead"] = [DeliveryOut.of(d) for d in dead.results]
        context["dead_count"] = dead.count
        if not errors:
            found = service.list_deliveries(cp, tenant, state=state, page=page)
            context.update(
                deliveries=[DeliveryOut.of(d) for d in found.results], count=found.count, has_next=found.has_next
            )
    except Problem as problem:
        context["error"] = problem.detail
        status = problem.status
    return templates.TemplateResponse(request, "notifications_tenant.html", context, status_code=status)


@router.get("/tenants/{tenant_id}/notifications", response_class=HTMLResponse)
def tenant_notifications(
    tenant_id: uuid.UUID, request: Request, actor: WebActor, cp: ControlPlaneDep, session: SessionDep
) -> Response:
    return _page(request, cp, actor, _operator_tenant(session, actor, tenant_id), portal=False)


@router.get("/portal/{tenant_id}/notifications", response_class=HTMLResponse)
def portal_notifications(
    tenant_id: uuid.UUID, request: Request, actor: WebActor, cp: ControlPlaneDep, session: SessionDep
) -> Response:
    return _page(request, cp, actor, service.managed_tenant(session, actor, tenant_id), portal=True)


def _resend(
    request: Request, cp: ControlPlane, session: Session, actor: Actor, tenant: Tenant, delivery_id: uuid.UUID,
    idempotency_key: str, base: str,
) -> Response:  # fmt: skip
    fingerprint = jobs.fingerprint("POST", request.url.path, {})
    try:
        _, replayed = service.resend(
            cp, session, actor, tenant, delivery_id, idempotency_key=idempotency_key or None,
            request_fingerprint=fingerprint,
        )  # fmt: skip
    except Problem as problem:
        session.rollback()
        return RedirectResponse(f"{base}/notifications?error={quote(problem.detail)}", status_code=303)
    message = "Deze notificatie was al opnieuw verstuurd." if replayed else "De notificatie wordt opnieuw verstuurd."
    return RedirectResponse(f"{base}/notifications?message={quote(message)}", status_code=303)


@router.post("/tenants/{tenant_id}/notifications/{delivery_id}/resend", dependencies=[CsrfChecked])
def tenant_resend(
    tenant_id: uuid.UUID,
    delivery_id: uuid.UUID,
    request: Request,
    actor: WebActor,
    cp: ControlPlaneDep,
    session: SessionDep,
    idempotency_key: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    tenant = _operator_tenant(session, actor, tenant_id)
    return _resend(request, cp, session, actor, tenant, delivery_id, idempotency_key, f"/tenants/{tenant.id}")


@router.post("/portal/{tenant_id}/notifications/{delivery_id}/resend", dependencies=[CsrfChecked])
def portal_resend(
    tenant_id: uuid.UUID,
    delivery_id: uuid.UUID,
    request: Request,
    actor: WebActor,
    cp: ControlPlaneDep,
    session: SessionDep,
    idempotency_key: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    tenant = service.managed_tenant(session, actor, tenant_id)
    return _resend(request, cp, session, actor, tenant, delivery_id, idempotency_key, f"/portal/{tenant.id}")
