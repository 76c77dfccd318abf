"""Request shapes: every call the Stripe provider makes goes, through the official ``stripe`` library, to
stripe-mock, which validates it against Stripe's OpenAPI spec and refuses what Stripe would refuse."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from controlplane.billing.interfaces import CustomerSpec, MeterEvent, PermanentError
from controlplane.billing.pricing import Component
from controlplane.billing.stripe_provider import StripeProvider
from controlplane.config import Settings
from tests.conftest import TEST_ENCRYPTION_KEY
from tests.fixtures.services import StripeMockServer


@pytest.fixture
def provider(stripe_mock: StripeMockServer) -> StripeProvider:
    settings = Settings(environment="test", encryption_key=TEST_ENCRYPTION_KEY, stripe_enabled=True,
                        stripe_api_key="sk_test_mock", stripe_api_base=stripe_mock.url, stripe_max_network_retries=0,
                        stripe_tax_rate_id="txr_1234")  # fmt: skip
    return StripeProvider(settings)


SPEC = CustomerSpec(uuid.uuid4(), "utrecht", "Gemeente Utrecht", "0344", "beheer@utrecht.nl",
                    datetime(2026, 11, 1, tzinfo=UTC))  # fmt: skip


def test_customer_and_subscription_requests_are_valid(provider: StripeProvider) -> None:
    customer_id = provider._create_customer(SPEC)
    assert customer_id.startswith("cus_")
    provider._prices = {c.value: f"price_{c.value}" for c in Component}
    subscription_id, status = provider._create_subscription(SPEC, customer_id)
    assert subscription_id.startswith("sub_") and status
    assert provider._find_subscription(customer_id)[0].startswith("sub_")
    found = provider._find_customer(SPEC)
    assert found.startswith("cus_")
    ref = provider.ensure_customer(SPEC)
    assert ref.customer_id.startswith("cus_") and ref.subscription_id.startswith("sub_")


def test_meter_event_summary_invoice_portal_requests_are_valid(provider: StripeProvider) -> None:
    event = MeterEvent("zgw:tenant:2026-11:api_calls", "zgw_api_calls", "cus_123", 44_600,
                       datetime(2026, 11, 30, 23, 59, 59, tzinfo=UTC))  # fmt: skip
    assert provider.send_meter_event(event) is True
    provider._meters = {"api_calls": "mtr_123"}
    total = provider.meter_total("cus_123", "api_calls", datetime(2026, 11, 1, tzinfo=UTC),
                                 datetime(2026, 12, 1, tzinfo=UTC))  # fmt: skip
    assert isinstance(total, int)
    invoices = provider.list_invoices("cus_123")
    assert invoices and invoices[0].id.startswith("in_")
    assert provider.portal_url("cus_123", "https://zgw.example/portal/x/usage").startswith("https://")


def test_catalog_setup_requests_are_valid(provider: StripeProvider) -> None:
    catalog = provider.ensure_catalog()
    assert set(catalog) == {c.value for c in Component}
    assert all(meter and price for meter, price in catalog.values())


def test_stripe_mock_refuses_what_stripe_refuses(provider: StripeProvider) -> None:
    """The shape checks can fail: a request outside the spec is a permanent error, not a retry."""
    with pytest.raises(PermanentError, match="InvalidRequestError"):
        provider._call("bad request", lambda: provider.client.v1.customers.create({"no_such_param": "x"}))  # type: ignore[typeddict-unknown-key]
    with pytest.raises(PermanentError):
        provider._call("bad meter event", lambda: provider.client.v1.billing.meter_events.create(
            {"event_name": "zgw_api_calls", "payload": {"value": "1"}, "timestamp": "yesterday"}))  # type: ignore[typeddict-item]  # fmt: skip
