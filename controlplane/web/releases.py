"""Releases and upgrade campaigns in the web UI. Operator console: ``/releases`` (the catalogue: describe a
release, make it available or withdraw it), ``/campaigns`` (start one, the list) and ``/campaigns/{id}`` (live
progress per wave and per tenant, pause/resume/cancel/override). ``/tenants/{id}/release``: a tenant's release,
pin and upgrade history (operators, finance read-only). Municipality portal: ``/portal/{id}/release`` (its
version, upgrade history, and pinning when the plan allows it)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from controlplane.accounts.actors import Actor
from controlplane.deps import ControlPlaneDep, SessionDep
from controlplane.releases import campaigns
from controlplane.releases import service as releases
from controlplane.releases.models import ACTIVE_CAMPAIGN, Campaign, CampaignStatus, Release, ReleaseStatus
from controlplane.releases.schemas import CampaignCreate, PinIn, ReleaseCreate, ReleaseUpdate
from controlplane.tenants import service as tenants
from controlplane.tenants.models import Tenant, Tier
from controlplane.web.forms import CsrfChecked, WebActor, errors_of
from controlplane.web.templating import templates
from tenant_runtime.core.problems import Problem

router = APIRouter(tags=["web"], include_in_schema=False)


def _operator(actor: Actor, *, write: bool = False) -> None:
    if not (actor.is_operator or (not write and actor.sees_all_tenants())):
        raise Problem(403, "Deze pagina is voor beheerders van het platform.", code="permission_denied")


def _lines(raw: str) -> list[str]:
    return [part.strip() for part in raw.replace(",", "\n").splitlines() if part.strip()]


# --- the catalogue ------------------------------------------------------------------------------------
def _releases_page(request: Request, actor: Actor, cp: ControlPlaneDep, session: Session, **extra: Any) -> Response:
    status = int(extra.pop("status", 200))
    context = {"user": actor, "releases": releases.list_releases(cp, session), "errors": {}, "values": {}, **extra}
    session.commit()
    return templates.TemplateResponse(request, "releases.html", context, status_code=status)


@router.get("/releases", response_class=HTMLResponse)
def release_catalogue(request: Request, actor: WebActor, cp: ControlPlaneDep, session: SessionDep) -> Response:
    _operator(actor)
    return _releases_page(request, actor, cp, session, error=request.query_params.get("error", ""))


@router.post("/releases", response_class=HTMLResponse, dependencies=[CsrfChecked])
def create_release(
    request: Request,
    actor: WebActor,
    cp: ControlPlaneDep,
    session: SessionDep,
    version: Annotated[str, Form()] = "",
    image: Annotated[str, Form()] = "",
    package_version: Annotated[str, Form()] = "",
    pool: Annotated[str, Form()] = "",
    schema_heads: Annotated[str, Form()] = "",
    migration_paths: Annotated[str, Form()] = "",
    reversible: Annotated[bool, Form()] = False,
    available: Annotated[bool, Form()] = False,
    notes: Annotated[str, Form()] = "",
) -> Response:
    _operator(actor, write=True)
    values = {"version": version, "image": image, "package_version": package_version, "pool": pool,
              "schema_heads": schema_heads, "migration_paths": migration_paths, "notes": notes}  # fmt: skip
    try:
        data = ReleaseCreate.model_validate({
            "version": version, "image": image, "package_version": package_version, "pool": pool or None,
            "schema_heads": _lines(schema_heads) or None, "migration_paths": _lines(migration_paths),
            "reversible": reversible, "notes": notes, "status": "available" if available else "draft",
        })  # fmt: skip
        releases.create_release(cp, session, actor, data)
        session.commit()
    except (ValidationError, Problem) as exc:
        session.rollback()
        return _releases_page(request, actor, cp, session, errors=errors_of(exc), values=values, status=400)
    return RedirectResponse("/releases", status_code=303)


@router.post("/releases/{version}/status", dependencies=[CsrfChecked])
def release_status(
    version: str, actor: WebActor, cp: ControlPlaneDep, session: SessionDep, status: Annotated[str, Form()] = ""
) -> Response:
    _operator(actor, write=True)
    try:
        release = releases.get_release(session, version)
        releases.update_release(cp, session, actor, release, ReleaseUpdate.model_validate({"status": status}))
        session.commit()
    except (ValidationError, Problem) as exc:
        session.rollback()
        return RedirectResponse(f"/releases?error={quote('; '.join(errors_of(exc).values()))}", status_code=303)
    return RedirectResponse("/releases", status_code=303)


# --- campaigns ----------------------------------------------------------------------------------------
def _campaigns_page(request: Request, actor: Actor, session: Session, **extra: Any) -> Response:
    status = int(extra.pop("status", 200))
    rows = [
        campaigns.campaign_out(session, c)
        for c in session.scalars(select(Campaign).order_by(Campaign.created_at.desc()).limit(50)).unique()
    ]
    available = list(
        session.scalars(select(Release).where(Release.status == ReleaseStatus.AVAILABLE).order_by(Release.created_at))
    )
    context = {
        "user": actor, "campaigns": rows, "available": available, "tiers": list(Tier), "errors": {}, "values": {},
        "busy": any(c.status in ACTIVE_CAMPAIGN for c in rows), **extra,
    }  # fmt: skip
    return templates.TemplateResponse(request, "campaigns.html", context, status_code=status)


@router.get("/campaigns", response_class=HTMLResponse)
def campaign_list(request: Request, actor: WebActor, session: SessionDep) -> Response:
    _operator(actor)
    return _campaigns_page(request, actor, session)


@router.post("/campaigns", response_class=HTMLResponse, dependencies=[CsrfChecked])
def start_campaign(
    request: Request,
    actor: WebActor,
    cp: ControlPlaneDep,
    session: SessionDep,
    release: Annotated[str, Form()] = "",
    scope: Annotated[str, Form()] = "all",
    tier: Annotated[str, Form()] = "",
    tenant_slugs: Annotated[str, Form()] = "",
    canaries: Annotated[str, Form()] = "",
    canary_count: Annotated[str, Form()] = "1",
    wave_size: Annotated[str, Form()] = "10",
    wave_pause_seconds: Annotated[str, Form()] = "300",
    failure_policy: Annotated[str, Form()] = "continue",
    ignore_maintenance_windows: Annotated[bool, Form()] = False,
) -> Response:
    _operator(actor, write=True)
    values = {"release": release, "scope": scope, "tier": tier, "tenant_slugs": tenant_slugs, "canaries": canaries,
              "canary_count": canary_count, "wave_size": wave_size, "wave_pause_seconds": wave_pause_seconds,
              "failure_policy": failure_policy}  # fmt: skip
    try:
        data = CampaignCreate.model_validate({
            "release": release, "scope": scope, "tier": tier or None,
            "tenants": _lines(tenant_slugs) if scope == "tenants" else [], "canaries": _lines(canaries),
            "canary_count": canary_count or 0, "wave_size": wave_size or None,
            "wave_pause_seconds": wave_pause_seconds or 0, "failure_policy": failure_policy,
            "ignore_maintenance_windows": ignore_maintenance_windows,
        })  # fmt: skip
        campaign, _ = campaigns.start(cp, session, actor, data)
        session.commit()
    except (ValidationError, Problem) as exc:
        session.rollback()
        errors = errors_of(exc)
        if "tenants" in errors:
            errors["tenant_slugs"] = errors.pop("tenants")
        return _campaigns_page(request, actor, session, errors=errors, values=values, status=400)
    return RedirectResponse(f"/campaigns/{campaign.id}", status_code=303)


@router.get("/campaigns/{campaign_id}", response_class=HTMLResponse)
def campaign_detail(campaign_id: uuid.UUID, request: Request, actor: WebActor, session: SessionDep) -> Response:
    _operator(actor)
    campaign = campaigns.get(session, campaign_id)
    out = campaigns.campaign_out(session, campaign, with_tenants=True)
    return templates.TemplateResponse(
        request,
        "campaign.html",
        {
            "user": actor,
            "campaign": out,
            "busy": campaign.status is CampaignStatus.RUNNING
            or any(t.status.value == "running" for t in out.tenants or []),
            "error": request.query_params.get("error", ""),
        },
    )


@router.post("/campaigns/{campaign_id}/actions/{action}", dependencies=[CsrfChecked])
def campaign_action(
    campaign_id: uuid.UUID, action: str, actor: WebActor, cp: ControlPlaneDep, session: SessionDep
) -> Response:
    _operator(actor, write=True)
    try:
        campaigns.act(cp, session, actor, campaigns.get(session, campaign_id), action)
        session.commit()
    except Problem as exc:
        session.rollback()
        return RedirectResponse(f"/campaigns/{campaign_id}?error={quote(exc.detail)}", status_code=303)
    return RedirectResponse(f"/campaigns/{campaign_id}", status_code=303)


# --- a tenant's release (operator console and municipality portal) --------------------------------------
def _release_page(
    request: Request, actor: Actor, cp: ControlPlaneDep, session: Session, tenant: Tenant, *, portal: bool,
    **extra: Any,
) -> Response:  # fmt: skip
    status = int(extra.pop("status", 200))
    history = [campaigns.upgrade_out(session, u, tenant) for u in releases.upgrades_of(session, tenant, 50)]
    context = {
        "user": actor, "tenant": tenant, "release": releases.tenant_release_out(cp, session, tenant),
        "history": history, "portal": portal, "errors": {}, "busy": any(u.status.value == "running" for u in history),
        "may_pin": actor.is_operator or (portal and releases.pinning_allowed(cp, tenant)), **extra,
    }  # fmt: skip
    session.commit()
    return templates.TemplateResponse(request, "tenant_release.html", context, status_code=status)


def _tenant(session: Session, actor: Actor, tenant_id: uuid.UUID, *, portal: bool) -> Tenant:
    tenant = tenants.get_visible(session, actor, tenant_id)
    if portal and not actor.may_manage_tenant(tenant.id):
        raise Problem(404, "Gemeente niet gevonden.", code="not_found")
    if not portal:
        _operator(actor)
    return tenant


def _pin_action(
    request: Request, actor: Actor, cp: ControlPlaneDep, session: Session, tenant: Tenant, *, portal: bool,
    version: str, reason: str, unpin: bool,
) -> Response:  # fmt: skip
    try:
        if unpin:
            releases.unpin(cp, session, actor, tenant)
        else:
            releases.pin(cp, session, actor, tenant, PinIn.model_validate({"version": version, "reason": reason}))
        session.commit()
    except (ValidationError, Problem) as exc:
        session.rollback()
        errors = errors_of(exc)
        return _release_page(request, actor, cp, session, tenant, portal=portal,
                             errors={"pin": "; ".join(errors.values())}, status=400)  # fmt: skip
    return RedirectResponse(f"{'/portal' if portal else '/tenants'}/{tenant.id}/release", status_code=303)


@router.get("/tenants/{tenant_id}/release", response_class=HTMLResponse)
def tenant_release(
    tenant_id: uuid.UUID, request: Request, actor: WebActor, cp: ControlPlaneDep, session: SessionDep
) -> Response:
    tenant = _tenant(session, actor, tenant_id, portal=False)
    return _release_page(request, actor, cp, session, tenant, portal=False)


@router.post("/tenants/{tenant_id}/release/pin", response_class=HTMLResponse, dependencies=[CsrfChecked])
def tenant_pin(
    tenant_id: uuid.UUID, request: Request, actor: WebActor, cp: ControlPlaneDep, session: SessionDep,
    version: Annotated[str, Form()] = "", reason: Annotated[str, Form()] = "", unpin: Annotated[bool, Form()] = False,
) -> Response:  # fmt: skip
    _operator(actor, write=True)
    tenant = _tenant(session, actor, tenant_id, portal=False)
    return _pin_action(request, actor, cp, session, tenant, portal=False, version=version, reason=reason, unpin=unpin)


@router.get("/portal/{tenant_id}/release", response_class=HTMLResponse)
def portal_release(
    tenant_id: uuid.UUID, request: Request, actor: WebActor, cp: ControlPlaneDep, session: SessionDep
) -> Response:
    tenant = _tenant(session, actor, tenant_id, portal=True)
    return _release_page(request, actor, cp, session, tenant, portal=True)


@router.post("/portal/{tenant_id}/release/pin", response_class=HTMLResponse, dependencies=[CsrfChecked])
def portal_pin(
    tenant_id: uuid.UUID, request: Request, actor: WebActor, cp: ControlPlaneDep, session: SessionDep,
    version: Annotated[str, Form()] = "", reason: Annotated[str, Form()] = "", unpin: Annotated[bool, Form()] = False,
) -> Response:  # fmt: skip
    tenant = _tenant(session, actor, tenant_id, portal=True)
    return _pin_action(request, actor, cp, session, tenant, portal=True, version=version, reason=reason, unpin=unpin)
