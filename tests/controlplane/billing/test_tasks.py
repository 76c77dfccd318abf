"""The billing Celery tasks, run in-process on the test world: the beat's tick closes the month that is due,
gives tenants their Stripe customer and sends the meter events; the sender task asks Celery to retry at the
earliest next attempt while Stripe fails; production refuses Stripe without its secrets."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from controlplane.billing import tasks
from controlplane.billing.stripe_provider import StripeProvider
from controlplane.config import Settings
from tests.conftest import TEST_ENCRYPTION_KEY
from tests.controlplane.billing.conftest import FEBRUARY, BillingWorld
from tests.controlplane.billing.fake_stripe import FakeStripe


@pytest.fixture
def worker(billing: BillingWorld, monkeypatch: pytest.MonkeyPatch) -> BillingWorld:
    monkeypatch.setattr(tasks, "worker_controlplane", lambda: billing.cp)
    return billing


def test_tick_closes_the_due_month_and_sends_it(worker: BillingWorld, use_stripe: Callable[..., StripeProvider],
                                                stripe_fake: FakeStripe) -> None:  # fmt: skip
    use_stripe()
    worker.ledger.month(worker.tenant_a, FEBRUARY, calls_per_hour=2000)
    result = tasks.tick.apply().get()
    assert result["closed"]["period"] == "2026-02" and result["closed"]["invoices_created"] == 2
    assert result["customers"] == 2  # both tenants got their Stripe customer and subscription
    assert result["sent"] == 4 and len(stripe_fake.meter_events) == 4
    again = tasks.tick.apply().get()
    assert again["closed"] is None and again["sent"] == 0  # nothing due any more


def test_sender_task_retries_while_stripe_fails(
    worker: BillingWorld,
    use_stripe: Callable[..., StripeProvider],
    stripe_fake: FakeStripe,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    use_stripe()
    worker.ledger.month(worker.tenant_a, FEBRUARY, calls_per_hour=2000)
    assert tasks.close_period.apply(args=["2026-02"]).get()["submissions_created"] == 4
    stripe_fake.fail(r"/v1/.*", "500", times=1_000)
    asked: list[float] = []

    def retry(**options: Any) -> Exception:
        asked.append(options["countdown"])
        return RuntimeError("retry requested")

    monkeypatch.setattr(tasks.send_meter_events, "retry", retry)
    outcome = tasks.send_meter_events.apply()
    assert outcome.failed() and "retry requested" in str(outcome.result)
    assert asked and 30 <= asked[0] <= 60  # the first back-off, from the earliest next attempt
    stripe_fake.faults.clear()
    worker.clock.advance(timedelta(minutes=2))
    done = tasks.send_meter_events.apply().get()
    assert done["sent"] == 4 and len(stripe_fake.meter_events) == 4


def test_production_refuses_stripe_without_its_secrets() -> None:
    production = {"environment": "production", "secret_key": "s" * 40, "encryption_key": TEST_ENCRYPTION_KEY,
                  "backup_platform_key": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="}  # fmt: skip
    Settings(**production)  # Stripe disabled: nothing more needed
    with pytest.raises(ValidationError, match="ZGW_STRIPE_API_KEY and ZGW_STRIPE_WEBHOOK_SECRET must be set"):
        Settings(**production, stripe_enabled=True)
    with pytest.raises(ValidationError, match="ZGW_STRIPE_WEBHOOK_SECRET must be set"):
        Settings(**production, stripe_enabled=True, stripe_api_key="sk_live_x")
    Settings(**production, stripe_enabled=True, stripe_api_key="sk_live_x", stripe_webhook_secret="whsec_x")
