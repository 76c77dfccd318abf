"""One conformance suite for every ``PaymentProvider``: Stripe (against the recording Stripe on loopback) and
the disabled provider. What every provider promises: idempotent customers, one meter event per identifier,
totals that count it once, verified webhooks, errors sorted into retryable and permanent — and, when
disabled, a clear refusal instead of a silent no-op wherever sending was asked for."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from controlplane.billing.interfaces import (
    CustomerSpec,
    MeterEvent,
    PaymentProvider,
    PaymentsDisabled,
    ProviderInvoiceInfo,
    TemporaryError,
    WebhookRejected,
)
from controlplane.billing.providers import DisabledProvider, build_payment_provider
from controlplane.config import Settings
from tests.conftest import TEST_ENCRYPTION_KEY
from tests.controlplane.billing.conftest import WEBHOOK_SECRET
from tests.controlplane.billing.fake_stripe import FakeStripe, fake_stripe
from tests.controlplane.billing.test_webhooks import signed

START, END = datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC)


@pytest.fixture(params=["stripe", "disabled"])
def provider(request: pytest.FixtureRequest) -> Iterator[tuple[PaymentProvider, FakeStripe | None]]:
    if request.param == "disabled":
        yield build_payment_provider(Settings(environment="test", encryption_key=TEST_ENCRYPTION_KEY)), None
        return
    with fake_stripe() as fake:
        fake.seed_catalog()
        settings = Settings(environment="test", encryption_key=TEST_ENCRYPTION_KEY, stripe_enabled=True,
                            stripe_api_key="sk_test_conformance", stripe_api_base=fake.url,
                            stripe_webhook_secret=WEBHOOK_SECRET, stripe_max_network_retries=0,
                            stripe_timeout_seconds=2.0)  # fmt: skip
        yield build_payment_provider(settings), fake


def _spec() -> CustomerSpec:
    return CustomerSpec(uuid.uuid4(), "leiden", "Gemeente Leiden", "0546", "", START, END)


def test_identity(provider: tuple[PaymentProvider, FakeStripe | None]) -> None:
    payments, fake = provider
    assert payments.name == ("stripe" if fake else "disabled")
    assert payments.enabled is (fake is not None)
    assert payments.event_name("api_calls") == "zgw_api_calls"


def test_customers_are_idempotent(provider: tuple[PaymentProvider, FakeStripe | None]) -> None:
    payments, fake = provider
    spec = _spec()
    if not payments.enabled:
        with pytest.raises(PaymentsDisabled):
            payments.ensure_customer(spec)
        return
    first = payments.ensure_customer(spec)
    assert first.customer_id and first.subscription_id
    assert payments.ensure_customer(spec) == first  # found again, not created twice
    assert payments.ensure_customer(spec, first) == first
    assert fake is not None and len(fake.customers) == 1 and len(fake.subscriptions) == 1


def test_one_meter_event_per_identifier(provider: tuple[PaymentProvider, FakeStripe | None]) -> None:
    payments, _ = provider
    event = MeterEvent("zgw:t:2026-02:api_calls", payments.event_name("api_calls"), "", 1234,
                       datetime(2026, 2, 28, 23, 59, 59, tzinfo=UTC))  # fmt: skip
    if not payments.enabled:
        for call in (lambda: payments.send_meter_event(event),
                     lambda: payments.meter_total("cus_x", "api_calls", START, END)):  # fmt: skip
            with pytest.raises(PaymentsDisabled):
                call()
        return
    customer = payments.ensure_customer(_spec()).customer_id
    event = MeterEvent(event.identifier, event.event_name, customer, event.value, event.timestamp)
    assert payments.send_meter_event(event) is True
    assert payments.send_meter_event(event) in (True, False)  # a repeat: accepted as a replay or as "had it"
    assert payments.meter_total(customer, "api_calls", START, END) == 1234
    assert payments.meter_total(customer, "storage", START, END) == 0
    assert payments.meter_total(customer, "api_calls", END, datetime(2026, 4, 1, tzinfo=UTC)) == 0


def test_invoices_and_portal(provider: tuple[PaymentProvider, FakeStripe | None]) -> None:
    payments, fake = provider
    if not payments.enabled:
        assert list(payments.list_invoices("cus_x")) == []
        with pytest.raises(PaymentsDisabled):
            payments.portal_url("cus_x", "https://zgw.example/portal")
        return
    customer = payments.ensure_customer(_spec()).customer_id
    assert fake is not None
    fake.invoices["in_1"] = {"id": "in_1", "object": "invoice", "customer": customer, "status": "open",
                             "amount_due": 100, "total": 100, "currency": "eur"}  # fmt: skip
    invoices = list(payments.list_invoices(customer))
    assert invoices == [ProviderInvoiceInfo("in_1", customer, "", "open", "eur", 100, 0, 100, None, None, "")]
    assert payments.portal_url(customer, "https://zgw.example/portal").startswith("https://")


def test_webhooks_are_verified(provider: tuple[PaymentProvider, FakeStripe | None]) -> None:
    payments, _ = provider
    body = json.dumps({"id": "evt_c", "object": "event", "type": "invoice.paid", "created": int(time.time()),
                       "data": {"object": {"id": "in_1", "status": "paid"}}}).encode()  # fmt: skip
    with pytest.raises(WebhookRejected):
        payments.parse_webhook(body, signed(body, secret="whsec_wrong")["Stripe-Signature"])
    if not payments.enabled:
        with pytest.raises(WebhookRejected):
            payments.parse_webhook(body, signed(body)["Stripe-Signature"])
        return
    parsed = payments.parse_webhook(body, signed(body)["Stripe-Signature"])
    assert (parsed.id, parsed.type, parsed.data) == ("evt_c", "invoice.paid", {"id": "in_1", "status": "paid"})


def test_failures_are_sorted(provider: tuple[PaymentProvider, FakeStripe | None]) -> None:
    payments, fake = provider
    if fake is None:
        assert isinstance(payments, DisabledProvider)
        return
    fake.fail(r"/v1/.*", "500", times=100)
    with pytest.raises(TemporaryError):
        payments.ensure_customer(_spec())
    fake.faults.clear()
    fake.prices.clear()  # a misconfigured account: retrying does not help
    from controlplane.billing.interfaces import PermanentError

    with pytest.raises(PermanentError, match="stripe-setup"):
        payments.ensure_customer(_spec())
