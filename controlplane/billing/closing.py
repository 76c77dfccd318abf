"""Month-close: freeze every billable tenant's invoice of a period and record the meter events to send.

Idempotent and resumable: one close runs at a time per period (a PostgreSQL advisory lock), each batch of
tenants commits its invoices together with their meter-event submissions (the outbox the sender works
from), and a tenant that already has its invoice is skipped — a crash halfway resumes where it stopped, and
a second run creates nothing. The payment provider is not called here: Stripe being down never holds up
the close.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import structlog
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from controlplane.accounts.actors import SYSTEM, Actor
from controlplane.audit import service as audit
from controlplane.billing import service
from controlplane.billing.models import (
    BillingPeriod,
    Invoice,
    InvoiceLine,
    MeterEventSubmission,
    PeriodStatus,
    SubmissionStatus,
)
from controlplane.billing.pricing import Period
from controlplane.billing.service import Priced, PricingContext
from controlplane.container import ControlPlane
from controlplane.jobs.service import job_lock
from controlplane.tenants.models import Tenant
from tenant_runtime.core.problems import Problem

log = structlog.get_logger(__name__)
LOCK_NAMESPACE = uuid.UUID("b5d1c1d8-4f0e-5a55-9c55-3a3f1f6b2c10")
BATCH_SIZE = 50


@dataclass(frozen=True)
class CloseReport:
    period: str
    invoices_created: int
    invoices_existing: int
    submissions_created: int
    seconds: float
    busy: bool = False


def identifier(tenant_id: uuid.UUID, period: Period, component: str) -> str:
    """The meter event identifier of one ledger aggregate; the same on every retry and every re-run."""
    return f"zgw:{tenant_id}:{period}:{component}"


def invoice_number(tenant: Tenant, period: Period) -> str:
    return f"ZGW-{period.year:04d}{period.month:02d}-{tenant.gemeentecode}"


def due_period(cp: ControlPlane, session: Session) -> Period | None:
    """The last ended period, once ``billing_close_delay_hours`` have passed and if it is not closed yet."""
    now = cp.clock.now()
    period = Period.containing(now).previous()
    if now < period.end + timedelta(hours=cp.settings.billing_close_delay_hours):
        return None
    row = session.get(BillingPeriod, period.first_day)
    return None if row is not None and row.status is PeriodStatus.CLOSED else period


def _freeze(cp: ControlPlane, session: Session, priced: Priced) -> tuple[Invoice, int]:
    tenant, period, draft = priced.tenant, priced.period, priced.invoice
    now = cp.clock.now()
    invoice = Invoice(
        number=invoice_number(tenant, period),
        tenant_id=tenant.id,
        period_start=period.first_day,
        inhabitants=draft.inhabitants,
        subtotal=draft.subtotal,
        vat_rate=draft.vat_rate,
        vat=draft.vat,
        total=draft.total,
        usage=service.usage_summary(priced.usage, period).model_dump(mode="json"),
        computed_at=now,
    )
    invoice.lines = [
        InvoiceLine(position=i, component=line.component.value, description=line.description[:300],
                    quantity=line.quantity, unit=line.unit, unit_price=line.unit_price, amount=line.amount,
                    computation=line.computation, details=line.details, segment_start=line.segment_start,
                    segment_end=line.segment_end, plan_code=line.plan_code, plan_version=line.plan_version,
                    plan_version_id=line.plan_version_id)
        for i, line in enumerate(draft.lines, start=1)
    ]  # fmt: skip
    session.add(invoice)
    session.flush()
    submissions = 0
    if cp.payments.enabled:
        for component, cents in sorted(draft.cents_by_component().items()):
            if cents <= 0:
                continue  # nothing to bill: Stripe's summary for this meter stays 0, as reconciliation expects
            session.add(MeterEventSubmission(
                identifier=identifier(tenant.id, period, component.value), tenant_id=tenant.id,
                invoice_id=invoice.id, period_start=period.first_day, component=component.value,
                event_name=cp.payments.event_name(component.value), value=cents,
                event_timestamp=period.end - timedelta(seconds=1), status=SubmissionStatus.PENDING,
                next_attempt_at=now, created_at=now,
            ))  # fmt: skip
            submissions += 1
    return invoice, submissions


def close_period(
    cp: ControlPlane, period: Period, *, actor: Actor = SYSTEM, batch_size: int = BATCH_SIZE
) -> CloseReport:
    """Compute and freeze the invoices of ``period`` for every billable tenant (see the module docstring)."""
    if period.end > cp.clock.now():
        raise Problem(409, f"Periode {period} is nog niet voorbij en kan niet worden afgesloten.", code="period-open")
    began = time.monotonic()
    with job_lock(cp.engine, uuid.uuid5(LOCK_NAMESPACE, str(period))) as got:
        if not got:
            log.info("billing_close_busy", period=str(period))
            return CloseReport(str(period), 0, 0, 0, 0.0, busy=True)
        with cp.sessions() as session:
            if session.get(BillingPeriod, period.first_day) is None:
                session.add(BillingPeriod(period_start=period.first_day))
                session.commit()
            tenants = service.billable_tenants(session, period)
            done = set(session.scalars(select(Invoice.tenant_id).where(Invoice.period_start == period.first_day)))
        todo = [t.id for t in tenants if t.id not in done]
        created = submissions = 0
        for start in range(0, len(todo), batch_size):
            batch = todo[start : start + batch_size]
            with cp.sessions() as session:
                batch_tenants = list(session.scalars(select(Tenant).where(Tenant.id.in_(batch))).unique())
                context = PricingContext.load(cp, session, batch_tenants, period)
                for tenant in batch_tenants:
                    _, added = _freeze(cp, session, context.price(session, tenant))
                    created += 1
                    submissions += added
                try:
                    session.commit()
                except IntegrityError:  # another close got here first (it holds no lock on SQLite): skip these
                    session.rollback()
                    created -= len(batch_tenants)
        with cp.sessions() as session:
            row = session.get(BillingPeriod, period.first_day)
            assert row is not None
            invoices = list(session.scalars(select(Invoice).where(Invoice.period_start == period.first_day)))
            seconds = time.monotonic() - began
            if row.status is not PeriodStatus.CLOSED:
                row.status, row.closed_at, row.close_seconds = PeriodStatus.CLOSED, cp.clock.now(), round(seconds, 3)
            row.invoices = len(invoices)
            row.subtotal = sum((i.subtotal for i in invoices), Decimal("0.00"))
            row.total = sum((i.total for i in invoices), Decimal("0.00"))
            if created:
                audit.record(session, actor, "billing.period_closed", target_type="billing_period",
                             target_id=str(period), after={"invoices": row.invoices, "total": str(row.total),
                                                           "created": created, "submissions": submissions})  # fmt: skip
            session.commit()
    report = CloseReport(str(period), created, len(done), submissions, round(time.monotonic() - began, 3))
    log.info("billing_period_closed", period=report.period, created=created, existing=len(done),
             submissions=submissions, duration_ms=int(report.seconds * 1000))  # fmt: skip
    return report
