"""The delivery log for the operator and the municipality (``/beheer/notificaties``, platform credential)."""

from __future__ import annotations

from pathlib import Path

from tests.fixtures.services import PostgresServer
from tests.tenant_runtime.conftest import ZgwTenant
from tests.tenant_runtime.notificaties.conftest import (
    beheer,
    consumer,
    deliver,
    delivery_rows,
    nrc_runtime,
    publish_zaak,
    subscribe,
    zaak_url,
)
from tests.tenant_runtime.notificaties.subscriber import Subscriber, running_subscriber


def test_platform_credential_is_required(alpha: ZgwTenant) -> None:
    assert beheer(alpha, "GET", "/subscriptions").status_code == 200
    wrong = beheer(alpha, "GET", "/subscriptions", headers={"Authorization": "Bearer guess"})
    assert wrong.status_code == 401
    assert wrong.headers["content-type"] == "application/problem+json"
    # a ZGW client's JWT is no platform credential
    assert beheer(alpha, "GET", "/subscriptions", headers=consumer(alpha)).status_code == 401


def test_disabled_without_a_configured_token(tmp_path: Path, postgres_server: PostgresServer) -> None:
    with nrc_runtime(tmp_path, postgres_server, ("alpha",), admin_token="") as env:
        alpha = env.tenants["alpha"]
        response = alpha.client.get(f"{alpha.base}/beheer/notificaties/subscriptions")
        assert response.status_code == 403
        assert response.json()["code"] == "beheer_disabled"


def test_delivery_log_lists_filters_and_details(alpha: ZgwTenant, beta: ZgwTenant, subscriber: Subscriber) -> None:
    with running_subscriber() as failing:
        good = subscribe(alpha, subscriber.url)
        bad = subscribe(alpha, failing.url)
        failing.status = 500
        for number in range(3):
            publish_zaak(alpha, zaak_url(alpha, number))
        deliver(alpha)
    good_uuid, bad_uuid = (a["url"].rsplit("/", 1)[-1] for a in (good, bad))

    health = {s["uuid"]: s for s in beheer(alpha, "GET", "/subscriptions").json()}
    assert health[good_uuid]["delivered"] == 3
    assert health[good_uuid]["kanalen"] == ["zaken"]
    assert health[bad_uuid]["pending"] == 3
    assert health[bad_uuid]["lastFailureAt"] is not None
    assert health[bad_uuid]["consecutiveFailures"] == 3
    assert health[bad_uuid]["circuit"] in {"open", "half-open"}  # it rests 0.5 s in these tests
    assert health[bad_uuid]["circuitOpenUntil"] is not None

    everything = beheer(alpha, "GET", "/deliveries").json()
    assert everything["count"] == 6
    assert everything["next"] is None
    pending = beheer(alpha, "GET", "/deliveries", params={"status": "pending"}).json()
    assert pending["count"] == 3
    assert {d["abonnement"] for d in pending["results"]} == {bad_uuid}
    assert all(d["lastStatusCode"] == 500 and d["lastError"].startswith("HTTP 500") for d in pending["results"])
    failed = beheer(alpha, "GET", "/deliveries", params={"status": "failed"}).json()  # pending after a failure
    assert [d["uuid"] for d in failed["results"]] == [d["uuid"] for d in pending["results"]]
    delivered = beheer(alpha, "GET", "/deliveries", params={"subscription": good_uuid}).json()
    assert [d["notificatie"]["hoofdObject"] for d in delivered["results"]] == [zaak_url(alpha, n) for n in (2, 1, 0)]
    detail = beheer(alpha, "GET", f"/deliveries/{delivered['results'][0]['uuid']}").json()
    assert detail["status"] == "delivered"
    [entry] = detail["log"]
    assert entry["statusCode"] == 204
    assert entry["success"] is True
    assert entry["durationMs"] >= 0

    invalid = beheer(alpha, "GET", "/deliveries", params={"status": "lost"})
    assert invalid.status_code == 400
    assert invalid.json()["invalidParams"][0]["name"] == "status"
    assert beheer(alpha, "GET", "/deliveries/00000000-0000-4000-8000-000000000000").status_code == 404
    # another tenant's log is another tenant's
    assert beheer(beta, "GET", "/deliveries").json()["count"] == 0
    assert beheer(beta, "GET", f"/deliveries/{detail['uuid']}").status_code == 404


def test_resend_all_dead_letters_of_a_subscription(tmp_path: Path, postgres_server: PostgresServer) -> None:
    with (
        nrc_runtime(tmp_path, postgres_server, ("alpha",), delivery_max_attempts=1) as env,
        running_subscriber() as subscriber,
    ):
        alpha = env.tenants["alpha"]
        abonnement = subscribe(alpha, subscriber.url)
        uuid = abonnement["url"].rsplit("/", 1)[-1]
        subscriber.status = 502
        publish_zaak(alpha, zaak_url(alpha, 1))
        publish_zaak(alpha, zaak_url(alpha, 2))
        deliver(alpha)
        assert [r.status for r in delivery_rows(alpha)] == ["dead", "dead"]
        subscriber.status = 204
        beheer(alpha, "POST", f"/subscriptions/{uuid}/reset-circuit")
        resent = beheer(alpha, "POST", f"/subscriptions/{uuid}/resend-dead")
        assert resent.status_code == 202
        assert resent.json() == {"resent": 2}
        deliver(alpha)
        # different hoofdObjects travel in parallel: only the order per hoofdObject is guaranteed
        assert sorted(n["hoofdObject"] for n in subscriber.notifications()) == [zaak_url(alpha, 1), zaak_url(alpha, 2)]
        assert beheer(alpha, "POST", f"/subscriptions/{uuid}/resend-dead").json() == {"resent": 0}
