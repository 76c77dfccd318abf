"""Stripe at the HTTP boundary, stateful: the official ``stripe`` library talks to a recording Stripe on
loopback. The exact requests month-close leads to (customers, subscriptions, one meter event per ledger
aggregate with its identifier), and exactly-once outcomes when Stripe answers 500, stalls past the timeout, or
does the work and loses the answer; Stripe being down never blocks the close; reconciliation against
Stripe's meter event summaries."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from controlplane.billing import closing, reconcile, sync
from controlplane.billing.models import BillingCustomer, MeterEventSubmission, SubmissionStatus
from controlplane.billing.stripe_provider import StripeProvider
from tests.controlplane.billing.conftest import FEBRUARY, BillingWorld
from tests.controlplane.billing.fake_stripe import FakeStripe

FEB_START, FEB_END = int(FEBRUARY.start.timestamp()), int(FEBRUARY.end.timestamp())
EXPECTED_A = {"flat_fee": 25_000, "inhabitants": 4_167, "active_clients": 2_000, "api_calls": 44_600, "storage": 50}


def _close_february(billing: BillingWorld) -> None:
    billing.ledger.month(billing.tenant_a, FEBRUARY, calls_per_hour=2000, stored_bytes=3 * 10**9,
                         clients=("zaaksysteem", "dms"))  # fmt: skip
    report = closing.close_period(billing.cp, FEBRUARY)
    assert report.submissions_created == 6  # alphen: 5 components; bodegraven: the flat fee (its API line is € 0)


def _submissions(billing: BillingWorld) -> dict[str, MeterEventSubmission]:
    with billing.cp.sessions() as session:
        return {s.identifier: s for s in session.scalars(select(MeterEventSubmission))}


def _ids(billing: BillingWorld, tenant: str) -> dict[str, str]:
    tenant_id = billing.tenant_a.id if tenant == "a" else billing.tenant_b.id
    return {c: f"zgw:{tenant_id}:2026-02:{c}" for c in EXPECTED_A}


def test_month_close_sends_exactly_these_requests(billing: BillingWorld, use_stripe: Callable[..., StripeProvider],
                                                  stripe_fake: FakeStripe) -> None:  # fmt: skip
    use_stripe()
    _close_february(billing)
    assert stripe_fake.requests == []  # closing never calls Stripe
    report = sync.send_due(billing.cp)
    assert (report.sent, report.retrying, report.failed) == (6, 0, 0)

    customers = {c.params["metadata"]["slug"]: c for c in stripe_fake.calls("POST", "/v1/customers")}
    assert {s: c.idempotency_key for s, c in customers.items()} == {
        "alphen": f"zgwcloud-customer-{billing.tenant_a.id}",
        "bodegraven": f"zgwcloud-customer-{billing.tenant_b.id}",
    }
    assert customers["alphen"].params == {
        "name": "Gemeente Alphen", "preferred_locales": ["nl"], "email": "admin_a@example.nl",
        "metadata": {"zgw_tenant_id": str(billing.tenant_a.id), "gemeentecode": "0484", "slug": "alphen"},
    }  # fmt: skip
    customer_of = {c["metadata"]["slug"]: c["id"] for c in stripe_fake.customers.values()}
    subscriptions = {s.params["customer"]: s for s in stripe_fake.calls("POST", "/v1/subscriptions")}
    assert set(subscriptions) == set(customer_of.values())
    subscription = subscriptions[customer_of["alphen"]]
    assert subscription.idempotency_key == f"zgwcloud-subscription-{billing.tenant_a.id}"
    prices = {p["lookup_key"]: p["id"] for p in stripe_fake.prices.values()}
    assert subscription.params == {
        "customer": customer_of["alphen"],
        "items": [{"price": prices[f"zgw_{c}"]} for c in ("flat_fee", "inhabitants", "active_clients", "api_calls",
                                                          "storage")],
        "collection_method": "send_invoice", "days_until_due": "30", "proration_behavior": "none",
        "billing_cycle_anchor": str(int(datetime(2026, 4, 1, tzinfo=UTC).timestamp())),  # the next period's start
        "backdate_start_date": str(FEB_START),  # usage of the closed period is in the first cycle
        "metadata": {"zgw_tenant_id": str(billing.tenant_a.id)},
    }  # fmt: skip

    events = stripe_fake.calls("POST", "/v1/billing/meter_events")
    sent = {e.params["identifier"]: e for e in events}
    expected = {**{_ids(billing, "a")[c]: v for c, v in EXPECTED_A.items()}, _ids(billing, "b")["flat_fee"]: 50_000}
    assert {i: int(e.params["payload"]["value"]) for i, e in sent.items()} == expected
    assert sent[_ids(billing, "a")["api_calls"]].params == {
        "event_name": "zgw_api_calls", "identifier": _ids(billing, "a")["api_calls"], "timestamp": str(FEB_END - 1),
        "payload": {"stripe_customer_id": customer_of["alphen"], "value": "44600"},
    }  # fmt: skip
    assert all(e.idempotency_key == e.params["identifier"] for e in events)
    assert len(events) == 6 and all(s.status is SubmissionStatus.SENT for s in _submissions(billing).values())
    # A second run sends nothing: the ledger side recorded what was sent.
    before = len(stripe_fake.requests)
    assert sync.send_due(billing.cp).sent == 0 and len(stripe_fake.requests) == before


def test_stripe_down_blocks_nothing_and_retries_are_exactly_once(
    billing: BillingWorld, use_stripe: Callable[..., StripeProvider], stripe_fake: FakeStripe
) -> None:
    use_stripe()
    stripe_fake.fail(r"/v1/customers.*", "500", times=1_000)
    _close_february(billing)  # closing does not need Stripe
    first = sync.send_due(billing.cp)
    assert (first.sent, first.retrying) == (0, 1)  # one attempt, then the rest waits for the next one
    pending = _submissions(billing)
    assert {s.status for s in pending.values()} == {SubmissionStatus.PENDING}
    with billing.cp.sessions() as session:
        assert ["HTTP 500" in c.last_error for c in session.scalars(select(BillingCustomer))] == [True]
    before = len(stripe_fake.requests)
    second = sync.send_due(billing.cp)  # each run probes Stripe once (another row), it does not hammer
    assert (second.sent, second.retrying) == (0, 1) and len(stripe_fake.requests) == before + 1
    stripe_fake.faults.clear()
    stripe_fake.fail("/v1/billing/meter_events", "500", times=2)
    for _ in range(6):
        billing.clock.advance(timedelta(minutes=10))
        sync.send_due(billing.cp)
    rows = _submissions(billing)
    assert {s.status for s in rows.values()} == {SubmissionStatus.SENT}
    assert len(stripe_fake.meter_events) == 6  # each aggregate once
    posts = stripe_fake.calls("POST", "/v1/billing/meter_events")
    assert len(posts) == 6 + 2 and sum(s.attempts for s in rows.values()) >= 8
    assert len(stripe_fake.customers) == 2  # the failed customer creations made no extra customers


def test_lost_answers_and_timeouts_never_double_bill(
    billing: BillingWorld, use_stripe: Callable[..., StripeProvider], stripe_fake: FakeStripe
) -> None:
    use_stripe(stripe_timeout_seconds=0.5)
    _close_february(billing)
    stripe_fake.fail("/v1/customers", "lost", times=1)  # the customer exists, the answer is lost
    stripe_fake.fail("/v1/billing/meter_events", "lost", times=1)  # the event exists, the answer is lost
    stripe_fake.fail("/v1/billing/meter_events", "stall", times=1, seconds=1.0)  # done after our timeout
    for _ in range(8):
        sync.send_due(billing.cp)
        billing.clock.advance(timedelta(minutes=10))
    time.sleep(1.2)  # let the stalled request finish on the server
    rows = _submissions(billing)
    assert {s.status for s in rows.values()} == {SubmissionStatus.SENT}
    assert len(stripe_fake.customers) == 2  # the lost customer was found again (search), not created twice
    assert len(stripe_fake.meter_events) == 6  # each aggregate exactly once
    attempts = [r.params["identifier"] for r in stripe_fake.calls("POST", "/v1/billing/meter_events")]
    assert len(attempts) >= 8  # the lost and the stalled attempt were retried ...
    retried = {i for i in attempts if attempts.count(i) > 1}
    assert retried and all(rows[i].attempts == attempts.count(i) for i in retried)  # ... with the same identifier
    alphen = next(c for c, v in stripe_fake.customers.items() if v["metadata"]["slug"] == "alphen")
    assert stripe_fake.total(alphen, "zgw_api_calls", FEB_START, FEB_END) == 44_600

    # A worker dies after Stripe took an event but before it recorded so; by the time the row is sent again
    # the idempotency key has expired: Stripe's identifier dedup answers, and the row is simply sent.
    identifier = _ids(billing, "a")["storage"]
    with billing.cp.sessions() as session:
        row = session.scalar(select(MeterEventSubmission).where(MeterEventSubmission.identifier == identifier))
        assert row is not None
        row.status, row.sent_at = SubmissionStatus.PENDING, None
        session.commit()
    stripe_fake.replies.clear()
    report = sync.send_due(billing.cp)
    assert (report.sent, report.already_there) == (0, 1)
    assert _submissions(billing)[identifier].status is SubmissionStatus.SENT
    assert "already had this identifier" in _submissions(billing)[identifier].last_error
    assert stripe_fake.calls("POST", "/v1/billing/meter_events")[-1].status == 400
    assert len(stripe_fake.meter_events) == 6


def test_unknown_outcome_past_the_dedup_window_waits_for_reconciliation(
    billing: BillingWorld, use_stripe: Callable[..., StripeProvider], stripe_fake: FakeStripe
) -> None:
    use_stripe()
    _close_february(billing)
    sync.sync_customers(billing.cp)
    api_a, flat_b = _ids(billing, "a")["api_calls"], _ids(billing, "b")["flat_fee"]
    with billing.cp.sessions() as session:  # leave only two events to send
        for row in session.scalars(select(MeterEventSubmission)):
            if row.identifier not in (api_a, flat_b):
                row.status = SubmissionStatus.SENT
            elif row.identifier == flat_b:
                row.next_attempt_at += timedelta(minutes=1)  # api_a is tried first
        session.commit()
    stripe_fake.fail("/v1/billing/meter_events", "lost", times=1)  # api_a: recorded, answer lost
    stripe_fake.fail("/v1/billing/meter_events", "500", times=1_000)  # then Stripe stays down for a day
    for _ in range(30):
        sync.send_due(billing.cp)
        billing.clock.advance(timedelta(hours=1))
    rows = _submissions(billing)
    assert rows[api_a].status is SubmissionStatus.REVIEW and rows[flat_b].status is SubmissionStatus.REVIEW
    stripe_fake.faults.clear()
    for identifier, row in rows.items():  # what Stripe has of the events we marked sent above
        if identifier not in (api_a, flat_b):
            stripe_fake.meter_events[identifier] = {"event_name": row.event_name, "timestamp": str(FEB_END - 1),
                                                    "payload": {"stripe_customer_id": _customer(billing, row),
                                                                "value": str(row.value)}}  # fmt: skip
    run = reconcile.reconcile_period(billing.cp, FEBRUARY)
    rows = _submissions(billing)
    assert rows[api_a].status is SubmissionStatus.SENT and rows[api_a].last_error == "confirmed by reconciliation"
    assert rows[flat_b].status is SubmissionStatus.PENDING  # Stripe has nothing for it: sent again, same identifier
    assert run.status.value == "pending"
    billing.clock.advance(timedelta(minutes=1))
    assert sync.send_due(billing.cp).sent == 1
    assert reconcile.reconcile_period(billing.cp, FEBRUARY).status.value == "ok"
    assert len(stripe_fake.meter_events) == 6


def _customer(billing: BillingWorld, row: MeterEventSubmission) -> str:
    with billing.cp.sessions() as session:
        return session.get(BillingCustomer, row.tenant_id).customer_id  # type: ignore[union-attr]


def test_reconciliation_compares_with_stripes_summaries(
    billing: BillingWorld, use_stripe: Callable[..., StripeProvider], stripe_fake: FakeStripe
) -> None:
    use_stripe()
    _close_february(billing)
    sync.send_due(billing.cp)
    run = reconcile.reconcile_period(billing.cp, FEBRUARY)
    assert run.status.value == "ok" and run.drifting == 0
    api = next(i for i in run.items if i.component == "api_calls" and i.tenant_id == billing.tenant_a.id)
    assert (api.ledger_cents, api.invoiced_cents, api.sent_cents, api.provider_cents) == (44_600,) * 4
    summaries = stripe_fake.calls("GET", r"/v1/billing/meters/[^/]+/event_summaries")
    assert {r.params["start_time"] for r in summaries} == {str(FEB_START)}
    assert {r.params["end_time"] for r in summaries} == {str(FEB_END)}
    # Somebody sends an extra event by hand in Stripe's dashboard: drift, with the numbers.
    customer = _customer(billing, _submissions(billing)[_ids(billing, "a")["storage"]])
    stripe_fake.meter_events["manual"] = {"event_name": "zgw_storage", "timestamp": str(FEB_START + 10),
                                          "payload": {"stripe_customer_id": customer, "value": "50"}}  # fmt: skip
    drift = reconcile.reconcile_period(billing.cp, FEBRUARY)
    assert drift.status.value == "drift" and drift.drifting == 1
    storage = next(i for i in drift.items if i.status.value == "drift")
    assert (storage.component, storage.provider_cents, storage.invoiced_cents) == ("storage", 100, 50)
    assert "provider 100, verstuurd 50, factuur 50" in storage.detail
    # Stripe unreachable during reconciliation: the run says so instead of guessing.
    stripe_fake.fail(r"/v1/billing/meters/.*", "500", times=1_000)
    down = reconcile.reconcile_period(billing.cp, FEBRUARY)
    assert down.status.value == "unavailable"


def test_metrics_show_waiting_meter_events_and_drift(
    billing: BillingWorld, use_stripe: Callable[..., StripeProvider], stripe_fake: FakeStripe
) -> None:
    use_stripe()
    stripe_fake.fail(r"/v1/.*", "500", times=1_000)
    _close_february(billing)
    sync.send_due(billing.cp)
    billing.clock.advance(timedelta(hours=1))
    metrics = _metrics(billing)
    assert metrics[("zgwcloud_billing_meter_events", ("pending",))] == 6
    assert metrics[("zgwcloud_billing_oldest_pending_meter_event_seconds", ())] == 3600
    assert metrics[("zgwcloud_billing_last_closed_period_start", ())] == FEBRUARY.start.timestamp()
    stripe_fake.faults.clear()
    sync.send_due(billing.cp)
    billing.ledger.add(billing.tenant_b, FEBRUARY.start, "api_calls", 2_000_000, component="zaken", operation="read")
    reconcile.reconcile_period(billing.cp, FEBRUARY)
    metrics = _metrics(billing)
    assert metrics[("zgwcloud_billing_meter_events", ("sent",))] == 6
    assert metrics[("zgwcloud_billing_meter_events", ("pending",))] == 0
    assert metrics[("zgwcloud_billing_reconciliation_drifting_tenants", ("2026-02",))] == 1


def _metrics(billing: BillingWorld) -> dict[tuple[str, tuple[str, ...]], float]:
    text = billing.world.client.get("/metrics").text
    return {(s.name, tuple(s.labels.values())): s.value for family in text_string_to_metric_families(text)
            for s in family.samples}  # fmt: skip
