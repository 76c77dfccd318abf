"""``/api/v1/billing``: plan prices, plan changes, invoice previews and frozen invoices, the finance overview
and its CSV exports, month-close, meter events, reconciliation, the payment provider (customers, invoices,
portal) and its webhook."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool

from controlplane.billing import closing, exports, reconcile, service, sync, tasks, webhooks
from controlplane.billing.interfaces import PaymentsDisabled, PermanentError, TemporaryError, WebhookRejected
from controlplane.billing.models import (
    BillingCustomer,
    BillingPeriod,
    Invoice,
    MeterEventSubmission,
    ReconciliationRun,
    SubmissionStatus,
)
from controlplane.billing.pricing import Period
from controlplane.billing.schemas import (
    CloseIn,
    CloseOut,
    CustomerOut,
    InvoiceList,
    InvoiceOut,
    InvoiceSummary,
    PeriodOut,
    PlanChangeIn,
    PlanChangeOut,
    PlanPricesOut,
    PlanVersionIn,
    PlanVersionOut,
    PortalSessionOut,
    ProviderInvoiceList,
    ReconcileIn,
    ReconciliationItemOut,
    ReconciliationOut,
    SubmissionList,
    SubmissionOut,
    UsageOverview,
    WebhookOut,
    parse_period,
)
from controlplane.container import ControlPlane
from controlplane.deps import ControlPlaneDep, CurrentActor, FinanceActor, ManagerActor, OperatorActor, SessionDep
from controlplane.tenants import service as tenants
from controlplane.tenants.models import Plan, Tenant
from tenant_runtime.core.problems import Problem

router = APIRouter(prefix="/api/v1/billing", tags=["billing"])

ZERO = Decimal("0.00")
PeriodQuery = Annotated[str | None, Query(description="Billing period YYYY-MM (UTC month); default: the current one.")]


def _period(cp: ControlPlane, value: str | None) -> Period:
    return parse_period(value) if value else Period.containing(cp.clock.now())


def _unavailable(exc: Exception) -> Problem:
    return Problem(503, f"De betaalprovider is niet bereikbaar: {exc}", code="provider-unavailable")


def _disabled(exc: PaymentsDisabled) -> Problem:
    return Problem(409, str(exc), code="payments-disabled")


# --- plans ----------------------------------------------------------------------------------------------------


@router.get("/plans", response_model=list[PlanPricesOut], summary="Plans with their price versions")
def list_plan_prices(_actor: CurrentActor, session: SessionDep) -> list[PlanPricesOut]:
    versions = service.plan_versions(session)
    return [
        PlanPricesOut(code=p.code, name=p.name, is_active=p.is_active,
                      versions=[service.version_out(v) for v in versions.get(p.id, [])])
        for p in session.scalars(select(Plan).order_by(Plan.code))
    ]  # fmt: skip


@router.post("/plans/{code}/versions", response_model=PlanVersionOut, status_code=201,
             summary="New prices for a plan, effective from a moment")  # fmt: skip
def add_plan_version(
    code: str, data: PlanVersionIn, actor: OperatorActor, cp: ControlPlaneDep, session: SessionDep
) -> PlanVersionOut:
    plan = session.scalar(select(Plan).where(Plan.code == code))
    if plan is None:
        raise Problem(404, "Plan niet gevonden.", code="not_found")
    version = service.add_plan_version(cp, session, actor, plan, data)
    session.commit()
    return service.version_out(version)


# --- a tenant's plan, invoices and payment provider --------------------------------------------------------


@router.get("/tenants/{tenant_id}/plan-history", response_model=list[PlanChangeOut])
def plan_history(tenant_id: uuid.UUID, actor: CurrentActor, session: SessionDep) -> list[PlanChangeOut]:
    tenant = tenants.get_visible(session, actor, tenant_id)
    return [service.change_out(c) for c in service.plan_history(session, [tenant.id])[tenant.id]]


@router.post("/tenants/{tenant_id}/plan-changes", response_model=PlanChangeOut, status_code=201,
             summary="Move a tenant to another plan (prorated within the period)")  # fmt: skip
def change_plan(
    tenant_id: uuid.UUID, data: PlanChangeIn, actor: OperatorActor, cp: ControlPlaneDep, session: SessionDep
) -> PlanChangeOut:
    tenant = tenants.get_visible(session, actor, tenant_id)
    change = service.change_plan(cp, session, actor, tenant, data)
    session.commit()
    return service.change_out(change)


@router.get("/tenants/{tenant_id}/invoice-preview", response_model=InvoiceOut,
            summary="A period's invoice computed from the ledger now, each line with its computation")  # fmt: skip
def invoice_preview(
    tenant_id: uuid.UUID, actor: CurrentActor, cp: ControlPlaneDep, session: SessionDep, period: PeriodQuery = None
) -> InvoiceOut:
    tenant = tenants.get_visible(session, actor, tenant_id)
    chosen = _period(cp, period)
    priced = service.price_tenant(cp, session, tenant, chosen)
    return service.preview_out(cp, priced, service.frozen_invoice(session, tenant.id, chosen))


@router.get("/tenants/{tenant_id}/invoices", response_model=InvoiceList, summary="A tenant's frozen invoices")
def tenant_invoices(tenant_id: uuid.UUID, actor: CurrentActor, session: SessionDep) -> InvoiceList:
    tenant = tenants.get_visible(session, actor, tenant_id)
    rows = list(session.scalars(select(Invoice).where(Invoice.tenant_id == tenant.id)
                                .order_by(Invoice.period_start.desc())).unique())  # fmt: skip
    return InvoiceList(count=len(rows), results=[_summary(i) for i in rows])


@router.get("/tenants/{tenant_id}/customer", response_model=CustomerOut, summary="The tenant at the provider")
def customer(tenant_id: uuid.UUID, actor: CurrentActor, session: SessionDep) -> CustomerOut:
    tenant = tenants.get_visible(session, actor, tenant_id)
    row = session.get(BillingCustomer, tenant.id)
    if row is None:
        raise Problem(404, "Deze gemeente heeft nog geen klant bij de betaalprovider.", code="not_found")
    return CustomerOut.model_validate(row, from_attributes=True)


@router.post("/tenants/{tenant_id}/customer", response_model=CustomerOut,
             summary="Create (or find) the tenant's customer and subscription at the provider now")  # fmt: skip
def sync_customer(tenant_id: uuid.UUID, actor: OperatorActor, cp: ControlPlaneDep, session: SessionDep) -> CustomerOut:
    tenant = tenants.get_visible(session, actor, tenant_id)
    try:
        row = sync.ensure_customer(cp, session, tenant)
    except PaymentsDisabled as exc:
        raise _disabled(exc) from None
    except (TemporaryError, PermanentError) as exc:
        raise _unavailable(exc) from None
    return CustomerOut.model_validate(row, from_attributes=True)


@router.get("/tenants/{tenant_id}/provider-invoices", response_model=ProviderInvoiceList,
            summary="The tenant's invoices at the payment provider")  # fmt: skip
def provider_invoices(
    tenant_id: uuid.UUID, actor: CurrentActor, cp: ControlPlaneDep, session: SessionDep
) -> ProviderInvoiceList:
    tenant = tenants.get_visible(session, actor, tenant_id)
    found, stale = sync.provider_invoices(cp, session, tenant)
    return ProviderInvoiceList(provider=cp.payments.name, stale=stale, results=found)


@router.post("/tenants/{tenant_id}/portal-session", response_model=PortalSessionOut,
             summary="A link to the payment provider's customer portal (municipality admins, operators)")  # fmt: skip
def portal_session(
    tenant_id: uuid.UUID, actor: ManagerActor, cp: ControlPlaneDep, session: SessionDep
) -> PortalSessionOut:
    tenant = tenants.get_visible(session, actor, tenant_id)
    return PortalSessionOut(url=portal_url(cp, session, tenant))


def portal_url(cp: ControlPlane, session: SessionDep, tenant: Tenant) -> str:
    try:
        row = session.get(BillingCustomer, tenant.id)
        if row is None or not row.customer_id:
            row = sync.ensure_customer(cp, session, tenant)
        return cp.payments.portal_url(row.customer_id, f"{cp.settings.public_url}/portal/{tenant.id}/usage")
    except PaymentsDisabled as exc:
        raise _disabled(exc) from None
    except (TemporaryError, PermanentError) as exc:
        raise _unavailable(exc) from None


# --- finance: invoices, usage, exports -------------------------------------------------------------------


def _summary(invoice: Invoice) -> InvoiceSummary:
    return InvoiceSummary(
        id=invoice.id, number=invoice.number, tenant_id=invoice.tenant_id, tenant=invoice.tenant.slug,
        period=str(Period.of_date(invoice.period_start)), subtotal=invoice.subtotal, vat=invoice.vat,
        total=invoice.total, computed_at=invoice.computed_at,
    )  # fmt: skip


@router.get("/invoices", response_model=InvoiceList, summary="Frozen invoices (filter by period, tenant)")
def list_invoices(
    actor: CurrentActor,
    session: SessionDep,
    period: PeriodQuery = None,
    tenant_id: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> InvoiceList:
    statement = select(Invoice).order_by(Invoice.period_start.desc(), Invoice.number)
    if not actor.sees_all_tenants():
        statement = statement.where(Invoice.tenant_id == actor.tenant_id)  # a municipality: its own only
    if period:
        statement = statement.where(Invoice.period_start == parse_period(period).first_day)
    if tenant_id is not None:
        statement = statement.where(Invoice.tenant_id == tenant_id)
    total = session.scalar(select(func.count()).select_from(statement.order_by(None).subquery())) or 0
    rows = session.scalars(statement.limit(limit).offset(offset)).unique()
    return InvoiceList(count=total, results=[_summary(i) for i in rows])


@router.get("/invoices/{invoice_id}", response_model=InvoiceOut, summary="A frozen invoice with its lines")
def get_invoice(invoice_id: uuid.UUID, actor: CurrentActor, session: SessionDep) -> InvoiceOut:
    invoice = session.get(Invoice, invoice_id)
    if invoice is None or not actor.may_see_tenant(invoice.tenant_id):
        raise Problem(404, "Factuur niet gevonden.", code="not_found")
    return service.invoice_out(invoice)


def _visible(session: SessionDep, actor: CurrentActor) -> list[Tenant]:
    return list(session.scalars(tenants.visible_tenants(actor)).unique())


@router.get("/usage", response_model=UsageOverview, summary="Per tenant: usage and amount of a period")
def usage_overview(actor: CurrentActor, cp: ControlPlaneDep, session: SessionDep, period: PeriodQuery = None
                   ) -> UsageOverview:  # fmt: skip
    chosen = _period(cp, period)
    rows = service.overview(cp, session, _visible(session, actor), chosen)
    return UsageOverview(
        period=str(chosen),
        count=len(rows),
        subtotal=sum((r.subtotal for r in rows), ZERO),
        total=sum((r.total for r in rows), ZERO),
        results=rows,
    )


@router.get("/usage.csv", summary="The usage overview of a period as CSV", response_class=StreamingResponse)
def usage_csv(actor: CurrentActor, cp: ControlPlaneDep, session: SessionDep, period: PeriodQuery = None
              ) -> StreamingResponse:  # fmt: skip
    chosen = _period(cp, period)
    rows = service.overview(cp, session, _visible(session, actor), chosen)
    return _csv_response(exports.usage_csv(str(chosen), rows), f"zgw-verbruik-{chosen}.csv")


@router.get("/invoice-lines.csv", summary="Every invoice line of a period (frozen, else preview) as CSV",
            response_class=StreamingResponse)  # fmt: skip
def invoice_lines_csv(actor: CurrentActor, cp: ControlPlaneDep, session: SessionDep, period: PeriodQuery = None
                      ) -> StreamingResponse:  # fmt: skip
    chosen = _period(cp, period)
    visible = [t for t in service.billable_tenants(session, chosen) if actor.may_see_tenant(t.id)]
    invoices = service.invoices_of_period(cp, session, visible, chosen)
    return _csv_response(exports.lines_csv(invoices), f"zgw-factuurregels-{chosen}.csv")


def _csv_response(lines: object, filename: str) -> StreamingResponse:
    return StreamingResponse(lines, media_type="text/csv; charset=utf-8",  # type: ignore[arg-type]
                             headers={"Content-Disposition": f'attachment; filename="{filename}"'})  # fmt: skip


# --- month-close, meter events, reconciliation ----------------------------------------------------------


@router.get("/periods", response_model=list[PeriodOut], summary="Billing periods and their close status")
def list_periods(_actor: FinanceActor, session: SessionDep) -> list[PeriodOut]:
    return [
        PeriodOut(period=str(Period.of_date(p.period_start)), status=p.status.value, invoices=p.invoices,
                  subtotal=p.subtotal, total=p.total, closed_at=p.closed_at,
                  close_seconds=float(p.close_seconds) if p.close_seconds is not None else None)
        for p in session.scalars(select(BillingPeriod).order_by(BillingPeriod.period_start.desc()))
    ]  # fmt: skip


@router.post("/periods/close", response_model=CloseOut,
             summary="Close a month: freeze every invoice and record the meter events (idempotent)")  # fmt: skip
def close_period(data: CloseIn, actor: OperatorActor, cp: ControlPlaneDep) -> CloseOut:
    report = closing.close_period(cp, Period.parse(data.period), actor=actor)
    if report.busy:
        raise Problem(409, f"Periode {data.period} wordt al afgesloten.", code="close-in-progress")
    if report.submissions_created:
        tasks.send_after_close()
    return CloseOut(period=report.period, invoices_created=report.invoices_created,
                    invoices_existing=report.invoices_existing, submissions_created=report.submissions_created,
                    seconds=report.seconds)  # fmt: skip


@router.get("/meter-events", response_model=SubmissionList, summary="Meter events recorded for the provider")
def list_submissions(
    _actor: FinanceActor,
    session: SessionDep,
    period: PeriodQuery = None,
    status: SubmissionStatus | None = None,
    tenant_id: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> SubmissionList:
    statement = select(MeterEventSubmission).order_by(MeterEventSubmission.identifier)
    if period:
        statement = statement.where(MeterEventSubmission.period_start == parse_period(period).first_day)
    if status is not None:
        statement = statement.where(MeterEventSubmission.status == status)
    if tenant_id is not None:
        statement = statement.where(MeterEventSubmission.tenant_id == tenant_id)
    total = session.scalar(select(func.count()).select_from(statement.order_by(None).subquery())) or 0
    return SubmissionList(count=total, results=[_submission(s) for s in session.scalars(statement.limit(limit))])


def _submission(row: MeterEventSubmission) -> SubmissionOut:
    return SubmissionOut(
        id=row.id, identifier=row.identifier, tenant_id=row.tenant_id, period=str(Period.of_date(row.period_start)),
        component=row.component, event_name=row.event_name, value=row.value, status=row.status.value,
        attempts=row.attempts, last_error=row.last_error, sent_at=row.sent_at,
    )  # fmt: skip


@router.post("/meter-events/{submission_id}/retry", response_model=SubmissionOut,
             summary="Queue a failed or reviewed meter event again (same identifier)")  # fmt: skip
def retry_submission(
    submission_id: uuid.UUID, _actor: OperatorActor, cp: ControlPlaneDep, session: SessionDep
) -> SubmissionOut:
    row = session.get(MeterEventSubmission, submission_id)
    if row is None:
        raise Problem(404, "Meter event niet gevonden.", code="not_found")
    if row.status not in (SubmissionStatus.FAILED, SubmissionStatus.REVIEW):
        raise Problem(409, f"Alleen een mislukt of te beoordelen event kan opnieuw (status {row.status.value}).",
                      code="invalid-state")  # fmt: skip
    sync.retry_submission(row, cp.clock.now())
    session.commit()
    return _submission(row)


def _run_out(session: SessionDep, run: ReconciliationRun) -> ReconciliationOut:
    slugs = {row.id: row.slug for row in session.execute(select(Tenant.id, Tenant.slug))}
    return ReconciliationOut(
        id=run.id, period=str(Period.of_date(run.period_start)), provider=run.provider, status=run.status.value,
        checked=run.checked, drifting=run.drifting, started_at=run.started_at, finished_at=run.finished_at,
        items=[ReconciliationItemOut(tenant_id=i.tenant_id, tenant=slugs.get(i.tenant_id, ""), component=i.component,
                                     ledger_cents=i.ledger_cents, invoiced_cents=i.invoiced_cents,
                                     sent_cents=i.sent_cents, provider_cents=i.provider_cents,
                                     status=i.status.value, detail=i.detail) for i in run.items],
    )  # fmt: skip


@router.get("/reconciliation", response_model=ReconciliationOut, summary="The latest reconciliation of a period")
def latest_reconciliation(_actor: FinanceActor, cp: ControlPlaneDep, session: SessionDep,
                          period: PeriodQuery = None) -> ReconciliationOut:  # fmt: skip
    run = service.latest_reconciliation(session, _period(cp, period))
    if run is None:
        raise Problem(404, "Voor deze periode is nog niet afgestemd.", code="not_found")
    return _run_out(session, run)


@router.post("/reconciliation", response_model=ReconciliationOut, status_code=201,
             summary="Reconcile a closed period now")  # fmt: skip
def run_reconciliation(data: ReconcileIn, _actor: OperatorActor, cp: ControlPlaneDep, session: SessionDep
                       ) -> ReconciliationOut:  # fmt: skip
    run = reconcile.reconcile_period(cp, parse_period(data.period))
    stored = session.get(ReconciliationRun, run.id)
    assert stored is not None
    return _run_out(session, stored)


# --- the provider's webhook ---------------------------------------------------------------------------------


@router.post("/stripe/webhook", response_model=WebhookOut, summary="Stripe webhook endpoint (signed; no token)",
             openapi_extra={"security": []})  # fmt: skip
async def stripe_webhook(
    request: Request, cp: ControlPlaneDep, stripe_signature: Annotated[str, Header(alias="Stripe-Signature")] = ""
) -> WebhookOut:
    payload = await request.body()
    try:
        result = await run_in_threadpool(webhooks.handle, cp, payload, stripe_signature)
    except WebhookRejected as exc:
        raise Problem(400, f"Webhook geweigerd: {exc}", code="invalid-signature") from None
    return WebhookOut(received=True, replayed=result.replayed, outcome=result.outcome)
