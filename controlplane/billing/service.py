"""Plans' prices, tenants' plan history, and invoices priced from the usage ledger (previews and frozen ones).
Plain functions of (control plane, session, actor, input); the API, the web UI and the tasks call these."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from fractions import Fraction

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from controlplane.accounts.actors import Actor
from controlplane.audit import service as audit
from controlplane.billing.models import (
    RECORDED_BY_SERVICE,
    BillingPeriod,
    Invoice,
    InvoiceLine,
    PeriodStatus,
    PlanVersion,
    ReconciliationItem,
    ReconciliationRun,
    TenantPlanChange,
)
from controlplane.billing.pricing import (
    BYTES_PER_GB,
    ApiCallTier,
    Period,
    PriceComponents,
    PricedInvoice,
    PricedLine,
    Segment,
    SegmentUsage,
    price_invoice,
    round_half_up,
)
from controlplane.billing.schemas import (
    InvoiceOut,
    LineOut,
    PlanChangeIn,
    PlanChangeOut,
    PlanVersionIn,
    PlanVersionOut,
    TenantUsageRow,
    TierOut,
    TrendPoint,
    UsageSummary,
)
from controlplane.container import ControlPlane
from controlplane.db import aware
from controlplane.tenants.models import Plan, Tenant, TenantState
from controlplane.usage import service as usage
from controlplane.usage.service import PeriodUsage
from tenant_runtime.core.problems import InvalidParam, Problem, validation_problem
from tenant_runtime.metering.events import Meter

BILLABLE_STATES = (TenantState.ACTIVE, TenantState.SUSPENDED)


# --- plan prices --------------------------------------------------------------------------------------------


def prices_of(version: PlanVersion) -> PriceComponents:
    return PriceComponents(
        monthly_fee=Decimal(version.monthly_fee),
        price_per_inhabitant_year=Decimal(version.price_per_inhabitant_year),
        price_per_active_client=Decimal(version.price_per_active_client),
        included_api_calls=int(version.included_api_calls),
        api_call_tiers=tuple(
            ApiCallTier(t.get("up_to"), Decimal(str(t["price_per_1000"]))) for t in version.api_call_tiers or []
        ),
        price_per_gb_month=Decimal(version.price_per_gb_month),
        included_storage_gb=Decimal(version.included_storage_gb),
    )


def version_out(version: PlanVersion) -> PlanVersionOut:
    prices = prices_of(version)
    return PlanVersionOut(
        id=version.id,
        plan=version.plan.code,
        version=version.version,
        effective_from=version.effective_from,
        monthly_fee=prices.monthly_fee,
        price_per_inhabitant_year=prices.price_per_inhabitant_year,
        price_per_active_client=prices.price_per_active_client,
        included_api_calls=prices.included_api_calls,
        api_call_tiers=[TierOut(up_to=t.up_to, price_per_1000=t.price_per_1000) for t in prices.api_call_tiers],
        price_per_gb_month=prices.price_per_gb_month,
        included_storage_gb=prices.included_storage_gb,
        note=version.note,
        created_by=version.created_by,
        created_at=version.created_at,
    )


def plan_versions(
    session: Session, plan_ids: Collection[uuid.UUID] | None = None
) -> dict[uuid.UUID, list[PlanVersion]]:
    """Every plan's price versions, oldest first."""
    statement = select(PlanVersion).order_by(PlanVersion.plan_id, PlanVersion.effective_from)
    if plan_ids is not None:
        statement = statement.where(PlanVersion.plan_id.in_(list(plan_ids)))
    versions: dict[uuid.UUID, list[PlanVersion]] = {}
    for version in session.scalars(statement).unique():
        versions.setdefault(version.plan_id, []).append(version)
    return versions


def closed_until(session: Session) -> datetime | None:
    """The end of the latest closed period: nothing before it may change any more."""
    latest = session.scalar(
        select(func.max(BillingPeriod.period_start)).where(BillingPeriod.status == PeriodStatus.CLOSED)
    )
    return Period.of_date(latest).end if latest else None


def _check_not_closed(session: Session, moment: datetime, name: str) -> None:
    limit = closed_until(session)
    if limit is not None and moment < limit:
        raise validation_problem([InvalidParam(
            name, "effective-in-closed-period",
            f"{moment:%Y-%m-%d %H:%M} valt in een afgesloten periode; kies {limit:%Y-%m-%d %H:%M} UTC of later.",
        )])  # fmt: skip


def get_plan(session: Session, code: str, *, active_only: bool = False, name: str = "plan") -> Plan:
    statement = select(Plan).where(Plan.code == code)
    if active_only:
        statement = statement.where(Plan.is_active.is_(True))
    plan = session.scalar(statement)
    if plan is None:
        raise validation_problem([InvalidParam(name, "does_not_exist", f"Onbekend of inactief plan '{code}'.")])
    return plan


def add_plan_version(cp: ControlPlane, session: Session, actor: Actor, plan: Plan, data: PlanVersionIn) -> PlanVersion:
    """New prices for ``plan`` from ``effective_from`` on (default: now). Earlier invoices keep theirs."""
    effective = data.effective_from or cp.clock.now()
    _check_not_closed(session, effective, "effective_from")
    existing = plan_versions(session, [plan.id]).get(plan.id, [])
    if any(v.effective_from == effective for v in existing):
        raise validation_problem(
            [InvalidParam("effective_from", "unique", "Er begint al een prijsversie op dit moment.")]
        )
    version = PlanVersion(
        plan_id=plan.id,
        version=max((v.version for v in existing), default=0) + 1,
        effective_from=effective,
        monthly_fee=data.monthly_fee,
        price_per_inhabitant_year=data.price_per_inhabitant_year,
        price_per_active_client=data.price_per_active_client,
        included_api_calls=data.included_api_calls,
        api_call_tiers=[{"up_to": t.up_to, "price_per_1000": str(t.price_per_1000)} for t in data.api_call_tiers],
        price_per_gb_month=data.price_per_gb_month,
        included_storage_gb=data.included_storage_gb,
        note=data.note,
        created_by=actor.label,
    )
    session.add(version)
    session.flush()
    session.refresh(version)
    audit.record(session, actor, "plan.prices_versioned", target_type="plan", target_id=plan.code,
                 after=version_out(version).model_dump(mode="json"))  # fmt: skip
    return version


# --- plan history and segments ----------------------------------------------------------------------------


def change_out(change: TenantPlanChange) -> PlanChangeOut:
    return PlanChangeOut(
        id=change.id,
        plan=change.plan.code if change.plan else None,
        effective_from=change.effective_from,
        reason=change.reason,
        recorded_by=change.recorded_by,
        recorded_at=change.recorded_at,
    )


def plan_history(session: Session, tenant_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, list[TenantPlanChange]]:
    history: dict[uuid.UUID, list[TenantPlanChange]] = {t: [] for t in tenant_ids}
    statement = (
        select(TenantPlanChange)
        .where(TenantPlanChange.tenant_id.in_(list(tenant_ids)))
        .order_by(TenantPlanChange.tenant_id, TenantPlanChange.effective_from, TenantPlanChange.recorded_at)
    )
    for change in session.scalars(statement).unique():
        history[change.tenant_id].append(change)
    return history


def change_plan(
    cp: ControlPlane, session: Session, actor: Actor, tenant: Tenant, data: PlanChangeIn
) -> TenantPlanChange:
    """Move a tenant to another plan from ``effective_from`` on (default: now, by the control plane's clock);
    the period it falls in is prorated. A change in the future takes effect when its moment comes."""
    if tenant.state in (TenantState.DEPROVISIONING, TenantState.DELETED):
        raise Problem(409, "Deze gemeente wordt niet meer gefactureerd.", code="tenant-gone")
    plan = get_plan(session, data.plan, active_only=True)
    now = cp.clock.now()
    effective = data.effective_from or now
    _check_not_closed(session, effective, "effective_from")
    change = TenantPlanChange(
        tenant_id=tenant.id, plan_id=plan.id, effective_from=effective, reason="plan_change", recorded_by=actor.label
    )
    session.info.setdefault(RECORDED_BY_SERVICE, set()).add(tenant.id)
    session.add(change)
    before = tenant.plan.code
    if effective <= now:
        tenant.plan_id = plan.id
    session.flush()
    audit.record(session, actor, "tenant.plan_changed", target_type="tenant", target_id=tenant.slug,
                 tenant_id=tenant.id, before={"plan": before},
                 after={"plan": plan.code, "effective_from": effective})  # fmt: skip
    session.refresh(change)
    return change


def apply_due_plan_changes(cp: ControlPlane, session: Session) -> int:
    """Set ``tenant.plan_id`` for planned changes whose moment has come (the history already prices them)."""
    now = cp.clock.now()
    applied = 0
    tenants = {t.id: t for t in session.scalars(select(Tenant).where(Tenant.state.in_(BILLABLE_STATES))).unique()}
    for tenant_id, changes in plan_history(session, list(tenants)).items():
        due = [c for c in changes if c.effective_from <= now]
        tenant = tenants[tenant_id]
        if due and due[-1].plan_id is not None and due[-1].plan_id != tenant.plan_id:
            session.info.setdefault(RECORDED_BY_SERVICE, set()).add(tenant.id)
            tenant.plan_id = due[-1].plan_id
            applied += 1
    return applied


def _timeline(tenant: Tenant, changes: list[TenantPlanChange]) -> list[tuple[datetime, uuid.UUID | None]]:
    if changes:
        return [(c.effective_from, c.plan_id) for c in changes]
    # No history (a tenant from before billing existed): billed on its current plan while billable.
    if tenant.state in BILLABLE_STATES:
        return [(aware(tenant.created_at), tenant.plan_id)]
    return []


@dataclass(frozen=True)
class PlanSpan:
    start: datetime
    end: datetime
    plan: Plan
    version: PlanVersion


def plan_spans(
    tenant: Tenant,
    changes: list[TenantPlanChange],
    versions: dict[uuid.UUID, list[PlanVersion]],
    plans: dict[uuid.UUID, Plan],
    period: Period,
    warnings: list[str] | None = None,
) -> list[PlanSpan]:
    """The stretches of ``period`` with one plan and one price version each."""
    timeline = _timeline(tenant, changes)
    spans: list[PlanSpan] = []
    for index, (start, plan_id) in enumerate(timeline):
        end = timeline[index + 1][0] if index + 1 < len(timeline) else period.end
        start, end = max(start, period.start), min(end, period.end)
        if plan_id is None or end <= start:
            continue
        plan = plans[plan_id]
        plan_versions_ = versions.get(plan_id, [])
        cuts = [v.effective_from for v in plan_versions_ if start < v.effective_from < end]
        for piece_start, piece_end in zip([start, *cuts], [*cuts, end], strict=True):
            version = next((v for v in reversed(plan_versions_) if v.effective_from <= piece_start), None)
            if version is None:
                if warnings is not None:
                    warnings.append(f"Plan '{plan.code}' heeft geen prijzen vóór {piece_end:%Y-%m-%d %H:%M} UTC.")
                continue
            spans.append(PlanSpan(piece_start, piece_end, plan, version))
    return spans


def segment_usage(record: PeriodUsage) -> SegmentUsage:
    return SegmentUsage(
        api_calls=dict(record.api_calls),
        stored_byte_hours=record.stored_byte_hours,
        storage_hours=record.sampled_hours,
        active_clients=frozenset(record.active_clients),
    )


@dataclass
class Priced:
    tenant: Tenant
    period: Period
    invoice: PricedInvoice
    usage: PeriodUsage
    warnings: list[str] = field(default_factory=list)


@dataclass
class PricingContext:
    """What pricing many tenants of one period needs, loaded once (plans, versions, history, usage)."""

    period: Period
    vat_rate: Decimal
    plans: dict[uuid.UUID, Plan]
    versions: dict[uuid.UUID, list[PlanVersion]]
    history: dict[uuid.UUID, list[TenantPlanChange]]
    usage: dict[uuid.UUID, PeriodUsage]

    @classmethod
    def load(cls, cp: ControlPlane, session: Session, tenants: Collection[Tenant], period: Period) -> PricingContext:
        ids = [t.id for t in tenants]
        return cls(
            period=period,
            vat_rate=cp.settings.billing_vat_rate,
            plans={p.id: p for p in session.scalars(select(Plan))},
            versions=plan_versions(session),
            history=plan_history(session, ids),
            usage=usage.fleet_usage(session, period.start, period.end, ids),
        )

    def spans(self, tenant: Tenant, warnings: list[str] | None = None) -> list[PlanSpan]:
        return plan_spans(tenant, self.history.get(tenant.id, []), self.versions, self.plans, self.period, warnings)

    def price(self, session: Session, tenant: Tenant) -> Priced:
        warnings: list[str] = []
        spans = self.spans(tenant, warnings)
        whole = self.usage.get(tenant.id) or usage.period_usage(session, tenant.id, self.period.start, self.period.end)
        segments = []
        for span in spans:
            if span.start == self.period.start and span.end == self.period.end:
                record = whole
            else:  # part of the month: the ledger hours that start inside this stretch
                record = usage.period_usage(session, tenant.id, span.start, span.end)
            segments.append(Segment(
                start=span.start, end=span.end, plan_code=span.plan.code, plan_name=span.plan.name,
                version=span.version.version, version_id=span.version.id, prices=prices_of(span.version),
                usage=segment_usage(record),
            ))  # fmt: skip
        invoice = price_invoice(self.period, tenant.inhabitants, segments, self.vat_rate)
        return Priced(tenant, self.period, invoice, whole, warnings)


def price_tenant(cp: ControlPlane, session: Session, tenant: Tenant, period: Period) -> Priced:
    """The invoice of ``tenant`` for ``period`` as the ledger and the plan history say now."""
    return PricingContext.load(cp, session, [tenant], period).price(session, tenant)


def billable_tenants(session: Session, period: Period) -> list[Tenant]:
    """Tenants with a plan in some part of ``period`` (per their history, or billable now without one)."""
    tenants = list(session.scalars(select(Tenant).order_by(Tenant.slug)).unique())
    history = plan_history(session, [t.id for t in tenants])
    chosen = []
    for tenant in tenants:
        timeline = _timeline(tenant, history[tenant.id])
        for index, (start, plan_id) in enumerate(timeline):
            end = timeline[index + 1][0] if index + 1 < len(timeline) else period.end
            if plan_id is not None and start < period.end and end > period.start and start < end:
                chosen.append(tenant)
                break
    return chosen


# --- what the API and the UI show -------------------------------------------------------------------------


def storage_gb_months(record: PeriodUsage, period: Period) -> Decimal:
    return round_half_up(Fraction(record.stored_byte_hours, BYTES_PER_GB * period.hours), 4)


def usage_summary(record: PeriodUsage, period: Period) -> UsageSummary:
    return UsageSummary(
        api_calls={f"{c}:{o}": n for (c, o), n in sorted(record.api_calls.items())},
        api_calls_total=record.api_calls_total,
        stored_byte_hours=record.stored_byte_hours,
        sampled_hours=record.sampled_hours,
        max_stored_bytes=record.max_stored_bytes,
        storage_gb_months=storage_gb_months(record, period),
        zaken=record.zaken,
        documenten=record.documenten,
        active_clients=sorted(record.active_clients),
    )


def usage_from_summary(tenant_id: uuid.UUID, period: Period, summary: dict[str, object]) -> PeriodUsage:
    """The usage stored with a frozen invoice, back as a ``PeriodUsage``."""
    data = UsageSummary.model_validate(summary)
    calls = {tuple(k.split(":", 1)): n for k, n in data.api_calls.items()}
    return PeriodUsage(
        tenant_id, period.start, period.end, period.hours, calls,  # type: ignore[arg-type]
        data.api_calls_total, data.stored_byte_hours, data.sampled_hours, data.max_stored_bytes, data.zaken,
        data.documenten, set(data.active_clients),
    )  # fmt: skip


def ledger_links(tenant_id: uuid.UUID, period: Period) -> dict[str, str]:
    query = f"start={period.start:%Y-%m-%dT%H:%M:%SZ}&end={period.end:%Y-%m-%dT%H:%M:%SZ}"
    return {meter.value: f"/api/v1/usage/tenants/{tenant_id}/entries?meter={meter.value}&{query}" for meter in Meter}


def _line_out(position: int, line: PricedLine | InvoiceLine, component: str) -> LineOut:
    return LineOut(
        position=position,
        component=component,
        description=line.description,
        quantity=line.quantity,
        unit=line.unit,
        unit_price=line.unit_price,
        amount=line.amount,
        computation=line.computation,
        details=line.details,
        segment_start=line.segment_start,
        segment_end=line.segment_end,
        plan=line.plan_code,
        plan_version=line.plan_version,
    )


def preview_out(cp: ControlPlane, priced: Priced, frozen: Invoice | None = None) -> InvoiceOut:
    invoice, period, tenant = priced.invoice, priced.period, priced.tenant
    return InvoiceOut(
        id=None,
        number=frozen.number if frozen else "",
        status="preview",
        tenant_id=tenant.id,
        tenant=tenant.slug,
        period=str(period),
        period_start=period.start,
        period_end=period.end,
        currency="EUR",
        inhabitants=invoice.inhabitants,
        lines=[_line_out(i, line, line.component.value) for i, line in enumerate(invoice.lines, start=1)],
        subtotal=invoice.subtotal,
        vat_rate=invoice.vat_rate,
        vat=invoice.vat,
        total=invoice.total,
        usage=usage_summary(priced.usage, period),
        computed_at=cp.clock.now(),
        ledger=ledger_links(tenant.id, period),
        warnings=priced.warnings
        + ([f"Deze periode is afgesloten; de definitieve factuur is {frozen.number}."] if frozen else []),
    )


def invoice_out(invoice: Invoice) -> InvoiceOut:
    period = Period.of_date(invoice.period_start)
    return InvoiceOut(
        id=invoice.id,
        number=invoice.number,
        status="final",
        tenant_id=invoice.tenant_id,
        tenant=invoice.tenant.slug,
        period=str(period),
        period_start=period.start,
        period_end=period.end,
        currency=invoice.currency,
        inhabitants=invoice.inhabitants,
        lines=[_line_out(line.position, line, line.component) for line in invoice.lines],
        subtotal=invoice.subtotal,
        vat_rate=invoice.vat_rate,
        vat=invoice.vat,
        total=invoice.total,
        usage=UsageSummary.model_validate(invoice.usage),
        computed_at=invoice.computed_at,
        ledger=ledger_links(invoice.tenant_id, period),
    )


def frozen_invoice(session: Session, tenant_id: uuid.UUID, period: Period) -> Invoice | None:
    return session.scalar(
        select(Invoice).where(Invoice.tenant_id == tenant_id, Invoice.period_start == period.first_day)
    )


def invoice_for(cp: ControlPlane, session: Session, tenant: Tenant, period: Period) -> InvoiceOut:
    """The frozen invoice of a closed period, else a preview computed from the ledger now."""
    frozen = frozen_invoice(session, tenant.id, period)
    return invoice_out(frozen) if frozen else preview_out(cp, price_tenant(cp, session, tenant, period))


def invoices_of_period(cp: ControlPlane, session: Session, tenants: list[Tenant], period: Period) -> list[InvoiceOut]:
    """Every tenant's invoice of ``period``: frozen where closed, else previews priced from one context."""
    frozen = {
        i.tenant_id: i
        for i in session.scalars(select(Invoice).where(Invoice.period_start == period.first_day,
                                                       Invoice.tenant_id.in_([t.id for t in tenants]))).unique()
    }  # fmt: skip
    open_tenants = [t for t in tenants if t.id not in frozen]
    context = PricingContext.load(cp, session, open_tenants, period) if open_tenants else None
    return [
        invoice_out(frozen[t.id]) if t.id in frozen else preview_out(cp, context.price(session, t))  # type: ignore[union-attr]
        for t in tenants
    ]


def latest_reconciliation(session: Session, period: Period) -> ReconciliationRun | None:
    return session.scalar(
        select(ReconciliationRun)
        .where(ReconciliationRun.period_start == period.first_day)
        .order_by(ReconciliationRun.started_at.desc())
        .limit(1)
    )


def _tenant_status(items: Iterable[ReconciliationItem]) -> dict[uuid.UUID, str]:
    order = ["drift", "unavailable", "pending", "not_sent", "ok"]
    worst: dict[uuid.UUID, str] = {}
    for item in items:
        status = item.status.value
        if item.tenant_id not in worst or order.index(status) < order.index(worst[item.tenant_id]):
            worst[item.tenant_id] = status
    return worst


def overview(cp: ControlPlane, session: Session, tenants: list[Tenant], period: Period) -> list[TenantUsageRow]:
    """Per tenant: usage and amount of ``period`` (frozen invoices where closed, previews elsewhere)."""
    run = latest_reconciliation(session, period)
    reconciled = _tenant_status(run.items) if run else {}
    return [
        TenantUsageRow(
            tenant_id=tenant.id, tenant=tenant.slug, name=tenant.name, plan=tenant.plan.code, status=invoice.status,
            api_calls_total=invoice.usage.api_calls_total, storage_gb_months=invoice.usage.storage_gb_months,
            active_clients=len(invoice.usage.active_clients), subtotal=invoice.subtotal, total=invoice.total,
            reconciliation=reconciled.get(tenant.id),
        )
        for tenant, invoice in zip(tenants, invoices_of_period(cp, session, tenants, period), strict=True)
    ]  # fmt: skip


def trend(cp: ControlPlane, session: Session, tenant: Tenant, periods: list[Period]) -> list[TrendPoint]:
    """Usage and amount of one tenant over several periods (for the charts)."""
    points = []
    for period in periods:
        invoice = frozen_invoice(session, tenant.id, period)
        if invoice is not None:
            record, total = usage_from_summary(tenant.id, period, invoice.usage), invoice.total
        else:
            priced = price_tenant(cp, session, tenant, period)
            record, total = priced.usage, priced.invoice.total
        points.append(TrendPoint(period=str(period), first_day=period.first_day,
                                 api_calls_total=record.api_calls_total,
                                 storage_gb_months=storage_gb_months(record, period), total=total))  # fmt: skip
    return points


def fleet_trend(session: Session, periods: list[Period]) -> list[TrendPoint]:
    """The whole fleet's invoiced totals per closed period (open periods: 0 until closed)."""
    start = periods[0].first_day
    sums = dict(
        session.execute(
            select(Invoice.period_start, func.sum(Invoice.total)).where(Invoice.period_start >= start)
            .group_by(Invoice.period_start)
        ).all()
    )  # fmt: skip
    return [TrendPoint(period=str(p), first_day=p.first_day, api_calls_total=0, storage_gb_months=Decimal(0),
                       total=Decimal(sums.get(p.first_day) or 0)) for p in periods]  # fmt: skip
