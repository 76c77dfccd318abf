"""Delivery of the outbox to real subscribers on loopback: the exact notification, filters, retries and
at-least-once, order per hoofdObject, dead letters, the circuit breaker, isolation between subscribers and
between tenants, and concurrent senders on PostgreSQL."""

from __future__ import annotations

import itertools
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import select

from tenant_runtime.core.outbox import OutboxMessage
from tenant_runtime.notificaties.models import Abonnement, DeliveryStatus
from tests.fixtures.services import PostgresServer
from tests.tenant_runtime.conftest import ZgwTenant
from tests.tenant_runtime.notificaties.conftest import (
    attempts_of,
    beheer,
    deliver,
    delivery_rows,
    nrc_runtime,
    publish_zaak,
    subscribe,
    zaak_url,
)
from tests.tenant_runtime.notificaties.subscriber import Subscriber, running_subscriber

ZAAKTYPE = "https://catalogi.example.nl/api/v1/zaaktypen/6c7b3c8e-7e2b-4a5f-9a77-2c8f5d2b1a01"


def deliver_until(tenant: ZgwTenant, done: Any, timeout: float = 30.0) -> None:
    """Run delivery passes (respecting backoff and circuit rests) until ``done()``."""
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError("delivery did not finish in time")
        deliver(tenant)
        time.sleep(0.05)


def all_finished(tenant: ZgwTenant) -> bool:
    rows = delivery_rows(tenant)
    return bool(rows) and all(r.status != DeliveryStatus.PENDING.value for r in rows)


def test_subscriber_receives_the_exact_notification_of_an_outbox_row(alpha: ZgwTenant, subscriber: Subscriber) -> None:
    subscribe(alpha, subscriber.url, [{"naam": "zaken"}], auth="Token abcde12345")
    zaak = zaak_url(alpha, 1)
    message = publish_zaak(
        alpha,
        zaak,
        resource="status",
        actie="create",
        resource_url=f"{alpha.api('zaken')}/statussen/44fdcebf-0000-4000-8000-000000000001",
        kenmerken={"bronorganisatie": "002220647", "zaaktype": ZAAKTYPE, "vertrouwelijkheidaanduiding": "openbaar"},
    )
    deliver(alpha)
    [received] = [r for r in subscriber.received if r.body["kanaal"] != "test"]
    assert received.body == {
        "kanaal": "zaken",
        "hoofdObject": zaak,
        "resource": "status",
        "resourceUrl": f"{alpha.api('zaken')}/statussen/44fdcebf-0000-4000-8000-000000000001",
        "actie": "create",
        "aanmaakdatum": message.aanmaakdatum.isoformat().replace("+00:00", "Z"),
        "kenmerken": {"bronorganisatie": "002220647", "zaaktype": ZAAKTYPE, "vertrouwelijkheidaanduiding": "openbaar"},
    }
    assert received.body["aanmaakdatum"].endswith("Z")
    assert received.headers["Authorization"] == "Token abcde12345"
    assert received.headers["Content-Type"] == "application/json"
    [row] = delivery_rows(alpha)
    assert (row.status, row.attempts, row.last_status_code) == ("delivered", 1, 204)
    [attempt] = attempts_of(alpha, row.id)
    assert (attempt.number, attempt.status_code, attempt.success, attempt.error) == (1, 204, True, "")
    assert attempt.duration_ms >= 0
    with alpha.session() as session:
        assert session.scalar(select(OutboxMessage.dispatched_at)) is not None
    deliver(alpha)  # nothing is sent twice
    assert len(subscriber.notifications()) == 1


def test_kenmerken_filters_decide_who_gets_a_notification(alpha: ZgwTenant) -> None:
    with (
        running_subscriber() as everything,
        running_subscriber() as own_organisation,
        running_subscriber() as other_zaaktype,
        running_subscriber() as documents_only,
        running_subscriber() as wildcard,
    ):
        subscribe(alpha, everything.url, [{"naam": "zaken"}])
        subscribe(alpha, own_organisation.url, [{"naam": "zaken", "filters": {"bronorganisatie": "002220647"}}])
        subscribe(alpha, other_zaaktype.url, [{"naam": "zaken", "filters": {"zaaktype": f"{ZAAKTYPE}-ander"}}])
        subscribe(alpha, documents_only.url, [{"naam": "documenten"}])
        subscribe(
            alpha,
            wildcard.url,
            [{"naam": "documenten"}, {"naam": "zaken", "filters": {"vertrouwelijkheidaanduiding": "*"}}],
        )
        publish_zaak(alpha, zaak_url(alpha, 1), kenmerken={"bronorganisatie": "002220647", "zaaktype": ZAAKTYPE})
        # no zaaktype kenmerk: a filter on a kenmerk the notification does not carry does not exclude it
        publish_zaak(alpha, zaak_url(alpha, 2), kenmerken={"bronorganisatie": "999999999"})
        deliver(alpha)
        # (order is kept per hoofdObject only: two zaken may arrive either way round)
        assert sorted(n["hoofdObject"] for n in everything.notifications()) == [zaak_url(alpha, 1), zaak_url(alpha, 2)]
        assert [n["hoofdObject"] for n in own_organisation.notifications()] == [zaak_url(alpha, 1)]
        assert [n["hoofdObject"] for n in other_zaaktype.notifications()] == [zaak_url(alpha, 2)]
        assert documents_only.notifications() == []
        assert len(wildcard.notifications()) == 2


def test_a_subscriber_failing_three_times_gets_it_once_it_recovers(alpha: ZgwTenant, subscriber: Subscriber) -> None:
    subscribe(alpha, subscriber.url)
    publish_zaak(alpha, zaak_url(alpha, 7))
    subscriber.fail(3, status=503)
    deliver_until(alpha, lambda: all_finished(alpha))
    attempts = [r for r in subscriber.received if r.body["kanaal"] == "zaken"]
    assert [r.status for r in attempts] == [503, 503, 503, 204]
    assert len({r.body["hoofdObject"] for r in attempts}) == 1
    assert len(subscriber.notifications()) == 1
    [row] = delivery_rows(alpha)
    assert (row.status, row.attempts) == ("delivered", 4)
    log = attempts_of(alpha, row.id)
    assert [(a.number, a.status_code, a.success) for a in log] == [
        (1, 503, False),
        (2, 503, False),
        (3, 503, False),
        (4, 204, True),
    ]
    assert log[0].error.startswith("HTTP 503")
    # exponential backoff: every wait is longer than the one before (base 0.2 s, ×2, ±10 %)
    gaps = [(b.started_at - a.started_at).total_seconds() for a, b in itertools.pairwise(log)]
    assert gaps[0] >= 0.18
    assert gaps[1] > gaps[0]


def test_order_per_hoofdobject_holds_across_a_retry(alpha: ZgwTenant, subscriber: Subscriber) -> None:
    subscribe(alpha, subscriber.url)
    zaak_a, zaak_b = zaak_url(alpha, 10), zaak_url(alpha, 11)
    for step in range(5):
        for zaak in (zaak_a, zaak_b):
            publish_zaak(alpha, zaak, resource="status", actie="create", resource_url=f"{zaak}/status/{step}")
    failed_once: set[str] = set()

    def responder(body: dict[str, Any]) -> int:
        if body["resourceUrl"] == f"{zaak_a}/status/1" and body["resourceUrl"] not in failed_once:
            failed_once.add(body["resourceUrl"])
            return 500
        return 204

    subscriber.responder = responder
    deliver_until(alpha, lambda: all_finished(alpha))
    received = [r for r in subscriber.received if r.body["kanaal"] == "zaken"]
    for zaak in (zaak_a, zaak_b):
        sequence = [
            (r.body["resourceUrl"].rsplit("/", 1)[-1], r.status) for r in received if r.body["hoofdObject"] == zaak
        ]
        delivered = [step for step, status in sequence if status == 204]
        assert delivered == ["0", "1", "2", "3", "4"], sequence
    # after the failure of A's step 1, nothing later of A was sent before step 1 itself succeeded
    a_sequence = [
        (r.body["resourceUrl"].rsplit("/", 1)[-1], r.status) for r in received if r.body["hoofdObject"] == zaak_a
    ]
    assert a_sequence[:3] == [("0", 204), ("1", 500), ("1", 204)]
    assert len(subscriber.notifications()) == 10


def test_dead_letter_after_max_attempts_and_manual_resend(alpha: ZgwTenant, subscriber: Subscriber) -> None:
    abonnement = subscribe(alpha, subscriber.url)
    publish_zaak(alpha, zaak_url(alpha, 3))
    subscriber.status = 500
    deliver_until(alpha, lambda: all_finished(alpha))
    [row] = delivery_rows(alpha)
    assert (row.status, row.attempts) == ("dead", alpha.runtime.settings.delivery_max_attempts)
    assert row.dead_at is not None
    assert subscriber.notifications() == []

    detail = beheer(alpha, "GET", f"/deliveries/{row.uuid}")
    assert detail.status_code == 200
    assert detail.json()["status"] == "dead"
    assert [entry["statusCode"] for entry in detail.json()["log"]] == [500] * 5

    subscriber.status = 204
    uuid = abonnement["url"].rsplit("/", 1)[-1]
    assert beheer(alpha, "POST", f"/subscriptions/{uuid}/reset-circuit").json()["circuit"] == "closed"
    resent = beheer(alpha, "POST", f"/deliveries/{row.uuid}/resend")
    assert resent.status_code == 202
    assert resent.json()["status"] == "pending"
    assert beheer(alpha, "POST", f"/deliveries/{row.uuid}/resend").status_code == 409
    deliver(alpha)
    assert len(subscriber.notifications()) == 1
    [row] = delivery_rows(alpha)
    assert (row.status, row.attempts, row.resends) == ("delivered", 1, 1)
    assert len(attempts_of(alpha, row.id)) == 6


def test_circuit_breaker_opens_on_a_hanging_subscriber_and_the_others_get_theirs_promptly(
    tmp_path: Path, postgres_server: PostgresServer
) -> None:
    with (
        nrc_runtime(tmp_path, postgres_server, ("alpha",), delivery_circuit_open_seconds=3.0) as env,
        running_subscriber() as healthy,
        running_subscriber() as hanging,
    ):
        alpha = env.tenants["alpha"]
        timeout = alpha.runtime.settings.delivery_timeout
        subscribe(alpha, healthy.url)
        hanging_abonnement = subscribe(alpha, hanging.url)
        hanging.delay = timeout * 3  # answers far too late, holding the connection
        for number in range(40):
            publish_zaak(alpha, zaak_url(alpha, 100 + number))
        started = time.monotonic()
        worker = threading.Thread(target=deliver, args=(alpha,), kwargs={"budget": 5.0})
        worker.start()
        healthy.wait_for(40, timeout=timeout)  # long before a single hanging request times out
        healthy_took = time.monotonic() - started
        worker.join(30)
        assert healthy_took < timeout
        assert len(healthy.notifications()) == 40

        with alpha.session() as session:
            state = session.scalar(select(Abonnement).where(Abonnement.callback_url == hanging.url))
            assert state is not None
            assert state.consecutive_failures >= alpha.runtime.settings.delivery_circuit_threshold
            assert state.circuit_open_until is not None
            hanging_id = state.id
        health = {s["callbackUrl"]: s for s in beheer(alpha, "GET", "/subscriptions").json()}
        assert health[hanging.url]["circuit"] == "open"
        assert health[hanging.url]["pending"] == 40
        assert health[healthy.url]["circuit"] == "closed"
        assert health[healthy.url]["delivered"] == 40
        # the breaker stopped new requests once it tripped: besides the requests already in flight, only the
        # few started while fewer than `threshold` failures had come back can have failed
        settings = alpha.runtime.settings
        hanging_attempts = [r for r in delivery_rows(alpha) if r.abonnement_id == hanging_id and r.attempts]
        assert len(hanging_attempts) <= settings.delivery_concurrency + settings.delivery_circuit_threshold - 1
        assert len(hanging_attempts) < 40

        # while open nothing is sent; once it rests, one probe goes out (half-open), and success closes it
        sent_before = len(hanging.received)
        deliver(alpha)
        assert len(hanging.received) == sent_before
        hanging.delay = 0
        time.sleep(alpha.runtime.settings.delivery_circuit_open_seconds + 0.2)
        # (requests that timed out were answered later by the subscriber: count distinct hoofdObjects)
        deliver_until(alpha, lambda: len({n["hoofdObject"] for n in hanging.notifications()}) == 40, timeout=60)
        uuid = hanging_abonnement["url"].rsplit("/", 1)[-1]
        health = {s["uuid"]: s for s in beheer(alpha, "GET", "/subscriptions").json()}
        assert health[uuid]["circuit"] == "closed"


def test_deliveries_stay_inside_their_tenant(alpha: ZgwTenant, beta: ZgwTenant) -> None:
    with running_subscriber() as alpha_subscriber, running_subscriber() as beta_subscriber:
        subscribe(alpha, alpha_subscriber.url)
        subscribe(beta, beta_subscriber.url)
        publish_zaak(alpha, zaak_url(alpha, 1))
        deliver(beta)
        deliver(alpha)
        assert [n["hoofdObject"] for n in alpha_subscriber.notifications()] == [zaak_url(alpha, 1)]
        assert beta_subscriber.notifications() == []
        assert delivery_rows(beta) == []


def test_concurrent_senders_deliver_everything_exactly_once_without_a_crash(alpha: ZgwTenant) -> None:
    with running_subscriber() as first, running_subscriber() as second:
        subscribe(alpha, first.url)
        subscribe(alpha, second.url)
        zaken = [zaak_url(alpha, n) for n in range(20)]
        for step in range(10):
            for zaak in zaken:
                publish_zaak(alpha, zaak, resource="status", resource_url=f"{zaak}/status/{step}")

        def run() -> None:
            deadline = time.monotonic() + 60
            while not all_finished(alpha) and time.monotonic() < deadline:
                deliver(alpha)
                time.sleep(0.01)

        workers = [threading.Thread(target=run) for _ in range(4)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(90)
        for subscriber in (first, second):
            bodies = subscriber.notifications()
            assert len(bodies) == 200
            assert len({b["resourceUrl"] for b in bodies}) == 200
            for zaak in zaken:
                steps = [b["resourceUrl"].rsplit("/", 1)[-1] for b in bodies if b["hoofdObject"] == zaak]
                assert steps == [str(n) for n in range(10)]
        assert len(delivery_rows(alpha)) == 400


def test_retention_removes_finished_notifications_with_their_log_but_keeps_pending_ones(
    alpha: ZgwTenant, subscriber: Subscriber
) -> None:
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import func, update

    from tenant_runtime.notificaties import delivery
    from tenant_runtime.notificaties.models import Delivery, DeliveryAttempt

    subscribe(alpha, subscriber.url)
    publish_zaak(alpha, zaak_url(alpha, 1))
    deliver(alpha)
    subscriber.status = 500
    publish_zaak(alpha, zaak_url(alpha, 2))
    deliver(alpha)
    publish_zaak(alpha, zaak_url(alpha, 3))  # not dispatched yet
    old = datetime.now(UTC) - timedelta(days=alpha.runtime.settings.delivery_log_retention_days + 1)
    with alpha.session() as session:
        session.execute(update(OutboxMessage).where(OutboxMessage.dispatched_at.is_not(None)).values(dispatched_at=old))
        session.commit()
        assert delivery.purge_old(session, alpha.runtime.settings.delivery_log_retention_days) == 1
        remaining = [m.hoofd_object for m in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]
        assert remaining == [zaak_url(alpha, 2), zaak_url(alpha, 3)]  # the pending one and the undispatched one
        assert [d.status for d in session.scalars(select(Delivery))] == ["pending"]
        assert session.scalar(select(func.count()).select_from(DeliveryAttempt)) == 1
