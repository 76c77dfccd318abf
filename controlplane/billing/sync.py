"""The payment provider's side of billing: customers and subscriptions per tenant, and sending the recorded
meter-event submissions exactly once.

Sending works from the outbox month-close filled (``MeterEventSubmission``): a sender claims due rows with a
lease (``FOR UPDATE SKIP LOCKED`` in a short transaction), calls the provider outside any transaction and
records the outcome. Every attempt carries the same identifier (also the idempotency key), so a timeout
whose request did arrive, a crash after the call, or two senders racing after a lease ran out, all end as
one event at the provider. When the outcome of an attempt stays unknown for longer than the provider's
dedup window, the row goes to ``review`` and reconciliation decides. Nothing else ever waits for this.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import structlog
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from controlplane.accounts.models import Role, User
from controlplane.billing.interfaces import (
    CustomerRef,
    CustomerSpec,
    MeterEvent,
    PaymentsDisabled,
    PermanentError,
    ProviderInvoiceInfo,
    TemporaryError,
)
from controlplane.billing.models import BillingCustomer, MeterEventSubmission, ProviderInvoice, SubmissionStatus
from controlplane.billing.pricing import Period
from controlplane.container import ControlPlane
from controlplane.tenants.models import Tenant, TenantState

log = structlog.get_logger(__name__)
LEASE = timedelta(minutes=5)


def customer_spec(session: Session, tenant: Tenant, start: datetime, now: datetime) -> CustomerSpec:
    admin = session.scalar(
        select(User.email).where(User.tenant_id == tenant.id, User.role == Role.MUNICIPALITY_ADMIN,
                                 User.is_active.is_(True)).order_by(User.created_at).limit(1)
    )  # fmt: skip
    anchor = Period.containing(now).end
    return CustomerSpec(tenant.id, tenant.slug, tenant.name, tenant.gemeentecode, admin or "", start, anchor)


def ensure_customer(
    cp: ControlPlane, session: Session, tenant: Tenant, start: datetime | None = None
) -> BillingCustomer:
    """The tenant's customer and subscription at the provider, created when missing. A failure is recorded on
    the row (``last_error``) and raised; the next attempt finds the same customer (idempotency key)."""
    row = session.get(BillingCustomer, tenant.id)
    if row is None:
        row = BillingCustomer(tenant_id=tenant.id, provider=cp.payments.name)
        session.add(row)
    known = CustomerRef(row.customer_id, row.subscription_id, row.subscription_status) if row.customer_id else None
    now = cp.clock.now()
    spec = customer_spec(session, tenant, start or Period.containing(now).start, now)
    try:
        ref = cp.payments.ensure_customer(spec, known)
    except (TemporaryError, PermanentError) as exc:
        row.last_error = str(exc)[:2000]
        session.commit()
        raise
    row.customer_id, row.subscription_id = ref.customer_id, ref.subscription_id
    row.subscription_status = row.subscription_status or ref.subscription_status
    row.last_error = ""
    session.commit()
    return row


def sync_customers(cp: ControlPlane, limit: int = 100) -> int:
    """Give billable tenants without a complete customer record one (beat); returns how many were made."""
    if not cp.payments.enabled:
        return 0
    made = 0
    with cp.sessions() as session:
        missing = session.scalars(
            select(Tenant)
            .outerjoin(BillingCustomer, BillingCustomer.tenant_id == Tenant.id)
            .where(Tenant.state.in_([TenantState.ACTIVE, TenantState.SUSPENDED]),
                   or_(BillingCustomer.tenant_id.is_(None), BillingCustomer.subscription_id == ""))
            .order_by(Tenant.slug).limit(limit)
        ).unique()  # fmt: skip
        for tenant in list(missing):
            try:
                ensure_customer(cp, session, tenant)
                made += 1
            except TemporaryError as exc:
                log.warning("billing_customer_retry", tenant=tenant.slug, error=str(exc))
                break  # the provider is unwell: try again on the next tick
            except PermanentError as exc:
                log.error("billing_customer_failed", tenant=tenant.slug, error=str(exc))
    return made


@dataclass
class SendReport:
    sent: int = 0
    already_there: int = 0
    retrying: int = 0
    failed: int = 0
    review: int = 0
    next_attempt_at: datetime | None = None
    errors: list[str] = field(default_factory=list)


def _claim(cp: ControlPlane, limit: int) -> list[uuid.UUID]:
    now = cp.clock.now()
    with cp.sessions() as session:
        rows = list(session.scalars(
            select(MeterEventSubmission)
            .where(MeterEventSubmission.status == SubmissionStatus.PENDING,
                   MeterEventSubmission.next_attempt_at <= now,
                   or_(MeterEventSubmission.claimed_until.is_(None), MeterEventSubmission.claimed_until < now))
            .order_by(MeterEventSubmission.next_attempt_at, MeterEventSubmission.identifier)
            .limit(limit).with_for_update(skip_locked=True)
        ))  # fmt: skip
        for row in rows:
            row.claimed_until = now + LEASE
        ids = [row.id for row in rows]
        session.commit()
    return ids


def _backoff(cp: ControlPlane, attempts: int, hint: float) -> timedelta:
    base = cp.settings.billing_meter_retry_seconds
    return timedelta(seconds=min(3600.0, max(hint, base * 2 ** max(attempts - 1, 0))))


def _send_one(cp: ControlPlane, session: Session, row: MeterEventSubmission, report: SendReport,
              customers: dict[uuid.UUID, str]) -> None:  # fmt: skip
    now = cp.clock.now()
    row.attempts += 1
    row.first_attempt_at = row.first_attempt_at or now
    try:
        if row.tenant_id not in customers:
            tenant = session.get(Tenant, row.tenant_id)
            assert tenant is not None
            customers[row.tenant_id] = ensure_customer(cp, session, tenant, Period.of_date(row.period_start).start
                                                       ).customer_id  # fmt: skip
        event = MeterEvent(row.identifier, row.event_name, customers[row.tenant_id], row.value, row.event_timestamp)
        accepted = cp.payments.send_meter_event(event)
    except TemporaryError as exc:
        row.last_error = str(exc)[:2000]
        if now - row.first_attempt_at > timedelta(hours=cp.settings.billing_meter_dedup_hours):
            row.status = SubmissionStatus.REVIEW  # resending now could count it twice: reconciliation decides
            report.review += 1
        else:
            row.next_attempt_at = now + _backoff(cp, row.attempts, exc.delay)
            report.retrying += 1
            if report.next_attempt_at is None or row.next_attempt_at < report.next_attempt_at:
                report.next_attempt_at = row.next_attempt_at
        report.errors.append(row.last_error)
    except PermanentError as exc:
        row.status, row.last_error = SubmissionStatus.FAILED, str(exc)[:2000]
        report.failed += 1
        report.errors.append(row.last_error)
    else:
        row.status, row.sent_at, row.last_error = SubmissionStatus.SENT, now, ""
        if accepted:
            report.sent += 1
        else:
            row.last_error = "the provider already had this identifier (an earlier attempt arrived)"
            report.already_there += 1
    row.claimed_until = None
    log.info("billing_meter_event", identifier=row.identifier, status=row.status.value, attempts=row.attempts,
             value=row.value)  # fmt: skip


def send_due(cp: ControlPlane, *, limit: int = 500, batch: int = 50) -> SendReport:
    """Send due submissions (at most ``limit``); never raises for a provider failure."""
    report = SendReport()
    if not cp.payments.enabled:
        return report
    customers: dict[uuid.UUID, str] = {}
    handled = 0
    while handled < limit:
        ids = _claim(cp, min(batch, limit - handled))
        if not ids:
            break
        handled += len(ids)
        provider_down = False
        for submission_id in ids:
            with cp.sessions() as session:
                row = session.get(MeterEventSubmission, submission_id)
                assert row is not None
                if provider_down:  # the provider just failed: the rest goes first on the next run (one probe a run)
                    row.claimed_until = None
                else:
                    before = report.retrying + report.review
                    _send_one(cp, session, row, report, customers)
                    provider_down = report.retrying + report.review > before
                session.commit()
        if provider_down:
            break
    return report


def provider_invoices(cp: ControlPlane, session: Session, tenant: Tenant) -> tuple[list[ProviderInvoiceInfo], bool]:
    """The tenant's invoices at the provider, newest first, and whether they are stale: when the provider cannot be
    reached we answer with what its webhooks last told us, never an error."""
    row = session.get(BillingCustomer, tenant.id)
    if cp.payments.enabled and row is not None and row.customer_id:
        try:
            return list(cp.payments.list_invoices(row.customer_id)), False
        except (TemporaryError, PermanentError) as exc:
            log.warning("billing_invoices_stale", tenant=tenant.slug, error=str(exc))
    stored = session.scalars(
        select(ProviderInvoice)
        .where(ProviderInvoice.tenant_id == tenant.id)
        .order_by(ProviderInvoice.period_start.desc())
    )
    known = [
        ProviderInvoiceInfo(i.id, i.customer_id, i.number, i.status, i.currency, i.amount_due, i.amount_paid, i.total,
                            i.period_start, i.period_end, i.hosted_invoice_url)
        for i in stored
    ]  # fmt: skip
    return known, cp.payments.enabled


def retry_submission(row: MeterEventSubmission, now: datetime) -> None:
    """Put a failed or reviewed submission back in the queue, with the same identifier."""
    row.status, row.next_attempt_at, row.claimed_until, row.first_attempt_at = (
        SubmissionStatus.PENDING, now, None, now
    )  # fmt: skip


__all__ = ["PaymentsDisabled", "SendReport", "ensure_customer", "provider_invoices", "retry_submission", "send_due",
           "sync_customers"]  # fmt: skip
