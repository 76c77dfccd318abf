"""``zgwcloud billing``: the Stripe catalogue set-up (idempotent) and month-close, send and reconcile from the
command line, with the settings from the environment like in production."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from controlplane.billing.models import Invoice, MeterEventSubmission, SubmissionStatus
from controlplane.billing.pricing import Component
from controlplane.cli import main
from tests.controlplane.billing.conftest import FEBRUARY, BillingWorld
from tests.controlplane.billing.fake_stripe import fake_stripe


def test_stripe_setup_creates_the_catalogue_once(monkeypatch, capsys) -> None:
    with fake_stripe() as stripe:
        monkeypatch.setenv("ZGW_STRIPE_ENABLED", "true")
        monkeypatch.setenv("ZGW_STRIPE_API_KEY", "sk_test_cli")
        monkeypatch.setenv("ZGW_STRIPE_API_BASE", stripe.url)
        assert main(["billing", "stripe-setup"]) == 0
        assert {m["event_name"] for m in stripe.meters.values()} == {f"zgw_{c}" for c in Component}
        meters = {m["id"]: m for m in stripe.meters.values()}
        for price in stripe.prices.values():
            assert price["unit_amount"] == "1" and price["currency"] == "eur"
            assert price["recurring"] == {"interval": "month", "usage_type": "metered", "meter": price["recurring"][
                "meter"]} and meters[price["recurring"]["meter"]]["event_name"] == price["lookup_key"]  # fmt: skip
        assert main(["billing", "stripe-setup"]) == 0  # again: finds everything, creates nothing
        assert (len(stripe.meters), len(stripe.prices)) == (5, 5)
        assert "api_calls" in capsys.readouterr().out
    monkeypatch.delenv("ZGW_STRIPE_ENABLED")
    assert main(["billing", "stripe-setup"]) == 1


def test_close_send_and_reconcile_from_the_command_line(billing: BillingWorld, monkeypatch, capsys) -> None:
    billing.ledger.month(billing.tenant_a, FEBRUARY, calls_per_hour=500)
    for name, value in billing.cp.settings.model_dump(mode="json").items():
        if value not in (None, "") and not isinstance(value, (dict, list)):
            monkeypatch.setenv(f"ZGW_{name.upper()}", str(value))
    with fake_stripe() as stripe:
        stripe.seed_catalog()
        monkeypatch.setenv("ZGW_STRIPE_ENABLED", "true")
        monkeypatch.setenv("ZGW_STRIPE_API_KEY", "sk_test_cli")
        monkeypatch.setenv("ZGW_STRIPE_API_BASE", stripe.url)
        with pytest.raises(SystemExit, match="--period"):
            main(["billing", "close", "--period", "2026-13"])
        assert main(["billing", "close", "--period", "2026-02"]) == 0
        assert "2 invoices created" in capsys.readouterr().out
        assert main(["billing", "close", "--period", "2026-02"]) == 0
        assert "0 invoices created, 2 existed" in capsys.readouterr().out
        assert main(["billing", "send"]) == 0
        assert "sent 4" in capsys.readouterr().out  # alphen: flat fee, inhabitants, API calls; bodegraven: flat fee
        assert main(["billing", "reconcile", "--period", "2026-02"]) == 0
        assert "2026-02: ok, 2 invoices, 0 tenants with drift" in capsys.readouterr().out
    with billing.cp.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Invoice)) == 2
        statuses = set(session.scalars(select(MeterEventSubmission.status)))
        assert statuses == {SubmissionStatus.SENT}
