"""Creating, changing, rotating and revoking a tenant's API credentials, and pushing them into the tenant's
runtime database (its Autorisaties data) through the driver."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from controlplane.accounts.actors import Actor
from controlplane.audit import service as audit
from controlplane.container import ControlPlane
from controlplane.credentials.models import ApiCredential, CredentialSecret, CredentialStatus
from controlplane.credentials.schemas import CredentialCreate, CredentialUpdate
from controlplane.db import aware
from controlplane.drivers.interfaces import AutorisatieGrant, ClientSpec, SecretSpec, Sizing, TenantSpec
from controlplane.releases import service as releases
from controlplane.tenants.models import Tenant, TenantState
from tenant_runtime.core.problems import InvalidParam, Problem, validation_problem

PLATFORM_CLIENT_ID = "zgwcloud-platform"
# The platform's own client may only read kanalen: enough for a verification call, nothing of the municipality's.
PLATFORM_AUTORISATIES = [AutorisatieGrant(component="nrc", scopes=["notificaties.consumeren"])]
# Tenants whose runtime database exists and takes credential changes right away.
LIVE_STATES = frozenset({TenantState.ACTIVE, TenantState.SUSPENDED})


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def spec_of(tenant: Tenant) -> TenantSpec:
    plan = tenant.plan
    sizing = Sizing(
        api_replicas=plan.api_replicas,
        cpu_request=plan.cpu_request,
        memory_request=plan.memory_request,
        cpu_limit=plan.cpu_limit,
        memory_limit=plan.memory_limit,
        quota_cpu=plan.quota_cpu,
        quota_memory=plan.quota_memory,
        quota_pods=plan.quota_pods,
    )
    # The release that serves the tenant (controlplane.releases; None: the package's own release).
    release = releases.release_spec_of(tenant)
    return TenantSpec(slug=tenant.slug, name=tenant.name, tier=tenant.tier.value, sizing=sizing, release=release)


def platform_secret(cp: ControlPlane, tenant: Tenant) -> str:
    return cp.settings.fernet().decrypt(tenant.platform_secret_encrypted.encode()).decode()


def platform_client(cp: ControlPlane, tenant: Tenant) -> ClientSpec:
    return ClientSpec(
        client_id=PLATFORM_CLIENT_ID,
        label="zgw-cloud platform (verificatie)",
        secrets=[SecretSpec(platform_secret(cp, tenant))],
        autorisaties=PLATFORM_AUTORISATIES,
    )


def client_spec(cp: ControlPlane, credential: ApiCredential) -> ClientSpec:
    now = cp.clock.now()
    fernet = cp.settings.fernet()
    live = [s for s in credential.secrets if s.expires_at is None or aware(s.expires_at) > now]
    return ClientSpec(
        client_id=credential.client_id,
        label=credential.label,
        secrets=[SecretSpec(fernet.decrypt(s.secret_encrypted.encode()).decode(), aware(s.expires_at)) for s in live],
        heeft_alle_autorisaties=credential.heeft_alle_autorisaties,
        autorisaties=[AutorisatieGrant(**a) for a in credential.autorisaties],
    )


def all_clients(cp: ControlPlane, session: Session, tenant: Tenant) -> list[ClientSpec]:
    """The platform client and every active credential: what the tenant's runtime database must hold."""
    active = session.scalars(
        select(ApiCredential).where(
            ApiCredential.tenant_id == tenant.id, ApiCredential.status == CredentialStatus.ACTIVE
        )
    )
    return [platform_client(cp, tenant), *(client_spec(cp, c) for c in active)]


def _push(cp: ControlPlane, tenant: Tenant, credential: ApiCredential) -> None:
    """Apply one credential to a live tenant now; a tenant still provisioning gets it in its seeding step."""
    if tenant.state not in LIVE_STATES:
        return
    try:
        if credential.status is CredentialStatus.REVOKED:
            cp.driver.revoke_client(spec_of(tenant), credential.client_id)
        else:
            cp.driver.push_clients(spec_of(tenant), [client_spec(cp, credential)])
    except Exception as exc:
        raise Problem(
            503, f"De omgeving van {tenant.name} is niet bereikbaar: {type(exc).__name__}.", code="runtime-unavailable"
        ) from exc


def _state(credential: ApiCredential) -> dict[str, Any]:
    return {
        "client_id": credential.client_id,
        "label": credential.label,
        "status": credential.status,
        "heeft_alle_autorisaties": credential.heeft_alle_autorisaties,
        "autorisaties": credential.autorisaties,
        "secrets": len(credential.secrets),
    }


def _writable(tenant: Tenant) -> None:
    if tenant.state in (TenantState.DEPROVISIONING, TenantState.DELETED):
        raise Problem(409, "Deze omgeving wordt opgeheven; credentials kunnen niet meer wijzigen.", code="tenant-gone")


def create(
    cp: ControlPlane, session: Session, actor: Actor, tenant: Tenant, data: CredentialCreate
) -> tuple[ApiCredential, str]:
    _writable(tenant)
    exists = session.scalar(
        select(ApiCredential.id).where(ApiCredential.tenant_id == tenant.id, ApiCredential.client_id == data.client_id)
    )
    if exists is not None:
        raise validation_problem([InvalidParam("client_id", "unique", "Deze client_id bestaat al voor deze gemeente.")])
    secret = new_secret()
    credential = ApiCredential(
        tenant_id=tenant.id,
        client_id=data.client_id,
        label=data.label,
        heeft_alle_autorisaties=data.heeft_alle_autorisaties,
        autorisaties=[a.stored() for a in data.autorisaties],
        secrets=[CredentialSecret(secret_encrypted=cp.settings.fernet().encrypt(secret.encode()).decode())],
    )
    session.add(credential)
    session.flush()
    _push(cp, tenant, credential)
    audit.record(
        session,
        actor,
        "credential.created",
        target_type="credential",
        target_id=credential.client_id,
        tenant_id=tenant.id,
        after=_state(credential),
    )
    return credential, secret


def update(
    cp: ControlPlane, session: Session, actor: Actor, tenant: Tenant, credential: ApiCredential, data: CredentialUpdate
) -> ApiCredential:
    _writable(tenant)
    if credential.status is CredentialStatus.REVOKED:
        raise Problem(409, "Deze credential is ingetrokken.", code="credential-revoked")
    before = _state(credential)
    if data.label is not None:
        credential.label = data.label
    if data.heeft_alle_autorisaties is not None:
        credential.heeft_alle_autorisaties = data.heeft_alle_autorisaties
    if data.autorisaties is not None:
        credential.autorisaties = [a.stored() for a in data.autorisaties]
    if not credential.heeft_alle_autorisaties and not credential.autorisaties:
        raise validation_problem(
            [
                InvalidParam(
                    "autorisaties", "missing-autorisaties", "Geef autorisaties op of zet heeft_alle_autorisaties."
                )
            ]
        )
    session.flush()
    _push(cp, tenant, credential)
    audit.record(
        session,
        actor,
        "credential.updated",
        target_type="credential",
        target_id=credential.client_id,
        tenant_id=tenant.id,
        before=before,
        after=_state(credential),
    )
    return credential


def rotate(cp: ControlPlane, session: Session, actor: Actor, tenant: Tenant, credential: ApiCredential) -> str:
    """A new secret; the previous ones keep working for the configured overlap, then stop."""
    _writable(tenant)
    if credential.status is CredentialStatus.REVOKED:
        raise Problem(409, "Deze credential is ingetrokken.", code="credential-revoked")
    now = cp.clock.now()
    overlap_end = now + timedelta(minutes=cp.settings.credential_overlap_minutes)
    before = _state(credential)
    for old in credential.secrets:
        if old.expires_at is None or aware(old.expires_at) > overlap_end:
            old.expires_at = overlap_end
    secret = new_secret()
    credential.secrets.append(
        CredentialSecret(secret_encrypted=cp.settings.fernet().encrypt(secret.encode()).decode(), created_at=now)
    )
    session.flush()
    _push(cp, tenant, credential)
    audit.record(
        session,
        actor,
        "credential.rotated",
        target_type="credential",
        target_id=credential.client_id,
        tenant_id=tenant.id,
        before=before,
        after={**_state(credential), "previous_secrets_expire_at": overlap_end},
    )
    return secret


def revoke(cp: ControlPlane, session: Session, actor: Actor, tenant: Tenant, credential: ApiCredential) -> None:
    if credential.status is CredentialStatus.REVOKED:
        return
    before = _state(credential)
    credential.status = CredentialStatus.REVOKED
    credential.revoked_at = cp.clock.now()
    credential.secrets.clear()
    session.flush()
    _push(cp, tenant, credential)
    audit.record(
        session,
        actor,
        "credential.revoked",
        target_type="credential",
        target_id=credential.client_id,
        tenant_id=tenant.id,
        before=before,
        after=_state(credential),
    )


def list_for(session: Session, tenant: Tenant) -> list[ApiCredential]:
    return list(
        session.scalars(
            select(ApiCredential).where(ApiCredential.tenant_id == tenant.id).order_by(ApiCredential.created_at)
        )
    )
