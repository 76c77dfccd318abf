"""The finance view and the municipality's usage page with real sessions: overview with amounts and a trend
chart, the invoice with computations, ledger drill-down, CSV links, month-close and reconciliation buttons
(operators only, CSRF), and a municipality that only ever sees its own numbers."""

from __future__ import annotations

import re

from sqlalchemy import select

from controlplane.billing.models import Invoice
from tests.controlplane.billing.conftest import FEBRUARY, BillingWorld
from tests.controlplane.test_web_pages import login


def _usage(billing: BillingWorld) -> None:
    billing.ledger.month(billing.tenant_a, FEBRUARY, calls_per_hour=2000, stored_bytes=3 * 10**9,
                         clients=("zaaksysteem", "dms"))  # fmt: skip


def test_finance_overview_invoice_and_ledger(billing: BillingWorld) -> None:
    _usage(billing)
    client = billing.world.client
    login(client, "finance@example.nl")
    page = client.get("/finance?period=2026-02")
    assert page.status_code == 200, page.text
    assert "Gemeente Alphen" in page.text and "€ 917,39" in page.text and "€ 605,00" in page.text
    assert 'id="fleet-trend"' in page.text and "<svg" in page.text
    assert "Maand afsluiten" not in page.text  # finance reads, never acts
    assert "/api/v1/billing/usage.csv?period=2026-02" in page.text
    detail = client.get(f"/finance/tenants/{billing.tenant_a.id}?period=2026-02")
    assert detail.status_code == 200
    assert "900.000 × € 0,40/1.000 + 344.000 × € 0,25/1.000 = € 446,00" in detail.text
    assert 'id="amount-trend"' in detail.text and 'id="calls-trend"' in detail.text
    ledger = client.get(f"/finance/tenants/{billing.tenant_a.id}/ledger?period=2026-02&meter=active_client")
    assert ledger.status_code == 200 and "1.344 boekingen" in ledger.text and "zaaksysteem" in ledger.text
    csv = client.get("/api/v1/billing/usage.csv?period=2026-02")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    rows = csv.text.strip().splitlines()
    assert rows[0].startswith("period,tenant,name,plan,status,api_calls_total")
    assert "2026-02,alphen,Gemeente Alphen,basis,preview,1344000,3.0000,2,758.17,917.39," in rows
    lines = client.get("/api/v1/billing/invoice-lines.csv?period=2026-02").text.splitlines()
    assert len(lines) == 1 + 5 + 2  # header, alphen's five lines, bodegraven's two
    assert client.post("/finance/close", data={"period": "2026-02", "csrf_token": "x"}).status_code == 403


def test_operator_closes_and_reconciles_from_the_ui(billing: BillingWorld) -> None:
    _usage(billing)
    client = billing.world.client
    csrf = login(client, "operator@example.nl")
    assert "Maand afsluiten" in client.get("/finance?period=2026-02").text
    assert client.post("/finance/close", data={"period": "2026-02"}).status_code == 403  # no CSRF token
    closed = client.post("/finance/close", data={"period": "2026-02", "csrf_token": csrf})
    assert closed.status_code == 200 and "2 facturen aangemaakt" in closed.text
    assert "afgesloten" in closed.text and "definitief" in closed.text
    with billing.cp.sessions() as session:
        assert len(list(session.scalars(select(Invoice)))) == 2
    done = client.post("/finance/reconcile", data={"period": "2026-02", "csrf_token": csrf})
    assert done.status_code == 200 and 'id="run-status"' in done.text and "not_sent" in done.text
    assert client.post("/finance/close", data={"period": "2026-03", "csrf_token": csrf}).status_code == 200


def test_municipality_sees_only_its_own_usage(billing: BillingWorld) -> None:
    _usage(billing)
    client = billing.world.client
    login(client, "admin_a@example.nl")
    own = client.get(f"/portal/{billing.tenant_a.id}/usage?period=2026-02")
    assert own.status_code == 200 and "€ 917,39" in own.text and "Bodegraven" not in own.text
    assert "klantportaal" not in own.text  # no payment provider configured
    assert client.get(f"/portal/{billing.tenant_b.id}/usage").status_code == 404
    assert client.get("/finance").status_code == 403
    assert client.get(f"/finance/tenants/{billing.tenant_a.id}").status_code == 403
    drill = client.get(f"/finance/tenants/{billing.tenant_a.id}/ledger?period=2026-02&meter=api_calls")
    assert drill.status_code == 200 and "672 boekingen" in drill.text
    assert client.get(f"/finance/tenants/{billing.tenant_b.id}/ledger").status_code == 404
    portal = client.get(f"/portal/{billing.tenant_a.id}")
    assert re.search(rf'href="/portal/{billing.tenant_a.id}/usage"', portal.text)
