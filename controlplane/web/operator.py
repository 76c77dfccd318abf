"""Operator console: fleet table (status, tier, version, health, latest backup, API calls this month), onboarding
form, tenant detail with lifecycle actions and job progress, audit log. Finance may look at the fleet and tenant
details (read-only)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select

from controlplane.accounts.actors import Actor
from controlplane.audit import service as audit
from controlplane.backups import service as backups
from controlplane.billing.pricing import Period
from controlplane.deps import ControlPlaneDep, SessionDep
from controlplane.jobs.models import Job, JobKind, JobStatus
from controlplane.tenants import service
from controlplane.tenants.models import Plan, Tier
from controlplane.tenants.schemas import TenantCreate
from controlplane.usage import service as usage
from controlplane.web.forms import CsrfChecked, WebActor, errors_of
from controlplane.web.templating import templates
from tenant_runtime.core.problems import Problem

router = APIRouter(tags=["web"], include_in_schema=False)
ACTIONS = {"provision": JobKind.PROVISION, "suspend": JobKind.SUSPEND, "resume": JobKind.RESUME,
           "deprovision": JobKind.DEPROVISION}  # fmt: skip


def _require(actor: Actor, *, write: bool = False) -> None:
    if not (actor.is_operator or (not write and actor.sees_all_tenants())):
        raise Problem(403, "Deze pagina is voor beheerders van het platform.", code="permission_denied")


@router.get("/fleet", response_class=HTMLResponse)
def fleet(request: Request, actor: WebActor, cp: ControlPlaneDep, session: SessionDep) -> Response:
    _require(actor)
    tenants = list(session.scalars(service.visible_tenants(actor)).unique())
    running = {j.tenant_id: j for j in session.scalars(select(Job).where(Job.status.in_(["queued", "running"])))}
    period = Period.containing(cp.clock.now())  # the billing period so far: what the finance view prices
    calls = usage.api_call_counts(session, period.start, period.end, [t.id for t in tenants])
    return templates.TemplateResponse(
        request,
        "fleet.html",
        {
            "user": actor,
            "tenants": tenants,
            "running": running,
            "backups": backups.latest_backups(session),
            "calls": {tenant_id: sum(counts.values()) for tenant_id, counts in calls.items()},
            "period": period,
        },
    )


def _onboard_page(request: Request, actor: Actor, session: SessionDep, values: dict[str, str],
                  errors: dict[str, str], status: int = 200) -> Response:  # fmt: skip
    plans = list(session.scalars(select(Plan).where(Plan.is_active.is_(True)).order_by(Plan.code)))
    return templates.TemplateResponse(
        request,
        "onboard.html",
        {"user": actor, "plans": plans, "tiers": list(Tier), "values": values, "errors": errors},
        status_code=status,
    )


@router.get("/tenants/new", response_class=HTMLResponse)
def onboard_form(request: Request, actor: WebActor, session: SessionDep) -> Response:
    _require(actor, write=True)
    return _onboard_page(request, actor, session, {}, {})


@router.post("/tenants/new", response_class=HTMLResponse, dependencies=[CsrfChecked])
def onboard(
    request: Request,
    actor: WebActor,
    cp: ControlPlaneDep,
    session: SessionDep,
    name: Annotated[str, Form()] = "",
    gemeentecode: Annotated[str, Form()] = "",
    rsin: Annotated[str, Form()] = "",
    oin: Annotated[str, Form()] = "",
    inhabitants: Annotated[str, Form()] = "",
    slug: Annotated[str, Form()] = "",
    tier: Annotated[str, Form()] = "shared",
    plan: Annotated[str, Form()] = "",
) -> Response:
    _require(actor, write=True)
    values = {"name": name, "gemeentecode": gemeentecode, "rsin": rsin, "oin": oin, "inhabitants": inhabitants,
              "slug": slug, "tier": tier, "plan": plan}  # fmt: skip
    try:
        data = TenantCreate.model_validate({**values, "slug": slug or None, "inhabitants": inhabitants or None})
        tenant, _, _ = service.onboard(cp, session, actor, data)
        session.commit()
    except (ValidationError, Problem) as exc:
        session.rollback()
        return _onboard_page(request, actor, session, values, errors_of(exc), status=400)
    return RedirectResponse(f"/tenants/{tenant.id}", status_code=303)


@router.get("/tenants/{tenant_id}", response_class=HTMLResponse)
def tenant_detail(tenant_id: uuid.UUID, request: Request, actor: WebActor, session: SessionDep) -> Response:
    _require(actor)
    tenant = service.get_visible(session, actor, tenant_id)
    jobs = list(session.scalars(select(Job).where(Job.tenant_id == tenant.id).order_by(Job.created_at.desc())))
    busy = any(j.status in (JobStatus.QUEUED, JobStatus.RUNNING) for j in jobs)
    entries = list(session.scalars(audit.query(audit.AuditFilter(tenant_id=tenant.id)).limit(25)))
    return templates.TemplateResponse(
        request,
        "tenant.html",
        {
            "user": actor,
            "tenant": tenant,
            "out": service.to_out(tenant),
            "jobs": jobs,
            "busy": busy,
            "entries": entries,
            "error": request.query_params.get("error", ""),
        },
    )


@router.post("/tenants/{tenant_id}/actions/{action}", dependencies=[CsrfChecked])
def tenant_action(
    tenant_id: uuid.UUID, action: str, actor: WebActor, cp: ControlPlaneDep, session: SessionDep
) -> Response:
    _require(actor, write=True)
    tenant = service.get_visible(session, actor, tenant_id)
    try:
        if action == "retry":
            service.retry(cp, session, actor, tenant)
        elif action in ACTIONS:
            service.start(cp, session, actor, tenant, ACTIONS[action])
        else:
            raise Problem(404, "Onbekende actie.")
        session.commit()
    except Problem as exc:
        session.rollback()
        from urllib.parse import quote

        return RedirectResponse(f"/tenants/{tenant.id}?error={quote(exc.detail)}", status_code=303)
    return RedirectResponse(f"/tenants/{tenant.id}", status_code=303)


@router.get("/audit", response_class=HTMLResponse)
def audit_log(request: Request, actor: WebActor, session: SessionDep, action: str = "", by: str = "") -> Response:
    _require(actor, write=True)
    filters = audit.AuditFilter(action=action or None, actor=by or None)
    entries = list(session.scalars(audit.query(filters).limit(200)))
    return templates.TemplateResponse(
        request, "audit.html", {"user": actor, "entries": entries, "action": action, "by": by}
    )
