"""Backups in the web UI. Operator console: ``/backups`` (the fleet: each tenant's latest drill, failed ones first;
each tenant's latest backup; recent backups) and ``/tenants/{id}/backups`` (take a backup, restore in place or into
a new tenant, run a drill, export). Municipality portal: ``/portal/{id}/backups`` (its backups, take one, restore in
place after typing the tenant's name, its drills, export and download). Finance sees the fleet page read-only."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from controlplane.accounts.actors import Actor
from controlplane.backups import service
from controlplane.backups.models import Backup, Drill, Export, Restore, RestoreMode
from controlplane.backups.schemas import CloneTarget
from controlplane.deps import ControlPlaneDep, SessionDep
from controlplane.tenants import service as tenants
from controlplane.tenants.models import Tenant
from controlplane.web.forms import CsrfChecked, WebActor, errors_of
from controlplane.web.templating import templates
from tenant_runtime.core.problems import InvalidParam, Problem

router = APIRouter(tags=["web"], include_in_schema=False)


def _operator(actor: Actor, *, write: bool = False) -> None:
    if not (actor.is_operator or (not write and actor.sees_all_tenants())):
        raise Problem(403, "Deze pagina is voor beheerders van het platform.", code="permission_denied")


def _own(session: Session, actor: Actor, tenant_id: uuid.UUID) -> Tenant:
    tenant = tenants.get_visible(session, actor, tenant_id)
    if not actor.may_manage_tenant(tenant.id):
        raise Problem(404, "Gemeente niet gevonden.", code="not_found")
    return tenant


@router.get("/backups", response_class=HTMLResponse)
def fleet_backups(request: Request, actor: WebActor, session: SessionDep) -> Response:
    _operator(actor)
    drills = service.latest_drills(session, actor)
    names = {t.id: t.name for t in session.scalars(tenants.visible_tenants(actor)).unique()}
    return templates.TemplateResponse(
        request,
        "backups_fleet.html",
        {
            "user": actor,
            "rows": service.fleet_overview(session),
            "drills": drills,
            "latest_drill": {drill.tenant_id: drill for drill in drills},
            "recent": list(session.scalars(service.visible_backups(actor).limit(50))),
            "names": names,
            "busy": any(d.status.value in ("pending", "running") for d in drills),
        },
    )


def _page(
    request: Request, actor: Actor, session: Session, tenant: Tenant, *, portal: bool, **extra: object
) -> Response:
    status = int(extra.pop("status", 200))  # type: ignore[call-overload]
    backups = list(session.scalars(service.visible_backups(actor).where(Backup.tenant_id == tenant.id).limit(100)))
    drills = list(session.scalars(service.visible_drills(actor).where(Drill.tenant_id == tenant.id).limit(20)))
    restores = list(
        session.scalars(service.visible_restores(actor).where(Restore.target_tenant_id == tenant.id).limit(20))
    )
    exports = list(session.scalars(service.visible_exports(actor).where(Export.tenant_id == tenant.id).limit(10)))
    statuses = [x.status.value for x in backups] + [x.status.value for x in drills]
    statuses += [x.status.value for x in restores] + [x.status.value for x in exports]
    return templates.TemplateResponse(
        request,
        "backups_tenant.html",
        {
            "user": actor,
            "tenant": tenant,
            "portal": portal,
            "base": f"/portal/{tenant.id}" if portal else f"/tenants/{tenant.id}",
            "policy": service.policy_for(request.app.state.controlplane, session, tenant.plan_id),
            "backups": backups,
            "drills": drills,
            "restores": restores,
            "exports": exports,
            "busy": any(status in ("pending", "running") for status in statuses),
            "errors": {},
            "values": {},
            "message": request.query_params.get("message", ""),
            "error": request.query_params.get("error", ""),
            **extra,
        },
        status_code=status,
    )


@router.get("/tenants/{tenant_id}/backups", response_class=HTMLResponse)
def tenant_backups(tenant_id: uuid.UUID, request: Request, actor: WebActor, session: SessionDep) -> Response:
    _operator(actor)
    return _page(request, actor, session, tenants.get_visible(session, actor, tenant_id), portal=False)


@router.get("/portal/{tenant_id}/backups", response_class=HTMLResponse)
def portal_backups(tenant_id: uuid.UUID, request: Request, actor: WebActor, session: SessionDep) -> Response:
    return _page(request, actor, session, _own(session, actor, tenant_id), portal=True)


def _back(base: str, *, error: str = "", message: str = "") -> Response:
    query = f"?error={quote(error)}" if error else (f"?message={quote(message)}" if message else "")
    return RedirectResponse(f"{base}/backups{query}", status_code=303)


def _tenant_for_form(session: Session, actor: Actor, tenant_id: uuid.UUID, portal: bool) -> tuple[Tenant, str]:
    if portal:
        tenant = _own(session, actor, tenant_id)
        return tenant, f"/portal/{tenant.id}"
    _operator(actor, write=True)
    return tenants.get_visible(session, actor, tenant_id), f"/tenants/{tenant_id}"


def _act(base: str, session: Session, action: Callable[[], object], message: str) -> Response:
    """Start something from a form: back to the page with a message, or with the problem's text."""
    try:
        action()
        session.commit()
    except Problem as exc:
        session.rollback()
        return _back(base, error=exc.detail)
    return _back(base, message=message)


def _take_backup(
    tenant_id: uuid.UUID, actor: Actor, cp: ControlPlaneDep, session: Session, reason: str, portal: bool
) -> Response:
    tenant, base = _tenant_for_form(session, actor, tenant_id, portal)

    def start() -> object:
        service.require_manager(actor, tenant)
        return service.start_backup(cp, session, actor, tenant, reason=reason[:500])

    return _act(base, session, start, "De backup is gestart.")


@router.post("/tenants/{tenant_id}/backups", dependencies=[CsrfChecked])
def operator_take_backup(
    tenant_id: uuid.UUID, actor: WebActor, cp: ControlPlaneDep, session: SessionDep,
    reason: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    return _take_backup(tenant_id, actor, cp, session, reason, portal=False)


@router.post("/portal/{tenant_id}/backups", dependencies=[CsrfChecked])
def portal_take_backup(
    tenant_id: uuid.UUID, actor: WebActor, cp: ControlPlaneDep, session: SessionDep,
    reason: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    return _take_backup(tenant_id, actor, cp, session, reason, portal=True)


def _restore(
    request: Request, tenant_id: uuid.UUID, backup_id: uuid.UUID, actor: Actor, cp: ControlPlaneDep, session: Session,
    *, portal: bool, values: dict[str, str],
) -> Response:  # fmt: skip
    tenant, base = _tenant_for_form(session, actor, tenant_id, portal)
    backup = service.get_backup(session, actor, backup_id)
    if backup.tenant_id != tenant.id:
        raise Problem(404, "Backup niet gevonden.", code="not_found")
    try:
        mode = RestoreMode(values.get("mode") or "in_place")
        if portal and mode is not RestoreMode.IN_PLACE:
            raise Problem(
                403, "Vanuit het portaal kan alleen de eigen omgeving worden hersteld.", code="permission_denied"
            )
        target = None
        if mode is RestoreMode.IN_PLACE:
            if values.get("confirm", "").strip() != tenant.slug:
                raise Problem(
                    400, "Bevestig door de korte naam van de omgeving te typen.", code="invalid",
                    invalid_params=[InvalidParam("confirm", "mismatch", f"Typ '{tenant.slug}' om te bevestigen.")],
                )  # fmt: skip
        else:
            fields = {k: values.get(k) for k in ("name", "gemeentecode", "slug")}
            target = CloneTarget.model_validate({k: v for k, v in fields.items() if v})
        service.start_restore(cp, session, actor, backup, mode=mode, target=target, reason="web")
        session.commit()
    except (ValidationError, Problem, ValueError) as exc:
        session.rollback()
        errors = errors_of(exc) if isinstance(exc, ValidationError | Problem) else {"mode": str(exc)}
        problems = {"restore": errors, "backup": str(backup.id)}
        return _page(request, actor, session, tenant, portal=portal, errors=problems, values=values, status=400)
    return _back(base, message="Het herstel is gestart.")


@router.post(
    "/tenants/{tenant_id}/backups/{backup_id}/restore", response_class=HTMLResponse, dependencies=[CsrfChecked]
)
def operator_restore(
    tenant_id: uuid.UUID, backup_id: uuid.UUID, request: Request, actor: WebActor, cp: ControlPlaneDep,
    session: SessionDep, mode: Annotated[str, Form()] = "in_place", confirm: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "", gemeentecode: Annotated[str, Form()] = "", slug: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    values = {"mode": mode, "confirm": confirm, "name": name, "gemeentecode": gemeentecode, "slug": slug}
    return _restore(request, tenant_id, backup_id, actor, cp, session, portal=False, values=values)


@router.post("/portal/{tenant_id}/backups/{backup_id}/restore", response_class=HTMLResponse, dependencies=[CsrfChecked])
def portal_restore(
    tenant_id: uuid.UUID, backup_id: uuid.UUID, request: Request, actor: WebActor, cp: ControlPlaneDep,
    session: SessionDep, confirm: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    values = {"mode": "in_place", "confirm": confirm}
    return _restore(request, tenant_id, backup_id, actor, cp, session, portal=True, values=values)


@router.post("/tenants/{tenant_id}/drills", dependencies=[CsrfChecked])
def operator_drill(tenant_id: uuid.UUID, actor: WebActor, cp: ControlPlaneDep, session: SessionDep) -> Response:
    tenant, base = _tenant_for_form(session, actor, tenant_id, portal=False)
    return _act(
        base, session, lambda: service.start_drill(cp, session, actor, tenant), "De hersteloefening is gestart."
    )


def _export(tenant_id: uuid.UUID, actor: Actor, cp: ControlPlaneDep, session: Session, portal: bool) -> Response:
    tenant, base = _tenant_for_form(session, actor, tenant_id, portal)
    return _act(base, session, lambda: service.start_export(cp, session, actor, tenant), "De export wordt klaargezet.")


@router.post("/tenants/{tenant_id}/exports", dependencies=[CsrfChecked])
def operator_export(tenant_id: uuid.UUID, actor: WebActor, cp: ControlPlaneDep, session: SessionDep) -> Response:
    return _export(tenant_id, actor, cp, session, portal=False)


@router.post("/portal/{tenant_id}/exports", dependencies=[CsrfChecked])
def portal_export(tenant_id: uuid.UUID, actor: WebActor, cp: ControlPlaneDep, session: SessionDep) -> Response:
    return _export(tenant_id, actor, cp, session, portal=True)
