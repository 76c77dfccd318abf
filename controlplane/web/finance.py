"""Finance view (finance role and operators): per-tenant usage and amounts of the current and past periods,
trends as server-rendered SVG, an invoice with every line's computation, drill-down to the ledger entries,
CSV exports, month-close and reconciliation status. And the municipality's own usage page in its portal:
usage, invoices, trends and the link to the payment provider's customer portal."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from controlplane.accounts.actors import Actor
from controlplane.billing import closing, reconcile, service, sync, tasks
from controlplane.billing.charts import bar_chart, sparkline
from controlplane.billing.models import BillingCustomer, BillingPeriod, Invoice
from controlplane.billing.pricing import COMPONENT_LABELS, Component, Period, fmt_eur, fmt_number, fmt_price
from controlplane.billing.routes import portal_url
from controlplane.billing.schemas import InvoiceOut
from controlplane.container import ControlPlane
from controlplane.deps import ControlPlaneDep, SessionDep
from controlplane.tenants import service as tenants
from controlplane.tenants.models import Tenant
from controlplane.usage import service as usage
from controlplane.web.forms import CsrfChecked, WebActor
from controlplane.web.templating import templates
from tenant_runtime.core.problems import Problem
from tenant_runtime.metering.events import Meter

router = APIRouter(tags=["web"], include_in_schema=False)
TREND_MONTHS = 12
LEDGER_PAGE = 200

templates.env.filters.setdefault("eur", lambda v: fmt_eur(Decimal(v)))
templates.env.filters.setdefault("num", lambda v, places=0: fmt_number(Decimal(v), places))
templates.env.filters.setdefault("price", lambda v: fmt_price(Decimal(v)))


def _require_finance(actor: Actor) -> None:
    if not actor.sees_all_tenants():
        raise Problem(403, "Deze pagina is voor financiën en beheerders van het platform.", code="permission_denied")


def _period(cp: ControlPlane, value: str) -> Period:
    if not value:
        return Period.containing(cp.clock.now())
    try:
        return Period.parse(value)
    except ValueError as exc:
        raise Problem(400, str(exc), code="invalid") from None


def _choices(cp: ControlPlane) -> list[Period]:
    return list(reversed(Period.containing(cp.clock.now()).back(TREND_MONTHS + 1)))


def _eur_short(value: int | Decimal) -> str:
    return fmt_eur(Decimal(value)).replace(",00", "")


def _calls_short(value: int | Decimal) -> str:
    return fmt_number(Decimal(value))


# --- finance ------------------------------------------------------------------------------------------------


@router.get("/finance", response_class=HTMLResponse)
def overview(request: Request, actor: WebActor, cp: ControlPlaneDep, session: SessionDep, period: str = "") -> Response:
    _require_finance(actor)
    chosen = _period(cp, period)
    visible = list(session.scalars(tenants.visible_tenants(actor)).unique())
    rows = service.overview(cp, session, visible, chosen)
    history = service.fleet_trend(session, chosen.back(TREND_MONTHS))
    state = session.get(BillingPeriod, chosen.first_day)
    run = service.latest_reconciliation(session, chosen)
    return templates.TemplateResponse(request, "finance.html", {
        "user": actor, "period": chosen, "choices": _choices(cp), "rows": rows, "state": state, "run": run,
        "subtotal": sum((r.subtotal for r in rows), Decimal("0.00")),
        "total": sum((r.total for r in rows), Decimal("0.00")),
        "ended": chosen.end <= cp.clock.now(), "provider": cp.payments,
        "chart": bar_chart([(p.period[2:], p.total) for p in history], title="Gefactureerd per maand (afgesloten "
                           "perioden, incl. btw)", fmt=_eur_short, chart_id="fleet-trend"),
        "message": request.query_params.get("message", ""),
    })  # fmt: skip


def _invoice_context(cp: ControlPlane, session: Session, tenant: Tenant, chosen: Period) -> dict[str, Any]:
    invoice: InvoiceOut = service.invoice_for(cp, session, tenant, chosen)
    points = service.trend(cp, session, tenant, chosen.back(TREND_MONTHS))
    return {
        "tenant": tenant, "period": chosen, "choices": _choices(cp), "invoice": invoice, "meters": list(Meter),
        "labels": {c.value: label for c, label in COMPONENT_LABELS.items()}, "components": list(Component),
        "trend": points,
        "amount_chart": bar_chart([(p.period[2:], p.total) for p in points], title=f"Bedrag per maand (incl. btw), "
                                  f"{tenant.name}", fmt=_eur_short, chart_id="amount-trend"),
        "calls_chart": bar_chart([(p.period[2:], p.api_calls_total) for p in points], title=f"API-aanroepen per "
                                 f"maand, {tenant.name}", fmt=_calls_short, chart_id="calls-trend"),
        "spark": sparkline([p.total for p in points], label="trend"),
    }  # fmt: skip


@router.get("/finance/tenants/{tenant_id}", response_class=HTMLResponse)
def tenant_page(tenant_id: uuid.UUID, request: Request, actor: WebActor, cp: ControlPlaneDep, session: SessionDep,
                period: str = "") -> Response:  # fmt: skip
    _require_finance(actor)
    tenant = tenants.get_visible(session, actor, tenant_id)
    context = _invoice_context(cp, session, tenant, _period(cp, period))
    context.update(user=actor, customer=session.get(BillingCustomer, tenant.id), provider=cp.payments,
                   provider_invoices=sync.provider_invoices(cp, session, tenant)[0])  # fmt: skip
    return templates.TemplateResponse(request, "finance_tenant.html", context)


@router.get("/finance/tenants/{tenant_id}/ledger", response_class=HTMLResponse)
def ledger(tenant_id: uuid.UUID, request: Request, actor: WebActor, cp: ControlPlaneDep, session: SessionDep,
           period: str = "", meter: str = "", page: int = 1) -> Response:  # fmt: skip
    tenant = tenants.get_visible(session, actor, tenant_id)  # a municipality admin: only its own ledger
    chosen = _period(cp, period)
    try:
        chosen_meter = Meter(meter) if meter else None
    except ValueError:
        raise Problem(400, f"Onbekende meter '{meter}'.", code="invalid") from None
    page = max(page, 1)
    total, entries = usage.period_entries(session, tenant.id, chosen.start, chosen.end, meter=chosen_meter,
                                          limit=LEDGER_PAGE, offset=(page - 1) * LEDGER_PAGE)  # fmt: skip
    return templates.TemplateResponse(request, "finance_ledger.html", {
        "user": actor, "tenant": tenant, "period": chosen, "meter": chosen_meter, "meters": list(Meter),
        "entries": entries, "total": total, "page": page, "pages": max(1, -(-total // LEDGER_PAGE)),
        "back": f"/finance/tenants/{tenant.id}?period={chosen}" if actor.sees_all_tenants()
        else f"/portal/{tenant.id}/usage?period={chosen}",
    })  # fmt: skip


@router.get("/finance/reconciliation", response_class=HTMLResponse)
def reconciliation(request: Request, actor: WebActor, cp: ControlPlaneDep, session: SessionDep,
                   period: str = "") -> Response:  # fmt: skip
    _require_finance(actor)
    chosen = _period(cp, period)
    run = service.latest_reconciliation(session, chosen)
    slugs = {t.id: t for t in session.scalars(select(Tenant)).unique()}
    return templates.TemplateResponse(request, "finance_reconciliation.html", {
        "user": actor, "period": chosen, "choices": _choices(cp), "run": run, "tenants": slugs,
        "closed": session.get(BillingPeriod, chosen.first_day), "provider": cp.payments,
        "labels": {c.value: label for c, label in COMPONENT_LABELS.items()},
        "message": request.query_params.get("message", ""),
    })  # fmt: skip


def _operator(actor: Actor) -> None:
    if not actor.is_operator:
        raise Problem(403, "Alleen beheerders van het platform sluiten perioden af.", code="permission_denied")


@router.post("/finance/close", dependencies=[CsrfChecked])
def close(actor: WebActor, cp: ControlPlaneDep, period: str = Form("")) -> Response:
    _operator(actor)
    chosen = _period(cp, period)
    try:
        report = closing.close_period(cp, chosen, actor=actor)
    except Problem as exc:
        return RedirectResponse(f"/finance?period={chosen}&message={quote(exc.detail)}", status_code=303)
    if report.submissions_created:
        tasks.send_after_close()
    message = f"Periode {chosen} afgesloten: {report.invoices_created} facturen aangemaakt."
    return RedirectResponse(f"/finance?period={chosen}&message={quote(message)}", status_code=303)


@router.post("/finance/reconcile", dependencies=[CsrfChecked])
def run_reconciliation(actor: WebActor, cp: ControlPlaneDep, period: str = Form("")) -> Response:
    _operator(actor)
    chosen = _period(cp, period)
    try:
        run = reconcile.reconcile_period(cp, chosen)
        message = f"Afgestemd: {run.status.value}, {run.drifting} gemeente(n) met verschil."
    except Problem as exc:
        message = exc.detail
    return RedirectResponse(f"/finance/reconciliation?period={chosen}&message={quote(message)}", status_code=303)


# --- the municipality's own usage ---------------------------------------------------------------------------


def _portal_tenant(session: Session, actor: Actor, tenant_id: uuid.UUID) -> Tenant:
    tenant = tenants.get_visible(session, actor, tenant_id)
    if not actor.may_manage_tenant(tenant.id):
        raise Problem(404, "Gemeente niet gevonden.", code="not_found")
    return tenant


@router.get("/portal/{tenant_id}/usage", response_class=HTMLResponse)
def portal_usage(tenant_id: uuid.UUID, request: Request, actor: WebActor, cp: ControlPlaneDep, session: SessionDep,
                 period: str = "") -> Response:  # fmt: skip
    tenant = _portal_tenant(session, actor, tenant_id)
    context = _invoice_context(cp, session, tenant, _period(cp, period))
    invoices = list(session.scalars(select(Invoice).where(Invoice.tenant_id == tenant.id)
                                    .order_by(Invoice.period_start.desc())).unique())  # fmt: skip
    context.update(user=actor, invoices=invoices, provider=cp.payments,
                   provider_invoices=sync.provider_invoices(cp, session, tenant)[0],
                   error=request.query_params.get("error", ""))  # fmt: skip
    return templates.TemplateResponse(request, "portal_usage.html", context)


@router.post("/portal/{tenant_id}/usage/payment-portal", dependencies=[CsrfChecked])
def payment_portal(tenant_id: uuid.UUID, actor: WebActor, cp: ControlPlaneDep, session: SessionDep) -> Response:
    tenant = _portal_tenant(session, actor, tenant_id)
    try:
        url = portal_url(cp, session, tenant)
    except Problem as exc:
        return RedirectResponse(f"/portal/{tenant.id}/usage?error={quote(exc.detail)}", status_code=303)
    return RedirectResponse(url, status_code=303)
