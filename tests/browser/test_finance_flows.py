"""The finance view and the municipality's usage page in a real browser, against the control plane served over
HTTP on PostgreSQL with a month of usage in the ledger and Stripe on a recording server: finance reads
amounts, trends and the computation behind an invoice line down to the ledger and exports CSV; the operator
closes the month and reconciles with Stripe; the municipality sees its own usage and invoices and opens the
Stripe customer portal."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from controlplane.billing import sync
from controlplane.billing.providers import DisabledProvider
from controlplane.billing.stripe_provider import StripeProvider
from controlplane.main import create_app
from tests.controlplane.billing.conftest import FEBRUARY, BillingWorld, _build, stripe_settings
from tests.controlplane.billing.fake_stripe import FakeStripe, fake_stripe
from tests.controlplane.conftest import PASSWORD, build_world, make_settings
from tests.fixtures.services import PostgresServer
from tests.tenant_runtime.live import serve

pytestmark = pytest.mark.browser


@pytest.fixture
def finance_site(tmp_path: Path, postgres_server: PostgresServer) -> Iterator[tuple[BillingWorld, FakeStripe, str]]:
    with fake_stripe() as stripe:
        stripe.seed_catalog()
        for world in build_world(make_settings(tmp_path, postgres_server)):
            billing = _build(world)
            settings = stripe_settings(billing.cp, stripe.url)
            billing.cp.settings = settings  # type: ignore[assignment]
            billing.cp.payments = StripeProvider(settings)  # type: ignore[arg-type]
            billing.ledger.month(billing.tenant_a, FEBRUARY, calls_per_hour=2000, stored_bytes=3 * 10**9,
                                 clients=("zaaksysteem", "dms"), zaken=1200)  # fmt: skip
            billing.ledger.month(billing.tenant_a, FEBRUARY.previous(), calls_per_hour=1200, stored_bytes=2 * 10**9,
                                 clients=("zaaksysteem",))  # fmt: skip
            billing.ledger.month(billing.tenant_b, FEBRUARY, calls_per_hour=900)
            with serve(create_app(billing.cp.settings, controlplane=billing.cp)) as url:
                yield billing, stripe, url
            billing.cp.payments = DisabledProvider()


def _login(page: Any, url: str, email: str) -> None:
    page.goto(f"{url}/login")
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_load_state()


def _logout(page: Any) -> None:
    page.get_by_role("button", name="Uitloggen").click()
    page.wait_for_url("**/login")


def test_finance_operator_and_municipality(finance_site: tuple[BillingWorld, FakeStripe, str], page: Any,
                                           screenshot: Callable[[str], Path]) -> None:  # fmt: skip
    billing, stripe, url = finance_site

    # Finance: the overview of February, the invoice behind a tenant's amount, the ledger behind a line.
    _login(page, url, "finance@example.nl")
    page.get_by_role("link", name="Financiën").click()
    page.get_by_label("Periode", exact=True).select_option("2026-02")
    page.get_by_role("button", name="Tonen").click()
    page.wait_for_url("**/finance?period=2026-02")
    row = page.locator("#finance-overview tr[data-tenant=alphen]")
    assert "€ 917,39" in row.inner_text() and "voorlopig" in row.inner_text()
    assert page.locator("#fleet-trend").is_visible()
    assert page.get_by_role("button", name="Maand afsluiten").count() == 0  # finance is read-only
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV per gemeente").click()
    assert "2026-02,alphen,Gemeente Alphen,basis,preview,1344000" in Path(download.value.path()).read_text()
    screenshot("finance-overview")
    row.get_by_role("link", name="Gemeente Alphen").click()
    lines = page.locator("#invoice-lines")
    assert "900.000 × € 0,40/1.000 + 344.000 × € 0,25/1.000 = € 446,00" in lines.inner_text()
    assert page.locator("#invoice-total").inner_text() == "€ 917,39"
    assert page.locator("#calls-trend rect.bar").count() == 12  # a bar per month of the last year
    screenshot("finance-invoice")
    page.locator("#usage-summary").get_by_role("link", name="ledger").first.click()
    assert "672 boekingen" in page.locator("#ledger-count").inner_text()
    assert page.locator("#ledger-entries tbody tr").count() == 200  # first page
    screenshot("finance-ledger")
    _logout(page)

    # The operator closes February; the worker sends the meter events; reconciliation agrees with Stripe.
    _login(page, url, "operator@example.nl")
    page.goto(f"{url}/finance?period=2026-02")
    page.get_by_role("button", name="Maand afsluiten").click()
    assert "2 facturen aangemaakt" in page.get_by_role("status").inner_text()
    assert "definitief" in page.locator("#finance-overview tr[data-tenant=alphen]").inner_text()
    report = sync.send_due(billing.cp)  # what the billing.send_meter_events task does
    assert report.sent == 6 and len(stripe.meter_events) == 6
    page.get_by_role("link", name="Afstemming met stripe").click()
    page.get_by_role("button", name="Nu afstemmen").click()
    assert page.locator("#run-status").inner_text() == "ok"
    screenshot("reconciliation")
    _logout(page)

    # The municipality: its own usage and invoices, and the way to Stripe's customer portal.
    page.route("https://billing.stripe.test/**", lambda route: route.fulfill(
        status=200, content_type="text/html", body="<h1>Stripe klantportaal</h1>"))  # fmt: skip
    _login(page, url, "admin_a@example.nl")
    page.get_by_role("link", name="Verbruik en facturen").click()
    page.get_by_label("Periode", exact=True).select_option("2026-02")
    page.get_by_role("button", name="Tonen").click()
    assert page.locator("#invoice-total").inner_text() == "€ 917,39"
    assert "ZGW-202602-0484" in page.locator("#own-invoices").inner_text()
    assert "Bodegraven" not in page.content()
    screenshot("municipality-usage")
    page.get_by_role("button", name="Betalen en factuurgegevens (klantportaal)").click()
    page.wait_for_url("https://billing.stripe.test/**")
    assert page.locator("h1").inner_text() == "Stripe klantportaal"
    sessions = stripe.calls("POST", "/v1/billing_portal/sessions")
    assert len(sessions) == 1 and sessions[0].params["return_url"].endswith(f"/portal/{billing.tenant_a.id}/usage")
    page.goto(f"{url}/portal/{billing.tenant_b.id}/usage")
    assert "Bodegraven" not in page.content()
