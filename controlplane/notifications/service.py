"""A tenant's notification delivery log and manual resends, through the runtime serving the tenant.

The runtime keeps the log (``tenant_runtime.notificaties.admin``) and answers it on ``/beheer/notificaties`` with
a platform token; the driver says where that runtime is for the tenant's tier and pool and which token it takes
(``TenantDriver.runtime_admin``). Every call has a timeout; a runtime that cannot be reached, or answers
something unusable, becomes a clear 503/502 problem, never a 500."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
import structlog
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from controlplane.accounts.actors import Actor
from controlplane.audit import service as audit
from controlplane.container import ControlPlane
from controlplane.credentials.service import spec_of
from controlplane.jobs import service as jobs
from controlplane.notifications.models import NotificationResend
from controlplane.notifications.schemas import DeliveryState
from controlplane.tenants import service as tenants
from controlplane.tenants.models import Tenant, TenantState
from tenant_runtime.core.problems import InvalidParam, Problem
from tenant_runtime.notificaties.admin import PAGE_SIZE, DeliveryPage

log = structlog.get_logger(__name__)

BEHEER = "/beheer/notificaties"
RETRY_AFTER = {"Retry-After": "30"}

__all__ = ["PAGE_SIZE", "DeliveryPage", "delivery", "list_deliveries", "managed_tenant", "resend", "subscriptions"]


def managed_tenant(session: Session, actor: Actor, tenant_id: uuid.UUID) -> Tenant:
    """The tenant whose notifications the actor may see and resend: operators every tenant, a municipality's
    admin its own (any other: 404, as if it did not exist); finance never (the routes refuse the role)."""
    tenant = tenants.get_visible(session, actor, tenant_id)
    if not actor.may_manage_tenant(tenant.id):
        raise Problem(404, "Gemeente niet gevonden.", code="not_found")
    return tenant


def _unavailable(detail: str, code: str) -> Problem:
    return Problem(503, detail, code=code, title="Runtime niet bereikbaar.", headers=dict(RETRY_AFTER))


def _bad_gateway(detail: str, code: str) -> Problem:
    return Problem(502, detail, code=code, title="Onbruikbaar antwoord van de runtime.")


def _problem_of(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _answer(tenant: Tenant, response: httpx.Response) -> Any:
    """The runtime's JSON, or the problem the control plane answers for what it said instead."""
    status = response.status_code
    if 200 <= status < 300:
        try:
            return response.json()
        except ValueError:
            raise _bad_gateway("De runtime gaf geen JSON terug.", "runtime_bad_response") from None
    body = _problem_of(response)
    code, detail = str(body.get("code") or ""), str(body.get("detail") or "")
    if status == 404 and code != "tenant_not_found":
        raise Problem(404, detail or "Niet gevonden.", code="not_found")
    if status == 404:
        raise _bad_gateway(
            f"De runtime kent gemeente '{tenant.slug}' niet (registratie ontbreekt; de reconciler herstelt dit).",
            "runtime_tenant_unknown",
        )
    if status == 409:
        raise Problem(409, detail or "Conflict.", code=code or "conflict")
    if status == 400:
        params = [
            InvalidParam(str(p.get("name", "")), str(p.get("code", "")), str(p.get("reason", "")))
            for p in body.get("invalidParams") or []
            if isinstance(p, dict)
        ]
        raise Problem(400, detail or "Ongeldige invoer.", code=code or "invalid", invalid_params=params)
    if status == 403 and code == "tenant_suspended":
        raise Problem(409, "De omgeving van deze gemeente is opgeschort.", code="tenant_suspended")
    if status == 403 and code == "beheer_disabled":
        raise _bad_gateway(
            "De beheer-API van de runtime staat uit: zet ZGW_RUNTIME_ADMIN_TOKEN op de runtime "
            "(`zgwcloud runtime-admin-token`).",
            "runtime_beheer_disabled",
        )
    if status in (401, 403):
        raise _bad_gateway(
            "De runtime weigert het platform-token: ZGW_RUNTIME_ADMIN_TOKEN van runtime en control plane verschillen.",
            "runtime_credential_refused",
        )
    if status == 503:
        raise _unavailable(detail or "De runtime is tijdelijk niet beschikbaar.", code or "runtime_unavailable")
    raise _bad_gateway(f"De runtime antwoordde {status}.", "runtime_error")


def _call(cp: ControlPlane, tenant: Tenant, method: str, path: str, params: dict[str, str] | None = None) -> Any:
    if tenant.state is not TenantState.ACTIVE:
        raise Problem(
            409,
            f"De notificaties van een gemeente in status '{tenant.state.value}' zijn niet op te vragen: alleen een "
            "actieve omgeving draait.",
            code="tenant_not_active",
        )
    admin = cp.driver.runtime_admin(spec_of(tenant))
    url = f"{admin.base_url.rstrip('/')}{BEHEER}{path}"
    started = time.monotonic()
    try:
        response = httpx.request(
            method,
            url,
            params=params,
            headers={"Authorization": f"Bearer {admin.token}", "Accept": "application/json"},
            timeout=cp.settings.notifications_runtime_timeout_seconds,
        )
    except httpx.TimeoutException:
        log.warning("notifications_runtime_timeout", tenant=tenant.slug, method=method, url=url)
        raise _unavailable(f"De runtime van '{tenant.slug}' antwoordde niet op tijd.", "runtime_timeout") from None
    except httpx.TransportError as exc:
        log.warning("notifications_runtime_unreachable", tenant=tenant.slug, url=url, error=type(exc).__name__)
        raise _unavailable(
            f"De runtime van '{tenant.slug}' is niet bereikbaar ({type(exc).__name__}).", "runtime_unreachable"
        ) from None
    duration_ms = round((time.monotonic() - started) * 1000, 1)
    log.info("notifications_runtime_call", tenant=tenant.slug, method=method, path=path,
             status=response.status_code, duration_ms=duration_ms)  # fmt: skip
    return _answer(tenant, response)


def subscriptions(cp: ControlPlane, tenant: Tenant) -> list[dict[str, Any]]:
    """Each abonnement with its circuit and how many notifications are pending, delivered and dead."""
    result = _call(cp, tenant, "GET", "/subscriptions")
    if not isinstance(result, list):
        raise _bad_gateway("Onverwacht antwoord van de runtime (abonnementen).", "runtime_bad_response")
    return result


def list_deliveries(
    cp: ControlPlane,
    tenant: Tenant,
    *,
    state: DeliveryState | None = None,
    abonnement: uuid.UUID | None = None,
    page: int = 1,
) -> DeliveryPage:
    """Newest first, ``PAGE_SIZE`` per page; filtered by state and abonnement."""
    params = {"page": str(page)}
    if state is not None:
        params["status"] = state.value
    if abonnement is not None:
        params["subscription"] = str(abonnement)
    try:
        result = _call(cp, tenant, "GET", "/deliveries", params)
    except Problem as problem:
        if problem.status == 404 and abonnement is not None:  # the runtime did not find the abonnement
            raise Problem(
                400,
                "Ongeldige invoer.",
                code="invalid",
                invalid_params=[InvalidParam("abonnement", "does_not_exist", "Onbekend abonnement.")],
            ) from None
        raise
    if not isinstance(result, dict) or not isinstance(result.get("results"), list):
        raise _bad_gateway("Onverwacht antwoord van de runtime (afleveringen).", "runtime_bad_response")
    return DeliveryPage(int(result.get("count") or 0), page, result["results"])


def delivery(cp: ControlPlane, tenant: Tenant, delivery_uuid: uuid.UUID) -> dict[str, Any]:
    """One delivery with every attempt."""
    result = _call(cp, tenant, "GET", f"/deliveries/{delivery_uuid}")
    if not isinstance(result, dict):
        raise _bad_gateway("Onverwacht antwoord van de runtime (aflevering).", "runtime_bad_response")
    return result


def resend(
    cp: ControlPlane,
    session: Session,
    actor: Actor,
    tenant: Tenant,
    delivery_uuid: uuid.UUID,
    *,
    idempotency_key: str | None = None,
    request_fingerprint: str = "",
) -> tuple[dict[str, Any], bool]:
    """Queue a dead-lettered or delivered notification again (a fresh set of attempts); returns the delivery and
    whether an earlier request with the same Idempotency-Key already did it. Commits.

    The resend's row is flushed before the runtime is called: a concurrent request with the same key waits on its
    unique key and then replays this one's answer instead of resending once more."""
    key = jobs.scoped_key(actor, idempotency_key)
    found = jobs.replayed(session, NotificationResend, key, request_fingerprint)
    if found is not None:
        return found.result, True
    row = NotificationResend(
        tenant_id=tenant.id,
        delivery_uuid=delivery_uuid,
        actor=actor.label,
        idempotency_key=key,
        request_fingerprint=request_fingerprint,
        result={},
    )
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        found = jobs.replayed(session, NotificationResend, key, request_fingerprint)
        if found is None:
            raise
        return found.result, True
    try:
        result = _call(cp, tenant, "POST", f"/deliveries/{delivery_uuid}/resend")
    except Problem:
        session.rollback()
        raise
    if not isinstance(result, dict):
        session.rollback()
        raise _bad_gateway("Onverwacht antwoord van de runtime (opnieuw versturen).", "runtime_bad_response")
    row.result = result
    audit.record(
        session,
        actor,
        "notification.resent",
        target_type="notification_delivery",
        target_id=delivery_uuid,
        tenant_id=tenant.id,
        after={"abonnement": result.get("abonnement"), "status": result.get("status"),
               "resends": result.get("resends")},
    )  # fmt: skip
    session.commit()
    log.info("notification_resent", tenant=tenant.slug, delivery=str(delivery_uuid), actor=actor.label)
    return result, False
