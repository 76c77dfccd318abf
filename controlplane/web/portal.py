"""Municipality portal: status and API base URLs, credentials (secret shown once), autorisaties per
application, maintenance window and the tenant's own audit log. Operators may open every tenant's portal;
a municipality admin only their own (any other answers 404)."""

from __future__ import annotations

import uuid
from datetime import time
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from controlplane.accounts.actors import Actor
from controlplane.audit import service as audit
from controlplane.credentials import service as credentials
from controlplane.credentials.models import ApiCredential, CredentialStatus
from controlplane.credentials.schemas import Autorisatie, CredentialCreate, CredentialUpdate
from controlplane.deps import ControlPlaneDep, SessionDep
from controlplane.tenants import service as tenants
from controlplane.tenants.models import Tenant
from controlplane.tenants.schemas import MaintenanceWindow, TenantUpdate
from controlplane.web.forms import CsrfChecked, WebActor, errors_of
from controlplane.web.templating import templates
from tenant_runtime.core.problems import Problem
from tenant_runtime.core.vertrouwelijkheid import Vertrouwelijkheid

router = APIRouter(prefix="/portal/{tenant_id}", tags=["web"], include_in_schema=False)
WEEKDAYS = ["maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"]
COMPONENTS = ["zrc", "drc", "ztc", "brc", "nrc", "ac"]


def _tenant(session: Session, actor: Actor, tenant_id: uuid.UUID) -> Tenant:
    tenant = tenants.get_visible(session, actor, tenant_id)
    if not actor.may_manage_tenant(tenant.id):
        raise Problem(404, "Gemeente niet gevonden.", code="not_found")
    return tenant


def _credential(session: Session, tenant: Tenant, credential_id: uuid.UUID) -> ApiCredential:
    credential = session.get(ApiCredential, credential_id)
    if credential is None or credential.tenant_id != tenant.id:
        raise Problem(404, "Credential niet gevonden.", code="not_found")
    return credential


def _page(request: Request, actor: Actor, session: Session, tenant: Tenant, **extra: object) -> Response:
    status = int(extra.pop("status", 200))  # type: ignore[call-overload]
    context = {
        "user": actor,
        "tenant": tenant,
        "out": tenants.to_out(tenant),
        "credentials": credentials.list_for(session, tenant),
        "entries": list(session.scalars(audit.query(audit.AuditFilter(tenant_id=tenant.id)).limit(50))),
        "weekdays": WEEKDAYS,
        "components": COMPONENTS,
        "levels": [v.value for v in Vertrouwelijkheid],
        "errors": {},
        "values": {},
        "secret": None,
        **extra,
    }
    headers = {"Cache-Control": "no-store"} if extra.get("secret") else None
    return templates.TemplateResponse(request, "portal.html", context, status_code=status, headers=headers)


@router.get("", response_class=HTMLResponse)
def portal(tenant_id: uuid.UUID, request: Request, actor: WebActor, session: SessionDep) -> Response:
    return _page(request, actor, session, _tenant(session, actor, tenant_id))


def _autorisatie(component: str, scopes: str, type_url: str, level: str) -> Autorisatie:
    type_field = {"zrc": "zaaktype", "drc": "informatieobjecttype", "brc": "besluittype"}.get(component)
    values: dict[str, object] = {"component": component, "scopes": [s.strip() for s in scopes.split(",") if s.strip()]}
    if type_field and type_url:
        values[type_field] = type_url
    if level:
        values["max_vertrouwelijkheidaanduiding"] = level
    return Autorisatie.model_validate(values)


@router.post("/credentials", response_class=HTMLResponse, dependencies=[CsrfChecked])
def create_credential(
    tenant_id: uuid.UUID,
    request: Request,
    actor: WebActor,
    cp: ControlPlaneDep,
    session: SessionDep,
    client_id: Annotated[str, Form()] = "",
    label: Annotated[str, Form()] = "",
    heeft_alle_autorisaties: Annotated[bool, Form()] = False,
    component: Annotated[str, Form()] = "",
    scopes: Annotated[str, Form()] = "",
    type_url: Annotated[str, Form()] = "",
    level: Annotated[str, Form()] = "",
) -> Response:
    tenant = _tenant(session, actor, tenant_id)
    values = {"client_id": client_id, "label": label, "component": component, "scopes": scopes,
              "type_url": type_url, "level": level}  # fmt: skip
    try:
        grants = [_autorisatie(component, scopes, type_url, level)] if component else []
        data = CredentialCreate(
            client_id=client_id, label=label, heeft_alle_autorisaties=heeft_alle_autorisaties, autorisaties=grants
        )
        credential, secret = credentials.create(cp, session, actor, tenant, data)
        session.commit()
    except (ValidationError, Problem) as exc:
        session.rollback()
        return _page(request, actor, session, tenant, errors=errors_of(exc), values=values, status=400)
    return _page(request, actor, session, tenant, secret={"client_id": credential.client_id, "secret": secret})


@router.post("/credentials/{credential_id}/rotate", response_class=HTMLResponse, dependencies=[CsrfChecked])
def rotate_credential(
    tenant_id: uuid.UUID, credential_id: uuid.UUID, request: Request, actor: WebActor, cp: ControlPlaneDep,
    session: SessionDep,
) -> Response:  # fmt: skip
    tenant = _tenant(session, actor, tenant_id)
    credential = _credential(session, tenant, credential_id)
    secret = credentials.rotate(cp, session, actor, tenant, credential)
    session.commit()
    return _page(request, actor, session, tenant, secret={"client_id": credential.client_id, "secret": secret})


@router.post("/credentials/{credential_id}/revoke", dependencies=[CsrfChecked])
def revoke_credential(
    tenant_id: uuid.UUID, credential_id: uuid.UUID, actor: WebActor, cp: ControlPlaneDep, session: SessionDep
) -> Response:
    tenant = _tenant(session, actor, tenant_id)
    credentials.revoke(cp, session, actor, tenant, _credential(session, tenant, credential_id))
    session.commit()
    return RedirectResponse(f"/portal/{tenant.id}#credentials", status_code=303)


@router.post("/credentials/{credential_id}/autorisaties", response_class=HTMLResponse, dependencies=[CsrfChecked])
def add_autorisatie(
    tenant_id: uuid.UUID,
    credential_id: uuid.UUID,
    request: Request,
    actor: WebActor,
    cp: ControlPlaneDep,
    session: SessionDep,
    component: Annotated[str, Form()] = "",
    scopes: Annotated[str, Form()] = "",
    type_url: Annotated[str, Form()] = "",
    level: Annotated[str, Form()] = "",
) -> Response:
    tenant = _tenant(session, actor, tenant_id)
    credential = _credential(session, tenant, credential_id)
    try:
        grant = _autorisatie(component, scopes, type_url, level)
        current = [Autorisatie.model_validate(_as_input(a)) for a in credential.autorisaties]
        credentials.update(cp, session, actor, tenant, credential, CredentialUpdate(autorisaties=[*current, grant]))
        session.commit()
    except (ValidationError, Problem) as exc:
        session.rollback()
        return _page(request, actor, session, tenant, errors={f"auth-{credential.id}": "; ".join(
            errors_of(exc).values())}, status=400)  # fmt: skip
    return RedirectResponse(f"/portal/{tenant.id}#credential-{credential.id}", status_code=303)


@router.post("/credentials/{credential_id}/autorisaties/{index}/delete", dependencies=[CsrfChecked])
def delete_autorisatie(
    tenant_id: uuid.UUID, credential_id: uuid.UUID, index: int, actor: WebActor, cp: ControlPlaneDep,
    session: SessionDep,
) -> Response:  # fmt: skip
    tenant = _tenant(session, actor, tenant_id)
    credential = _credential(session, tenant, credential_id)
    remaining = [Autorisatie.model_validate(_as_input(a)) for i, a in enumerate(credential.autorisaties) if i != index]
    try:
        credentials.update(cp, session, actor, tenant, credential, CredentialUpdate(autorisaties=remaining))
        session.commit()
    except Problem:
        session.rollback()  # the last autorisatie of an application without heeft_alle_autorisaties stays
    return RedirectResponse(f"/portal/{tenant.id}#credential-{credential.id}", status_code=303)


def _as_input(stored: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in stored.items() if v not in ("", None)}


@router.post("/maintenance", response_class=HTMLResponse, dependencies=[CsrfChecked])
def maintenance_window(
    tenant_id: uuid.UUID,
    request: Request,
    actor: WebActor,
    session: SessionDep,
    weekday: Annotated[str, Form()] = "",
    start: Annotated[str, Form()] = "",
    duration_minutes: Annotated[str, Form()] = "",
) -> Response:
    tenant = _tenant(session, actor, tenant_id)
    try:
        window = None
        if weekday:
            window = MaintenanceWindow.model_validate(
                {"weekday": weekday, "start": start or time(2, 0), "duration_minutes": duration_minutes or None}
            )
        tenants.update(session, actor, tenant, TenantUpdate(maintenance_window=window))
        session.commit()
    except (ValidationError, Problem) as exc:
        session.rollback()
        return _page(request, actor, session, tenant, errors={"maintenance": "; ".join(errors_of(exc).values())},
                     status=400)  # fmt: skip
    return RedirectResponse(f"/portal/{tenant.id}#maintenance", status_code=303)


__all__ = ["CredentialStatus", "router"]
