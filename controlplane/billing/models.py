"""Billing tables: plan price versions, tenants' plan history, frozen invoices, the payment provider's side
(customers, meter-event submissions, invoices, webhook events) and reconciliation results.

A plan's prices are *versions* effective from a moment; a frozen invoice keeps its own lines, so a past
invoice never changes when prices do. The plan history of a tenant is written here too: by the billing
service (plan changes with an effective moment from the injected clock) and, for changes made elsewhere
(``PATCH /tenants/{id}`` with a new plan, activation, deprovisioning), by the flush listener at the bottom.
"""

from __future__ import annotations

import enum
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    event,
    inspect,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from controlplane.accounts.models import utcnow
from controlplane.db import Base, UtcDateTime
from controlplane.tenants.models import Plan, Tenant, TenantState

PRICE = Numeric(14, 6)
MONEY = Numeric(14, 2)


def _values(e: type[enum.Enum]) -> list[str]:
    return [str(m.value) for m in e]


class PlanVersion(Base):
    """The prices of a plan from ``effective_from`` until the next version of the same plan."""

    __tablename__ = "plan_versions"
    __table_args__ = (
        UniqueConstraint("plan_id", "version", name="uq_plan_versions_plan_version"),
        UniqueConstraint("plan_id", "effective_from", name="uq_plan_versions_plan_effective_from"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    effective_from: Mapped[datetime] = mapped_column(UtcDateTime())
    monthly_fee: Mapped[Decimal] = mapped_column(PRICE, default=Decimal(0))
    price_per_inhabitant_year: Mapped[Decimal] = mapped_column(PRICE, default=Decimal(0))
    price_per_active_client: Mapped[Decimal] = mapped_column(PRICE, default=Decimal(0))
    included_api_calls: Mapped[int] = mapped_column(BigInteger, default=0)
    # [{"up_to": int | null, "price_per_1000": "0.40"}, ...] — decimals as strings, exact.
    api_call_tiers: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    price_per_gb_month: Mapped[Decimal] = mapped_column(PRICE, default=Decimal(0))
    included_storage_gb: Mapped[Decimal] = mapped_column(PRICE, default=Decimal(0))
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(254), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    plan: Mapped[Plan] = relationship(lazy="joined")


class TenantPlanChange(Base):
    """From ``effective_from`` on, the tenant is billed on ``plan_id``; a row without a plan stops billing."""

    __tablename__ = "tenant_plan_history"
    __table_args__ = (Index("ix_tenant_plan_history_tenant_from", "tenant_id", "effective_from"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    plan_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("plans.id"), default=None)
    effective_from: Mapped[datetime] = mapped_column(UtcDateTime())
    reason: Mapped[str] = mapped_column(String(40), default="plan_change")  # activated, plan_change, stopped
    recorded_by: Mapped[str] = mapped_column(String(254), default="system")
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    plan: Mapped[Plan | None] = relationship(lazy="joined")
    tenant: Mapped[Tenant] = relationship(lazy="select")  # orders the insert after a new tenant's


class PeriodStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class BillingPeriod(Base):
    """One calendar month; closed once month-close froze every tenant's invoice."""

    __tablename__ = "billing_periods"

    period_start: Mapped[date] = mapped_column(Date, primary_key=True)
    status: Mapped[PeriodStatus] = mapped_column(
        Enum(PeriodStatus, native_enum=False, length=16, values_callable=_values), default=PeriodStatus.OPEN
    )
    invoices: Mapped[int] = mapped_column(Integer, default=0)
    subtotal: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    total: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    close_seconds: Mapped[float | None] = mapped_column(Numeric(10, 3), default=None)


class Invoice(Base):
    """A frozen invoice of one tenant for one period. Never changed after month-close."""

    __tablename__ = "invoices"
    __table_args__ = (UniqueConstraint("tenant_id", "period_start"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"), index=True)
    period_start: Mapped[date] = mapped_column(Date, index=True)
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    inhabitants: Mapped[int] = mapped_column(Integer)
    subtotal: Mapped[Decimal] = mapped_column(MONEY)
    vat_rate: Mapped[Decimal] = mapped_column(Numeric(6, 4))
    vat: Mapped[Decimal] = mapped_column(MONEY)
    total: Mapped[Decimal] = mapped_column(MONEY)
    usage: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # the period's ledger aggregates
    computed_at: Mapped[datetime] = mapped_column(UtcDateTime())

    tenant: Mapped[Tenant] = relationship(lazy="joined")
    lines: Mapped[list[InvoiceLine]] = relationship(
        lazy="selectin", order_by="InvoiceLine.position", cascade="all, delete-orphan"
    )


class InvoiceLine(Base):
    __tablename__ = "invoice_lines"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    component: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(String(300))
    quantity: Mapped[Decimal] = mapped_column(Numeric(24, 6))
    unit: Mapped[str] = mapped_column(String(32))
    unit_price: Mapped[Decimal] = mapped_column(PRICE)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    computation: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    segment_start: Mapped[datetime] = mapped_column(UtcDateTime())
    segment_end: Mapped[datetime] = mapped_column(UtcDateTime())
    plan_code: Mapped[str] = mapped_column(String(63))
    plan_version: Mapped[int] = mapped_column(Integer)
    plan_version_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("plan_versions.id"), default=None)


class BillingCustomer(Base):
    """A tenant at the payment provider: its customer and subscription (one per tenant)."""

    __tablename__ = "billing_customers"

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True)
    provider: Mapped[str] = mapped_column(String(20))
    customer_id: Mapped[str] = mapped_column(String(255), default="", index=True)
    subscription_id: Mapped[str] = mapped_column(String(255), default="")
    subscription_status: Mapped[str] = mapped_column(String(40), default="")
    subscription_event_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)


class SubmissionStatus(enum.StrEnum):
    PENDING = "pending"  # to be sent (again); retried with the same identifier
    SENT = "sent"  # the provider accepted it (or already had this identifier)
    FAILED = "failed"  # refused for good (bad request); needs a person
    REVIEW = "review"  # outcome unknown past the provider's dedup window: reconciliation decides


class MeterEventSubmission(Base):
    """One meter event for one ledger aggregate (tenant × period × component), recorded before it is sent:
    the ledger side of "what was sent". The identifier never changes, so every retry is the same event."""

    __tablename__ = "meter_event_submissions"
    __table_args__ = (Index("ix_meter_event_submissions_due", "status", "next_attempt_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    identifier: Mapped[str] = mapped_column(String(100), unique=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"), index=True)
    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"), index=True)
    period_start: Mapped[date] = mapped_column(Date)
    component: Mapped[str] = mapped_column(String(32))
    event_name: Mapped[str] = mapped_column(String(100))
    value: Mapped[int] = mapped_column(BigInteger)  # euro cents of the aggregate's invoice lines
    event_timestamp: Mapped[datetime] = mapped_column(UtcDateTime())
    status: Mapped[SubmissionStatus] = mapped_column(
        Enum(SubmissionStatus, native_enum=False, length=16, values_callable=_values),
        default=SubmissionStatus.PENDING,
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime())
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    first_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class ProviderInvoice(Base):
    """An invoice at the payment provider, as its webhooks and retrievals last told us."""

    __tablename__ = "provider_invoices"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)  # e.g. in_...
    tenant_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("tenants.id"), index=True, default=None)
    customer_id: Mapped[str] = mapped_column(String(255), default="")
    number: Mapped[str] = mapped_column(String(100), default="")
    status: Mapped[str] = mapped_column(String(40), default="")
    currency: Mapped[str] = mapped_column(String(3), default="eur")
    amount_due: Mapped[int] = mapped_column(BigInteger, default=0)  # cents
    amount_paid: Mapped[int] = mapped_column(BigInteger, default=0)
    total: Mapped[int] = mapped_column(BigInteger, default=0)
    period_start: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    period_end: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    hosted_invoice_url: Mapped[str] = mapped_column(String(1000), default="")
    event_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)


class WebhookEvent(Base):
    """A provider webhook event, stored once by its id: a replayed delivery is recognised and not reprocessed."""

    __tablename__ = "billing_webhook_events"

    event_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(100))
    created: Mapped[datetime] = mapped_column(UtcDateTime())
    tenant_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    outcome: Mapped[str] = mapped_column(String(200), default="")
    received_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class ReconciliationStatus(enum.StrEnum):
    OK = "ok"
    DRIFT = "drift"  # ledger, invoice, what was sent and what the provider recorded do not all agree
    PENDING = "pending"  # submissions still on their way
    UNAVAILABLE = "unavailable"  # the provider could not be asked
    NOT_SENT = "not_sent"  # payment provider disabled: only the ledger against the frozen invoice


class ReconciliationRun(Base):
    __tablename__ = "reconciliation_runs"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    period_start: Mapped[date] = mapped_column(Date, index=True)
    provider: Mapped[str] = mapped_column(String(20))
    status: Mapped[ReconciliationStatus] = mapped_column(
        Enum(ReconciliationStatus, native_enum=False, length=16, values_callable=_values)
    )
    checked: Mapped[int] = mapped_column(Integer, default=0)
    drifting: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)

    items: Mapped[list[ReconciliationItem]] = relationship(lazy="selectin", cascade="all, delete-orphan")


class ReconciliationItem(Base):
    """One tenant × component of a run: the four numbers that must agree (euro cents)."""

    __tablename__ = "reconciliation_items"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    run_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("reconciliation_runs.id", ondelete="CASCADE"), index=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"), index=True)
    component: Mapped[str] = mapped_column(String(32))
    ledger_cents: Mapped[int] = mapped_column(BigInteger)  # priced again from the ledger as it is now
    invoiced_cents: Mapped[int] = mapped_column(BigInteger)  # the frozen invoice
    sent_cents: Mapped[int | None] = mapped_column(BigInteger, default=None)  # accepted submissions
    provider_cents: Mapped[int | None] = mapped_column(BigInteger, default=None)  # the provider's meter summary
    status: Mapped[ReconciliationStatus] = mapped_column(
        Enum(ReconciliationStatus, native_enum=False, length=16, values_callable=_values)
    )
    detail: Mapped[str] = mapped_column(Text, default="")


class InvoiceIsFrozen(RuntimeError):
    pass


@event.listens_for(Session, "before_flush")
def _refuse_invoice_changes(session: Session, _context: object, _instances: object) -> None:
    """A frozen invoice and its lines never change (the database refuses it too, see migration cpbl0002)."""
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, Invoice | InvoiceLine) and (obj in session.deleted or session.is_modified(obj)):
            raise InvoiceIsFrozen("a frozen invoice cannot be changed or deleted")


# --- the plan history of changes made outside the billing service ----------------------------------------

BILLABLE_FROM = (TenantState.ACTIVE, TenantState.SUSPENDED)
STOPPED = (TenantState.DEPROVISIONING, TenantState.DELETED)
RECORDED_BY_SERVICE = "billing_plan_change_recorded"  # session.info key: these tenants' rows are already added


def _latest(session: Session, tenant_id: uuid.UUID, now: datetime) -> TenantPlanChange | None:
    with session.no_autoflush:
        return session.scalar(
            select(TenantPlanChange)
            .where(TenantPlanChange.tenant_id == tenant_id, TenantPlanChange.effective_from <= now)
            .order_by(TenantPlanChange.effective_from.desc(), TenantPlanChange.recorded_at.desc())
            .limit(1)
        )


def _changed(tenant: Tenant, attribute: str) -> bool:
    return bool(inspect(tenant).attrs[attribute].history.has_changes())


@event.listens_for(Session, "before_flush")
def _record_plan_history(session: Session, _context: object, _instances: object) -> None:
    """Billing starts when a tenant becomes active, follows plan changes and stops at deprovisioning."""
    recorded: set[uuid.UUID] = session.info.get(RECORDED_BY_SERVICE, set())
    now = datetime.now(UTC)
    for tenant in [*session.new, *session.dirty]:
        if not isinstance(tenant, Tenant) or tenant.id in recorded:
            continue
        is_new = tenant in session.new
        if tenant.id is None:
            tenant.id = uuid.uuid4()  # what the column default would do at insert (_latest needs it)
        if not is_new and not (_changed(tenant, "plan_id") or _changed(tenant, "state")):
            continue
        latest = None if is_new else _latest(session, tenant.id, now)
        billing = latest is not None and latest.plan_id is not None
        if tenant.state in STOPPED:
            if billing:
                session.add(TenantPlanChange(tenant=tenant, plan_id=None, effective_from=now, reason="stopped"))
        elif (tenant.state in BILLABLE_FROM or billing) and (latest is None or latest.plan_id != tenant.plan_id):
            reason = "plan_change" if billing else "activated"
            change = TenantPlanChange(tenant=tenant, plan_id=tenant.plan_id, effective_from=now, reason=reason)
            session.add(change)


@event.listens_for(Session, "after_flush_postexec")
def _forget_recorded(session: Session, _context: object) -> None:
    session.info.pop(RECORDED_BY_SERVICE, None)
