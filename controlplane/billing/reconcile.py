"""Nightly reconciliation: per closed period, tenant and invoice component, four numbers must agree (cents):

* **ledger** — the period priced again from the usage ledger as it is now (late corrections show up here);
* **invoiced** — the frozen invoice;
* **sent** — the meter-event submissions the provider accepted (our record of what was sent);
* **provider** — what the provider aggregated on its meter for the customer (Stripe's meter event summary).

Anything else is *drift* and is shown to finance. With the provider disabled only ledger and invoice are
compared. A submission whose outcome was unknown (``review``) is settled here: the provider has the amount →
sent; the provider has nothing for it → queued again with the same identifier.
"""

from __future__ import annotations

import uuid

import structlog
from sqlalchemy import select

from controlplane.billing import service
from controlplane.billing.interfaces import PermanentError, TemporaryError
from controlplane.billing.models import (
    BillingCustomer,
    Invoice,
    MeterEventSubmission,
    ReconciliationItem,
    ReconciliationRun,
    ReconciliationStatus,
    SubmissionStatus,
)
from controlplane.billing.pricing import Component, Period
from controlplane.billing.service import PricingContext
from controlplane.billing.sync import retry_submission
from controlplane.container import ControlPlane
from tenant_runtime.core.problems import Problem

log = structlog.get_logger(__name__)
SEVERITY = [ReconciliationStatus.DRIFT, ReconciliationStatus.UNAVAILABLE, ReconciliationStatus.PENDING,
            ReconciliationStatus.NOT_SENT, ReconciliationStatus.OK]  # fmt: skip


def _worst(statuses: list[ReconciliationStatus]) -> ReconciliationStatus:
    return min(statuses, key=SEVERITY.index) if statuses else ReconciliationStatus.OK


def _cents(invoice: Invoice) -> dict[str, int]:
    totals: dict[str, int] = {}
    for line in invoice.lines:
        totals[line.component] = totals.get(line.component, 0) + int(line.amount * 100)
    return totals


def reconcile_period(cp: ControlPlane, period: Period) -> ReconciliationRun:
    """Compare ledger, invoices, submissions and the provider for ``period``; store and return the run."""
    provider = cp.payments
    with cp.sessions() as session:
        invoices = list(session.scalars(select(Invoice).where(Invoice.period_start == period.first_day)).unique())
        if not invoices:
            raise Problem(409, f"Periode {period} heeft nog geen definitieve facturen.", code="period-not-closed")
        run = ReconciliationRun(period_start=period.first_day, provider=provider.name,
                                status=ReconciliationStatus.OK, started_at=cp.clock.now())  # fmt: skip
        context = PricingContext.load(cp, session, [i.tenant for i in invoices], period)
        submissions: dict[tuple[uuid.UUID, str], MeterEventSubmission] = {
            (s.tenant_id, s.component): s
            for s in session.scalars(select(MeterEventSubmission).where(
                MeterEventSubmission.period_start == period.first_day))
        }  # fmt: skip
        customers = {c.tenant_id: c for c in session.scalars(select(BillingCustomer))}
        provider_reachable = True
        for invoice in sorted(invoices, key=lambda i: i.tenant.slug):
            ledger = {
                c.value: n for c, n in context.price(session, invoice.tenant).invoice.cents_by_component().items()
            }
            invoiced = _cents(invoice)
            customer = customers.get(invoice.tenant_id)
            for component in [c.value for c in Component if c.value in ledger or c.value in invoiced]:
                expected = invoiced.get(component, 0)
                item = ReconciliationItem(tenant_id=invoice.tenant_id, component=component,
                                          ledger_cents=ledger.get(component, 0), invoiced_cents=expected,
                                          status=ReconciliationStatus.OK)  # fmt: skip
                notes = []
                if item.ledger_cents != expected:
                    notes.append(f"ledger gewijzigd na afsluiten: {item.ledger_cents - expected:+d} cent")
                if not provider.enabled:
                    item.status = ReconciliationStatus.DRIFT if notes else ReconciliationStatus.NOT_SENT
                    item.detail = "; ".join(notes)
                    run.items.append(item)
                    continue
                submission = submissions.get((invoice.tenant_id, component))
                item.sent_cents = submission.value if submission and submission.status is SubmissionStatus.SENT \
                    else 0  # fmt: skip
                if provider_reachable and customer is not None and customer.customer_id:
                    try:
                        item.provider_cents = provider.meter_total(customer.customer_id, component, period.start,
                                                                   period.end)  # fmt: skip
                    except (TemporaryError, PermanentError) as exc:
                        provider_reachable = not isinstance(exc, TemporaryError)
                        notes.append(f"provider niet bereikbaar: {exc}")
                elif customer is None or not customer.customer_id:
                    item.provider_cents = 0 if expected == 0 else None
                    if expected:
                        notes.append("nog geen klant bij de provider")
                statuses = [ReconciliationStatus.DRIFT] if item.ledger_cents != expected else []
                if submission is not None and submission.status is SubmissionStatus.REVIEW and \
                        item.provider_cents is not None:  # fmt: skip
                    if item.provider_cents == submission.value:
                        submission.status, submission.sent_at = SubmissionStatus.SENT, cp.clock.now()
                        submission.last_error = "confirmed by reconciliation"
                        item.sent_cents = submission.value
                    elif item.provider_cents == 0:
                        retry_submission(submission, cp.clock.now())
                        notes.append("onbekende uitkomst, provider heeft niets: opnieuw verstuurd")
                if submission is not None and submission.status is SubmissionStatus.PENDING:
                    statuses.append(ReconciliationStatus.PENDING)
                    notes.append(f"meter event nog onderweg (poging {submission.attempts})")
                elif submission is not None and submission.status is SubmissionStatus.FAILED:
                    statuses.append(ReconciliationStatus.DRIFT)
                    notes.append(f"meter event geweigerd: {submission.last_error}")
                if item.provider_cents is None:
                    statuses.append(ReconciliationStatus.UNAVAILABLE)
                elif not statuses and not (expected == item.sent_cents == item.provider_cents):
                    statuses.append(ReconciliationStatus.DRIFT)
                    notes.append(f"provider {item.provider_cents}, verstuurd {item.sent_cents}, factuur {expected}")
                item.status = _worst(statuses)
                item.detail = "; ".join(notes)
                run.items.append(item)
        run.checked = len(invoices)
        run.drifting = len({i.tenant_id for i in run.items if i.status is ReconciliationStatus.DRIFT})
        run.status = _worst([i.status for i in run.items])
        run.finished_at = cp.clock.now()
        session.add(run)
        session.commit()
        log.info("billing_reconciled", period=str(period), status=run.status.value, checked=run.checked,
                 drifting=run.drifting)  # fmt: skip
        return run


def periods_to_reconcile(cp: ControlPlane, months: int = 2) -> list[Period]:
    """The closed periods the nightly run looks at (the last ``months``)."""
    with cp.sessions() as session:
        closed = service.closed_until(session)
    if closed is None:
        return []
    return Period.containing(closed).previous().back(months)
