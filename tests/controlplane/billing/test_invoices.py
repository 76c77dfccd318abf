"""Invoices from the ledger: the preview of a period with every line's computation, plan changes and new prices
inside a period (prorated), month-close (frozen, idempotent, resumable after a crash), and a past invoice that
never changes afterwards."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from controlplane.billing import closing, reconcile, service
from controlplane.billing.models import (
    BillingPeriod,
    Invoice,
    InvoiceIsFrozen,
    MeterEventSubmission,
    PeriodStatus,
    TenantPlanChange,
)
from controlplane.billing.pricing import Period
from controlplane.tenants.models import Tenant, TenantState
from tests.controlplane.billing.conftest import FEBRUARY, BillingWorld, hour

D = Decimal


def _february_usage(billing: BillingWorld) -> None:
    billing.ledger.month(billing.tenant_a, FEBRUARY, calls_per_hour=2000, stored_bytes=3 * 10**9,
                         clients=("zaaksysteem", "dms"), zaken=1200)  # fmt: skip


def test_preview_shows_each_line_computed_from_the_ledger(billing: BillingWorld) -> None:
    _february_usage(billing)
    response = billing.world.client.get(f"/api/v1/billing/tenants/{billing.tenant_a.id}/invoice-preview",
                                        params={"period": "2026-02"}, headers=billing.headers("finance"))  # fmt: skip
    assert response.status_code == 200, response.text
    invoice = response.json()
    assert invoice["status"] == "preview" and invoice["period"] == "2026-02"
    lines = {line["component"]: line for line in invoice["lines"]}
    assert {c: D(line["amount"]) for c, line in lines.items()} == {
        "flat_fee": D("250.00"),
        "inhabitants": D("41.67"),  # 10.000 × 0,05 / 12 = 41,666…
        "active_clients": D("20.00"),
        "api_calls": D("446.00"),  # 1.344.000 − 100.000 = 900.000 × 0,40 + 344.000 × 0,25 per 1.000
        "storage": D("0.50"),  # 3 GB all month − 1 GB included
    }
    assert (D(invoice["subtotal"]), D(invoice["vat"]), D(invoice["total"])) == (D("758.17"), D("159.22"), D("917.39"))
    assert lines["api_calls"]["computation"] == (
        "1.344.000 aanroepen (zaken read 1.344.000) − bundel 100.000 = 1.244.000 boven de bundel: "
        "900.000 × € 0,40/1.000 + 344.000 × € 0,25/1.000 = € 446,00"
    )
    assert lines["inhabitants"]["computation"] == (
        "10.000 inwoners × € 0,05 per jaar ÷ 12 × hele maand (28 dagen) ≈ € 41,666667 → € 41,67"
    )
    assert "2.016,000 GB-uur over 672 uur ÷ 672 uur = 3,0000 GB-maand − 1,0000 inbegrepen" in lines["storage"][
        "computation"]  # fmt: skip
    assert lines["active_clients"]["details"]["active_clients"] == ["dms", "zaaksysteem"]
    usage = invoice["usage"]
    assert usage["api_calls"] == {"zaken:read": 1_344_000} and usage["zaken"] == 1200
    assert usage["sampled_hours"] == 672 and D(usage["storage_gb_months"]) == D("3.0000")
    drill = billing.world.client.get(invoice["ledger"]["api_calls"], headers=billing.headers("finance"))
    assert drill.status_code == 200 and drill.json()["count"] == 672  # the ledger rows behind the line


def test_plan_change_in_the_period_is_prorated(billing: BillingWorld) -> None:
    client, op = billing.world.client, billing.headers("operator")
    march = Period(2026, 3)
    billing.ledger.add(billing.tenant_a, hour(2, month=3), "api_calls", 70_000, component="zaken", operation="read")
    billing.ledger.add(billing.tenant_a, hour(20, month=3), "api_calls", 900_000, component="zaken", operation="write")
    change = client.post(f"/api/v1/billing/tenants/{billing.tenant_a.id}/plan-changes",
                         json={"plan": "plus", "effective_from": "2026-03-16T12:00:00Z"}, headers=op)  # fmt: skip
    assert change.status_code == 201, change.text
    invoice = client.get(f"/api/v1/billing/tenants/{billing.tenant_a.id}/invoice-preview",
                         params={"period": str(march)}, headers=op).json()  # fmt: skip
    by_plan = [(line["plan"], line["component"], D(line["amount"])) for line in invoice["lines"]]
    share = D(15 * 24 + 12) / D(744)  # 1 March 00:00 – 16 March 12:00 of 31 days
    assert by_plan == [
        ("basis", "flat_fee", (D(250) * share).quantize(D("0.01"))),  # 125,00 × 372/744
        ("basis", "inhabitants", D("20.83")),
        ("basis", "active_clients", D("0.00")),
        ("basis", "api_calls", D("8.00")),  # 70.000 − 50.000 bundle (half a month) = 20.000 × 0,40 / 1.000
        ("basis", "storage", D("0.00")),
        ("plus", "flat_fee", D("250.00")),
        ("plus", "api_calls", D("80.00")),  # 900.000 − 500.000 = 400.000 × 0,20 / 1.000
    ]
    assert "15,5 van 31 dagen" in invoice["lines"][0]["computation"]
    history = client.get(f"/api/v1/billing/tenants/{billing.tenant_a.id}/plan-history", headers=op).json()
    assert [h["plan"] for h in history] == ["basis", "plus"]
    # The tenant stays on basis until the moment comes; a tick then applies it.
    with billing.cp.sessions() as session:
        assert session.get(Tenant, billing.tenant_a.id).plan.code == "basis"  # type: ignore[union-attr]
        billing.clock.moment = datetime(2026, 3, 17, tzinfo=UTC)
        assert service.apply_due_plan_changes(billing.cp, session) == 1
        session.commit()
        assert session.get(Tenant, billing.tenant_a.id).plan.code == "plus"  # type: ignore[union-attr]
        changes = session.scalar(select(func.count()).where(TenantPlanChange.tenant_id == billing.tenant_a.id))
        assert changes == 2  # applying it recorded no second change


def test_new_prices_mid_period_split_the_month(billing: BillingWorld) -> None:
    client, op = billing.world.client, billing.headers("operator")
    body = {"effective_from": "2026-03-21T00:00:00Z", "monthly_fee": "310", "price_per_inhabitant_year": "0.05"}
    created = client.post("/api/v1/billing/plans/basis/versions", json=body, headers=op)
    assert created.status_code == 201, created.text
    assert created.json()["version"] == 2
    invoice = client.get(f"/api/v1/billing/tenants/{billing.tenant_a.id}/invoice-preview",
                         params={"period": "2026-03"}, headers=op).json()  # fmt: skip
    fees = [(line["plan_version"], D(line["amount"])) for line in invoice["lines"] if line["component"] == "flat_fee"]
    assert fees == [(1, D("161.29")), (2, D("110.00"))]  # 250 × 20/31 and 310 × 11/31
    plans = client.get("/api/v1/billing/plans", headers=billing.headers("finance")).json()
    basis = next(p for p in plans if p["code"] == "basis")
    assert [v["version"] for v in basis["versions"]] == [1, 2]


def test_month_close_freezes_idempotently_and_the_past_never_changes(billing: BillingWorld) -> None:
    _february_usage(billing)
    report = closing.close_period(billing.cp, FEBRUARY)
    assert (report.invoices_created, report.invoices_existing, report.submissions_created) == (2, 0, 0)
    again = closing.close_period(billing.cp, FEBRUARY)
    assert (again.invoices_created, again.invoices_existing) == (0, 2)
    with billing.cp.sessions() as session:
        invoices = {i.tenant.slug: i for i in session.scalars(select(Invoice)).unique()}
        period = session.get(BillingPeriod, FEBRUARY.first_day)
        assert period is not None and period.status is PeriodStatus.CLOSED and period.invoices == 2
    assert invoices["alphen"].total == D("917.39") and invoices["alphen"].number == "ZGW-202602-0484"
    assert invoices["bodegraven"].total == D("605.00")  # plus: € 500 + 21% VAT, no usage
    assert session.scalar(select(func.count()).select_from(MeterEventSubmission)) == 0  # Stripe disabled

    client, op = billing.world.client, billing.headers("operator")
    # Nothing may change inside the closed period any more ...
    late = client.post("/api/v1/billing/plans/basis/versions", headers=op,
                       json={"effective_from": "2026-02-20T00:00:00Z", "monthly_fee": "999"})  # fmt: skip
    assert late.status_code == 400
    assert late.json()["invalidParams"][0] == {"name": "effective_from", "code": "effective-in-closed-period",
                                               "reason": late.json()["invalidParams"][0]["reason"]}  # fmt: skip
    moved = client.post(f"/api/v1/billing/tenants/{billing.tenant_a.id}/plan-changes", headers=op,
                        json={"plan": "plus", "effective_from": "2026-02-27T00:00:00Z"})  # fmt: skip
    assert moved.status_code == 400 and moved.json()["invalidParams"][0]["code"] == "effective-in-closed-period"
    # ... new prices from March on leave February's invoice as it was ...
    assert (
        client.post(
            "/api/v1/billing/plans/basis/versions",
            headers=op,
            json={"effective_from": "2026-03-01T00:00:00Z", "monthly_fee": "999"},
        ).status_code
        == 201
    )
    frozen = client.get(f"/api/v1/billing/invoices/{invoices['alphen'].id}", headers=billing.headers("finance")).json()
    assert frozen["status"] == "final" and D(frozen["total"]) == D("917.39")
    # ... and a late ledger correction shows as drift in reconciliation, not as a changed invoice.
    billing.ledger.add(billing.tenant_a, hour(27, 10), "api_calls", 40_000, component="zaken", operation="write")
    run = reconcile.reconcile_period(billing.cp, FEBRUARY)
    drift = [(i.component, i.ledger_cents, i.invoiced_cents) for i in run.items if i.status.value == "drift"]
    assert drift == [("api_calls", 44_600 + 1_000, 44_600)]  # 40.000 more calls in tier 2: € 10,00
    assert run.status.value == "drift" and run.drifting == 1
    assert {i.status.value for i in run.items if i.component != "api_calls"} == {"not_sent"}
    again_frozen = client.get(f"/api/v1/billing/invoices/{invoices['alphen'].id}", headers=op).json()
    assert again_frozen == frozen
    # Neither the ORM nor plain SQL can change a frozen invoice.
    with billing.cp.sessions() as session:
        row = session.get(Invoice, invoices["alphen"].id)
        assert row is not None
        row.total = D("1.00")
        with pytest.raises(InvoiceIsFrozen):
            session.flush()
    with billing.cp.engine.connect() as connection, pytest.raises(DBAPIError, match="frozen"):
        connection.execute(text("UPDATE invoice_lines SET amount = 0"))
    with billing.cp.engine.connect() as connection, pytest.raises(DBAPIError, match="frozen"):
        connection.execute(text("DELETE FROM invoices"))


def test_month_close_resumes_after_a_crash(billing: BillingWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker that dies halfway (here: pricing raises for the second tenant) leaves the first batch's invoices;
    the next run adds only the rest."""
    original = service.PricingContext.price
    crashed = []

    def price_or_crash(self, session, tenant):  # type: ignore[no-untyped-def]
        if tenant.slug == "bodegraven" and not crashed:
            crashed.append(tenant.slug)
            raise RuntimeError("worker lost")
        return original(self, session, tenant)

    monkeypatch.setattr(service.PricingContext, "price", price_or_crash)
    with pytest.raises(RuntimeError, match="worker lost"):
        closing.close_period(billing.cp, FEBRUARY, batch_size=1)
    with billing.cp.sessions() as session:
        assert [i.tenant.slug for i in session.scalars(select(Invoice)).unique()] == ["alphen"]
        assert session.get(BillingPeriod, FEBRUARY.first_day).status is PeriodStatus.OPEN  # type: ignore[union-attr]
    report = closing.close_period(billing.cp, FEBRUARY, batch_size=1)
    assert (report.invoices_created, report.invoices_existing) == (1, 1)
    with billing.cp.sessions() as session:
        assert session.get(BillingPeriod, FEBRUARY.first_day).status is PeriodStatus.CLOSED  # type: ignore[union-attr]


def test_only_ended_periods_close_and_the_due_one_is_found(billing: BillingWorld) -> None:
    with pytest.raises(Exception, match="nog niet voorbij"):
        closing.close_period(billing.cp, Period(2026, 3))
    with billing.cp.sessions() as session:
        assert closing.due_period(billing.cp, session) == FEBRUARY  # 10 March: February ended long enough ago
        billing.clock.moment = datetime(2026, 3, 1, 1, tzinfo=UTC)
        assert closing.due_period(billing.cp, session) is None  # within ZGW_BILLING_CLOSE_DELAY_HOURS (2)
    billing.clock.moment = datetime(2026, 3, 10, tzinfo=UTC)
    closing.close_period(billing.cp, FEBRUARY)
    with billing.cp.sessions() as session:
        assert closing.due_period(billing.cp, session) is None


def test_plan_history_follows_changes_made_elsewhere(billing: BillingWorld) -> None:
    """A plan change through PATCH /tenants and deprovisioning are recorded in the plan history too."""
    client, op = billing.world.client, billing.headers("operator")
    assert client.patch(f"/api/v1/tenants/{billing.tenant_b.id}", json={"plan": "basis"}, headers=op).status_code == 200
    with billing.cp.sessions() as session:
        tenant = session.get(Tenant, billing.tenant_b.id)
        assert tenant is not None
        tenant.state = TenantState.DEPROVISIONING
        session.commit()
    history = client.get(f"/api/v1/billing/tenants/{billing.tenant_b.id}/plan-history", headers=op).json()
    assert [(h["plan"], h["reason"]) for h in history] == [
        ("plus", "test"), ("basis", "plan_change"), (None, "stopped")]  # fmt: skip
    change = client.post(f"/api/v1/billing/tenants/{billing.tenant_b.id}/plan-changes", json={"plan": "plus"},
                         headers=op)  # fmt: skip
    assert change.status_code == 409 and change.json()["code"] == "tenant-gone"
