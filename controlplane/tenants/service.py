"""Onboarding and changing municipalities, and starting their lifecycle jobs. Plain functions of
(control plane, session, actor, input); routes and the web UI both call these."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from controlplane.accounts.actors import Actor
from controlplane.audit import service as audit
from controlplane.container import ControlPlane
from controlplane.credentials.service import new_secret
from controlplane.jobs import service as jobs
from controlplane.jobs.models import Job, JobKind, JobRetry, JobStatus
from controlplane.tenants import lifecycle
from controlplane.tenants.models import HostingProvider, Plan, Tenant, TenantState, Tier
from controlplane.tenants.schemas import API_ROOTS, MaintenanceWindow, TenantCreate, TenantOut, TenantUpdate
from controlplane.tenants.validators import slug_from_name, validate_slug
from tenant_runtime.core.problems import InvalidParam, Problem, validation_problem

AUDITED_FIELDS = (
    "name",
    "slug",
    "gemeentecode",
    "rsin",
    "oin",
    "inhabitants",
    "tier",
    "plan_id",
    "state",
    "maintenance_weekday",
    "maintenance_start",
    "maintenance_duration_minutes",
)


def window_of(tenant: Tenant) -> MaintenanceWindow | None:
    if tenant.maintenance_weekday is None or tenant.maintenance_start is None:
        return None
    return MaintenanceWindow(
        weekday=tenant.maintenance_weekday,
        start=tenant.maintenance_start,
        duration_minutes=tenant.maintenance_duration_minutes,
    )


def to_out(tenant: Tenant) -> TenantOut:
    base = tenant.api_base_url
    return TenantOut(
        id=tenant.id,
        slug=tenant.slug,
        name=tenant.name,
        gemeentecode=tenant.gemeentecode,
        rsin=tenant.rsin,
        oin=tenant.oin,
        inhabitants=tenant.inhabitants,
        tier=tenant.tier,
        plan=tenant.plan.code,
        provider=tenant.provider.code if tenant.provider else None,
        status=tenant.state,
        failure_reason=tenant.failure_reason,
        runtime_version=tenant.runtime_version,
        health=tenant.health,
        health_detail=tenant.health_detail,
        health_checked_at=tenant.health_checked_at,
        api_base_url=base,
        api_roots={name: base + path for name, path in API_ROOTS.items()} if base else {},
        maintenance_window=window_of(tenant),
        retention_until=tenant.retention_until,
        final_export_id=tenant.final_export_id,
        final_export_download_url=f"/api/v1/exports/{tenant.final_export_id}/download"
        if tenant.final_export_id
        else None,
        created_at=tenant.created_at,
        updated_at=tenant.updated_at,
    )


def visible_tenants(actor: Actor) -> Select[Tenant]:
    statement = select(Tenant).order_by(Tenant.name)
    if not actor.sees_all_tenants():
        statement = statement.where(Tenant.id == actor.tenant_id)
    return statement


def get_visible(session: Session, actor: Actor, tenant_id: uuid.UUID) -> Tenant:
    """The tenant, if the actor may see it; otherwise 404 (a municipality never learns of another)."""
    tenant = session.get(Tenant, tenant_id)
    if tenant is None or not actor.may_see_tenant(tenant.id):
        raise Problem(404, "Gemeente niet gevonden.", code="not_found")
    return tenant


def _plan(session: Session, code: str, field: str = "plan") -> Plan:
    plan = session.scalar(select(Plan).where(Plan.code == code, Plan.is_active.is_(True)))
    if plan is None:
        raise validation_problem([InvalidParam(field, "does_not_exist", f"Onbekend of inactief plan '{code}'.")])
    return plan


def default_provider(session: Session) -> HostingProvider:
    provider = session.scalar(select(HostingProvider).order_by(HostingProvider.created_at).limit(1))
    if provider is None:
        provider = HostingProvider(code="zgw-cloud", name="zgw-cloud hosting")
        session.add(provider)
        session.flush()
    return provider


def _onboarded(session: Session, key: str | None, request_fingerprint: str) -> tuple[Tenant, Job, bool] | None:
    """The tenant and job an earlier onboarding with this Idempotency-Key created (a replay), or None."""
    if (earlier := jobs.replay(session, key, request_fingerprint)) is None:
        return None
    tenant = session.get(Tenant, earlier.tenant_id)
    assert tenant is not None
    return tenant, earlier, True


def onboard(
    cp: ControlPlane,
    session: Session,
    actor: Actor,
    data: TenantCreate,
    *,
    idempotency_key: str | None = None,
    request_fingerprint: str = "",
) -> tuple[Tenant, Job | None, bool]:
    """Create a municipality and (unless ``provision`` is false) its provisioning job.
    Returns (tenant, job, replayed): a replay of the same Idempotency-Key returns the first result."""
    key = jobs.scoped_key(actor, idempotency_key)
    if (earlier := _onboarded(session, key, request_fingerprint)) is not None:
        return earlier
    slug = data.slug or slug_from_name(data.name)
    problems: list[InvalidParam] = []
    try:
        validate_slug(slug)
    except Exception as exc:  # PydanticCustomError from the named validator
        problems.append(InvalidParam("slug", getattr(exc, "type", "invalid"), str(exc)))
    if session.scalar(select(Tenant.id).where(Tenant.slug == slug)) is not None:
        problems.append(InvalidParam("slug", "unique", f"De naam '{slug}' is al in gebruik."))
    if session.scalar(select(Tenant.id).where(Tenant.gemeentecode == data.gemeentecode)) is not None:
        problems.append(InvalidParam("gemeentecode", "unique", "Voor deze gemeentecode bestaat al een omgeving."))
    if data.tier is Tier.DEDICATED and cp.driver.name == "local":
        problems.append(
            InvalidParam("tier", "unavailable-tier", "De dedicated tier vraagt de Kubernetes-driver (ZGW_DRIVER).")
        )
    plan = _plan(session, data.plan)
    if problems:
        # A concurrent request with the same key may have committed since the first look: its tenant is ours.
        if (earlier := _onboarded(session, key, request_fingerprint)) is not None:
            return earlier
        raise validation_problem(problems)
    window = data.maintenance_window
    tenant = Tenant(
        slug=slug,
        name=data.name,
        gemeentecode=data.gemeentecode,
        rsin=data.rsin,
        oin=data.oin,
        inhabitants=data.inhabitants,
        tier=data.tier,
        plan_id=plan.id,
        provider_id=default_provider(session).id,
        state=TenantState.REQUESTED,
        maintenance_weekday=window.weekday if window else None,
        maintenance_start=window.start if window else None,
        maintenance_duration_minutes=window.duration_minutes if window else 0,
        platform_secret_encrypted=cp.settings.fernet().encrypt(new_secret().encode()).decode(),
    )
    session.add(tenant)
    session.flush()
    audit.record(
        session,
        actor,
        "tenant.created",
        target_type="tenant",
        target_id=tenant.slug,
        tenant_id=tenant.id,
        after=audit.snapshot(tenant, AUDITED_FIELDS),
    )
    job = None
    if data.provision:
        job = _new_job(cp, session, actor, tenant, JobKind.PROVISION, key, request_fingerprint)
    return tenant, job, False


def update(session: Session, actor: Actor, tenant: Tenant, data: TenantUpdate) -> Tenant:
    if tenant.state is TenantState.DELETED:
        raise Problem(409, "Deze gemeente is verwijderd.", code="tenant-gone")
    fields = data.model_fields_set
    if not actor.is_operator and fields - {"maintenance_window"}:
        raise Problem(403, "U mag alleen het onderhoudsvenster wijzigen.", code="permission_denied")
    before = audit.snapshot(tenant, AUDITED_FIELDS)
    changes: dict[str, Any] = {}
    if data.name is not None:
        changes["name"] = data.name
    if data.oin is not None:
        changes["oin"] = data.oin
    if data.inhabitants is not None:
        changes["inhabitants"] = data.inhabitants
    if data.plan is not None:
        changes["plan_id"] = _plan(session, data.plan).id
    if "maintenance_window" in fields:
        window = data.maintenance_window
        changes["maintenance_weekday"] = window.weekday if window else None
        changes["maintenance_start"] = window.start if window else None
        changes["maintenance_duration_minutes"] = window.duration_minutes if window else 0
    for name, value in changes.items():
        setattr(tenant, name, value)
    session.flush()
    session.refresh(tenant)
    audit.record(
        session,
        actor,
        "tenant.updated",
        target_type="tenant",
        target_id=tenant.slug,
        tenant_id=tenant.id,
        before=before,
        after=audit.snapshot(tenant, AUDITED_FIELDS),
    )
    return tenant


def _new_job(
    cp: ControlPlane,
    session: Session,
    actor: Actor,
    tenant: Tenant,
    kind: JobKind,
    key: str | None,
    request_fingerprint: str,
) -> Job:
    job = jobs.create(session, actor, kind, tenant.id, key, request_fingerprint)
    job.steps_total = len(lifecycle.STEPS[kind])
    audit.record(
        session,
        actor,
        f"tenant.{kind.value}_requested",
        target_type="tenant",
        target_id=tenant.slug,
        tenant_id=tenant.id,
        after={"job": job.id, "status": tenant.state},
    )
    jobs.dispatch_after_commit(cp, session, job.id)
    return job


def start(
    cp: ControlPlane,
    session: Session,
    actor: Actor,
    tenant: Tenant,
    kind: JobKind,
    *,
    idempotency_key: str | None = None,
    request_fingerprint: str = "",
) -> tuple[Job, bool]:
    """Start a lifecycle job (provision, suspend, resume, deprovision) if the tenant's state allows it."""
    key = jobs.scoped_key(actor, idempotency_key)
    if (earlier := jobs.replay(session, key, request_fingerprint)) is not None:
        return earlier, True
    allowed = lifecycle.ALLOWED_FROM[kind]
    if tenant.state not in allowed:
        raise Problem(
            409,
            f"'{kind.value}' kan niet vanuit status '{tenant.state.value}' "
            f"(toegestaan vanuit: {', '.join(sorted(s.value for s in allowed))}).",
            code="invalid-state",
        )
    return _new_job(cp, session, actor, tenant, kind, key, request_fingerprint), False


def retry(
    cp: ControlPlane,
    session: Session,
    actor: Actor,
    tenant: Tenant,
    *,
    idempotency_key: str | None = None,
    request_fingerprint: str = "",
) -> tuple[Job, bool]:
    """Run the tenant's last failed job again; its finished steps are skipped. Returns (job, replayed): a request
    with an Idempotency-Key used before answers with the job that retry reopened, without reopening it again."""
    key = jobs.scoped_key(actor, idempotency_key)
    if (earlier := jobs.replayed(session, JobRetry, key, request_fingerprint)) is not None:
        replayed_job = session.get(Job, earlier.job_id)
        assert replayed_job is not None
        return replayed_job, True
    job = session.scalar(select(Job).where(Job.tenant_id == tenant.id).order_by(Job.created_at.desc()).limit(1))
    if job is None or job.status is not JobStatus.FAILED:
        raise Problem(409, "Er is geen mislukte taak om opnieuw te proberen.", code="nothing-to-retry")
    job.status = JobStatus.QUEUED
    job.error = ""
    job.attempts = 0
    job.finished_at = None
    if key is not None:
        session.add(JobRetry(job_id=job.id, idempotency_key=key, request_fingerprint=request_fingerprint,
                             created_by=actor.label))  # fmt: skip
        session.flush()
    audit.record(
        session,
        actor,
        "job.retried",
        target_type="job",
        target_id=job.id,
        tenant_id=tenant.id,
        after={"kind": job.kind, "steps_done": list(job.steps_done or [])},
    )
    jobs.dispatch_after_commit(cp, session, job.id)
    return job, False
