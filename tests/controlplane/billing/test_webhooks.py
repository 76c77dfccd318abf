"""Stripe webhooks on ``POST /api/v1/billing/stripe/webhook``: the signature is checked by the ``stripe``
library (valid, invalid, outside the tolerance), a replayed event is recognised by its id and changes
nothing, an older event never overwrites a newer state, and invoice events reach the municipality's page."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from controlplane.billing import sync
from controlplane.billing.models import BillingCustomer, ProviderInvoice, WebhookEvent
from controlplane.billing.stripe_provider import StripeProvider
from tests.controlplane.billing.conftest import WEBHOOK_SECRET, BillingWorld
from tests.controlplane.billing.fake_stripe import FakeStripe
from tests.controlplane.test_web_pages import login

URL = "/api/v1/billing/stripe/webhook"


def signed(body: bytes, secret: str = WEBHOOK_SECRET, at: int | None = None) -> dict[str, str]:
    """The ``Stripe-Signature`` header Stripe sends: t=<unix time>,v1=HMAC-SHA256(secret, "<t>.<body>")."""
    timestamp = int(time.time()) if at is None else at
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return {"Stripe-Signature": f"t={timestamp},v1={mac}", "Content-Type": "application/json"}


def event(event_id: str, kind: str, obj: dict[str, Any], created: int) -> bytes:
    return json.dumps({"id": event_id, "object": "event", "type": kind, "created": created, "api_version": "2025-01-27",
                       "livemode": False, "data": {"object": obj}}).encode()  # fmt: skip


@pytest.fixture
def customer(billing: BillingWorld, use_stripe: Callable[..., StripeProvider]) -> BillingCustomer:
    use_stripe()
    with billing.cp.sessions() as session:
        from controlplane.tenants.models import Tenant

        tenant = session.get(Tenant, billing.tenant_a.id)
        assert tenant is not None
        return sync.ensure_customer(billing.cp, session, tenant)


def _row(billing: BillingWorld) -> BillingCustomer:
    with billing.cp.sessions() as session:
        row = session.get(BillingCustomer, billing.tenant_a.id)
        assert row is not None
        return row


def test_signed_subscription_events_are_applied_once(billing: BillingWorld, customer: BillingCustomer) -> None:
    client = billing.world.client
    now = int(time.time())
    body = event("evt_1", "customer.subscription.updated",
                 {"id": customer.subscription_id, "object": "subscription", "customer": customer.customer_id,
                  "status": "past_due"}, now)  # fmt: skip
    response = client.post(URL, content=body, headers=signed(body))
    assert response.status_code == 200, response.text
    assert response.json() == {"received": True, "replayed": False,
                               "outcome": f"subscription {customer.subscription_id} past_due"}  # fmt: skip
    assert _row(billing).subscription_status == "past_due"
    # Stripe delivers the same event again (a retry): recognised, nothing changes.
    again = client.post(URL, content=body, headers=signed(body))
    assert again.status_code == 200 and again.json()["replayed"] is True
    # An older event arriving late does not overwrite the newer state.
    subscription = {"id": customer.subscription_id, "customer": customer.customer_id}
    older = event("evt_0", "customer.subscription.updated", {**subscription, "status": "active"}, now - 60)
    late = client.post(URL, content=older, headers=signed(older))
    assert late.status_code == 200 and "ignored" in late.json()["outcome"]
    assert _row(billing).subscription_status == "past_due"
    deleted = event("evt_2", "customer.subscription.deleted", {**subscription, "status": "canceled"}, now + 5)
    assert client.post(URL, content=deleted, headers=signed(deleted)).status_code == 200
    assert _row(billing).subscription_status == "canceled"
    with billing.cp.sessions() as session:
        assert session.scalar(select(func.count()).select_from(WebhookEvent)) == 3


UNVERIFIED: list[tuple[str, Callable[[bytes], dict[str, str]]]] = [
    ("wrong secret", lambda body: signed(body, secret="whsec_someone_else")),
    ("no signature", lambda _: {"Content-Type": "application/json"}),
    ("garbage signature", lambda _: {"Stripe-Signature": "t=1,v1=deadbeef"}),
    ("signed too long ago (replay)", lambda body: signed(body, at=int(time.time()) - 301)),
    ("signed for another body", lambda body: signed(body + b" ")),
]


def test_unverified_deliveries_are_refused(billing: BillingWorld, customer: BillingCustomer) -> None:
    body = event("evt_bad", "customer.subscription.updated",
                 {"id": customer.subscription_id, "customer": customer.customer_id, "status": "canceled"},
                 int(time.time()))  # fmt: skip
    for case, headers in UNVERIFIED:
        response = billing.world.client.post(URL, content=body, headers=headers(body))
        assert response.status_code == 400, case
        assert response.headers["content-type"] == "application/problem+json", case
        assert response.json()["code"] == "invalid-signature", case
    garbage = b"not json"  # correctly signed, but no event
    response = billing.world.client.post(URL, content=garbage, headers=signed(garbage))
    assert response.status_code == 400 and response.json()["code"] == "invalid-signature"
    assert _row(billing).subscription_status == "active"
    with billing.cp.sessions() as session:
        assert session.scalar(select(func.count()).select_from(WebhookEvent)) == 0
    # Within the tolerance the same signature is accepted (the clock-skew allowance).
    ok = billing.world.client.post(URL, content=body, headers=signed(body, at=int(time.time()) - 200))
    assert ok.status_code == 200 and _row(billing).subscription_status == "canceled"


def test_invoice_events_reach_the_municipality(billing: BillingWorld, customer: BillingCustomer,
                                               stripe_fake: FakeStripe) -> None:  # fmt: skip
    client = billing.world.client
    now = int(time.time())
    invoice = {"id": "in_test_1", "object": "invoice", "customer": customer.customer_id, "number": "ZGWC-0001",
               "status": "open", "currency": "eur", "amount_due": 91739, "amount_paid": 0, "total": 91739,
               "period_start": 1769904000, "period_end": 1772323200,
               "hosted_invoice_url": "https://invoice.stripe.test/i/in_test_1"}  # fmt: skip
    for event_id, kind, changes, created in (("evt_i1", "invoice.finalized", {}, now),
                                             ("evt_i2", "invoice.paid", {"status": "paid", "amount_paid": 91739},
                                              now + 1)):  # fmt: skip
        body = event(event_id, kind, {**invoice, **changes}, created)
        assert client.post(URL, content=body, headers=signed(body)).status_code == 200
    with billing.cp.sessions() as session:
        stored = session.get(ProviderInvoice, "in_test_1")
        assert stored is not None and stored.tenant_id == billing.tenant_a.id
        assert (stored.status, stored.amount_paid) == ("paid", 91739)
    # Stripe down: the portal shows what the webhooks said; Stripe up: its own list.
    stripe_fake.fail("/v1/invoices", "500", times=100)
    api = client.get(f"/api/v1/billing/tenants/{billing.tenant_a.id}/provider-invoices",
                     headers=billing.headers("admin_a")).json()  # fmt: skip
    assert api["stale"] is True and [i["number"] for i in api["results"]] == ["ZGWC-0001"]
    login(client, "admin_a@example.nl")
    page = client.get(f"/portal/{billing.tenant_a.id}/usage")
    assert "ZGWC-0001" in page.text and "paid" in page.text and "https://invoice.stripe.test/i/in_test_1" in page.text
    stripe_fake.faults.clear()
    stripe_fake.invoices["in_live"] = {**invoice, "id": "in_live", "number": "ZGWC-0002", "status": "draft"}
    live = client.get(f"/api/v1/billing/tenants/{billing.tenant_a.id}/provider-invoices",
                      headers=billing.headers("admin_a")).json()  # fmt: skip
    assert live["stale"] is False and [i["number"] for i in live["results"]] == ["ZGWC-0002"]


def test_webhooks_are_refused_while_payments_are_disabled(billing: BillingWorld) -> None:
    body = event("evt_x", "invoice.paid", {"id": "in_x"}, int(time.time()))
    response = billing.world.client.post(URL, content=body, headers=signed(body))
    assert response.status_code == 400 and "disabled" in response.json()["detail"]
