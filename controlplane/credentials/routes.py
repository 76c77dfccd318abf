"""``/api/v1/tenants/{tenant_id}/credentials``: a municipality's API credentials (operators and its own admins)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from controlplane.accounts.actors import Actor
from controlplane.credentials import service
from controlplane.credentials.models import ApiCredential
from controlplane.credentials.schemas import (
    CredentialCreate,
    CredentialList,
    CredentialOut,
    CredentialUpdate,
    CredentialWithSecret,
    SecretOut,
)
from controlplane.deps import ControlPlaneDep, ManagerActor, SessionDep
from controlplane.tenants import service as tenants
from controlplane.tenants.models import Tenant
from tenant_runtime.core.problems import Problem

router = APIRouter(prefix="/api/v1/tenants/{tenant_id}/credentials", tags=["credentials"])


def to_out(credential: ApiCredential) -> CredentialOut:
    return CredentialOut(
        id=credential.id,
        tenant_id=credential.tenant_id,
        client_id=credential.client_id,
        label=credential.label,
        status=credential.status,
        heeft_alle_autorisaties=credential.heeft_alle_autorisaties,
        autorisaties=list(credential.autorisaties),
        secrets=[SecretOut(created_at=s.created_at, expires_at=s.expires_at) for s in credential.secrets],
        created_at=credential.created_at,
        revoked_at=credential.revoked_at,
    )


def _tenant(session: Session, actor: Actor, tenant_id: uuid.UUID) -> Tenant:
    tenant = tenants.get_visible(session, actor, tenant_id)
    if not actor.may_manage_tenant(tenant.id):
        raise Problem(404, "Gemeente niet gevonden.", code="not_found")
    return tenant


def _credential(session: Session, tenant: Tenant, credential_id: uuid.UUID) -> ApiCredential:
    credential = session.scalar(
        select(ApiCredential).where(ApiCredential.id == credential_id, ApiCredential.tenant_id == tenant.id)
    )
    if credential is None:
        raise Problem(404, "Credential niet gevonden.", code="not_found")
    return credential


@router.get("", response_model=CredentialList)
def list_credentials(tenant_id: uuid.UUID, actor: ManagerActor, session: SessionDep) -> CredentialList:
    tenant = _tenant(session, actor, tenant_id)
    results = [to_out(c) for c in service.list_for(session, tenant)]
    return CredentialList(count=len(results), results=results)


@router.post("", response_model=CredentialWithSecret, status_code=201)
def create_credential(
    tenant_id: uuid.UUID,
    data: CredentialCreate,
    response: Response,
    actor: ManagerActor,
    cp: ControlPlaneDep,
    session: SessionDep,
) -> CredentialWithSecret:
    tenant = _tenant(session, actor, tenant_id)
    credential, secret = service.create(cp, session, actor, tenant, data)
    session.commit()
    response.headers["Location"] = f"/api/v1/tenants/{tenant.id}/credentials/{credential.id}"
    response.headers["Cache-Control"] = "no-store"
    return CredentialWithSecret(credential=to_out(credential), secret=secret, api_base_url=tenant.api_base_url)


@router.get("/{credential_id}", response_model=CredentialOut)
def get_credential(
    tenant_id: uuid.UUID, credential_id: uuid.UUID, actor: ManagerActor, session: SessionDep
) -> CredentialOut:
    return to_out(_credential(session, _tenant(session, actor, tenant_id), credential_id))


@router.patch("/{credential_id}", response_model=CredentialOut)
def update_credential(
    tenant_id: uuid.UUID,
    credential_id: uuid.UUID,
    data: CredentialUpdate,
    actor: ManagerActor,
    cp: ControlPlaneDep,
    session: SessionDep,
) -> CredentialOut:
    tenant = _tenant(session, actor, tenant_id)
    credential = service.update(cp, session, actor, tenant, _credential(session, tenant, credential_id), data)
    session.commit()
    return to_out(credential)


@router.post("/{credential_id}/rotate", response_model=CredentialWithSecret)
def rotate_credential(
    tenant_id: uuid.UUID,
    credential_id: uuid.UUID,
    response: Response,
    actor: ManagerActor,
    cp: ControlPlaneDep,
    session: SessionDep,
) -> CredentialWithSecret:
    """A new secret; the previous one keeps working for ZGW_CREDENTIAL_OVERLAP_MINUTES."""
    tenant = _tenant(session, actor, tenant_id)
    credential = _credential(session, tenant, credential_id)
    secret = service.rotate(cp, session, actor, tenant, credential)
    session.commit()
    response.headers["Cache-Control"] = "no-store"
    return CredentialWithSecret(credential=to_out(credential), secret=secret, api_base_url=tenant.api_base_url)


@router.post("/{credential_id}/revoke", response_model=CredentialOut)
def revoke_credential(
    tenant_id: uuid.UUID, credential_id: uuid.UUID, actor: ManagerActor, cp: ControlPlaneDep, session: SessionDep
) -> CredentialOut:
    tenant = _tenant(session, actor, tenant_id)
    credential = _credential(session, tenant, credential_id)
    service.revoke(cp, session, actor, tenant, credential)
    session.commit()
    return to_out(credential)
