"""The notification delivery log through the control plane's API, against the real shared runtime over HTTP:
a subscriber that is down → its notification becomes a dead letter the control plane shows; the subscriber back
→ a resend through the control plane delivers it exactly once (and a repeated Idempotency-Key resends nothing);
who may see and resend; and clear 502/503 problems when the runtime cannot be used."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from controlplane.audit.models import AuditEntry
from tests.controlplane.conftest import build_world, make_settings
from tests.controlplane.notifications.conftest import Notifying, activate_in_controlplane_only, dead_letter, get
from tests.fixtures.processes import free_port
from tests.fixtures.services import PostgresServer
from tests.tenant_runtime.notificaties.conftest import deliver
from tests.tenant_runtime.notificaties.subscriber import Subscriber

PROBLEM = "application/problem+json"
UNKNOWN = "7b1c0c9e-1d35-4a43-9a56-2f0f9c1f3e11"


def _zaak_notifications(subscriber: Subscriber, status: int) -> list[dict[str, Any]]:
    return [r.body for r in subscriber.received if r.body.get("kanaal") == "zaken" and r.status == status]


def test_dead_letter_shown_and_resent_once(notifying: Notifying, subscriber: Subscriber) -> None:
    n, world = notifying, notifying.world
    dead = dead_letter(n, subscriber)
    assert dead["count"] == 1 and dead["page"] == 1 and dead["next"] is None
    letter = dead["results"][0]
    assert letter["state"] == "dead" and letter["status"] == "dead"
    assert letter["attempts"] == 2 and letter["last_status_code"] == 503
    assert letter["notificatie"]["kanaal"] == "zaken" and letter["notificatie"]["actie"] == "create"

    subscriptions = get(n, "/subscriptions").json()
    assert subscriptions["count"] == 1
    assert subscriptions["results"][0]["dead"] == 1
    assert subscriptions["results"][0]["uuid"] == letter["abonnement"]
    assert get(n, "/deliveries", status="delivered").json()["count"] == 0
    by_abonnement = get(n, "/deliveries", abonnement=letter["abonnement"]).json()
    assert [d["uuid"] for d in by_abonnement["results"]] == [letter["uuid"]]
    detail = get(n, f"/deliveries/{letter['uuid']}").json()
    assert [a["status_code"] for a in detail["log"]] == [503, 503]
    assert not any(a["success"] for a in detail["log"])

    # The subscriber is back: resend through the control plane, with an Idempotency-Key.
    subscriber.status = 204
    path = n.api(world.tenant_a, f"/deliveries/{letter['uuid']}/resend")
    headers = world.headers("admin_a", **{"Idempotency-Key": "resend-1"})
    first = world.client.post(path, headers=headers)
    assert first.status_code == 202, first.text
    assert first.json()["replayed"] is False
    assert first.json()["delivery"]["state"] == "pending" and first.json()["delivery"]["resends"] == 1
    again = world.client.post(path, headers=headers)
    assert again.status_code == 202 and again.json()["replayed"] is True
    assert again.headers["Idempotent-Replayed"] == "true"
    # Without the key, the runtime refuses a second resend while the first waits: 409, not a second copy.
    pending = world.client.post(path, headers=world.headers("operator"))
    assert pending.status_code == 409 and pending.headers["content-type"] == PROBLEM

    deliver(n.alpha)
    delivered = get(n, f"/deliveries/{letter['uuid']}").json()
    assert delivered["state"] == "delivered" and delivered["resends"] == 1
    assert len(_zaak_notifications(subscriber, 204)) == 1  # delivered exactly once
    assert get(n, "/deliveries", status="dead").json()["count"] == 0

    with world.cp.sessions() as session:
        entries = list(session.scalars(select(AuditEntry).where(AuditEntry.action == "notification.resent")))
    assert len(entries) == 1
    assert entries[0].tenant_id == world.tenant_a.id and entries[0].target_id == letter["uuid"]
    assert entries[0].actor == "admin_a@example.nl"

    # The same key for another request is refused.
    other = world.client.post(n.api(world.tenant_a, f"/deliveries/{letter['abonnement']}/resend"), headers=headers)
    assert other.status_code == 422 and other.json()["code"] == "idempotency-key-reused"


def test_roles_and_tenants(notifying: Notifying) -> None:
    n, world = notifying, notifying.world
    for who in ("operator", "admin_a"):
        assert get(n, "/deliveries", who).status_code == 200, who
        assert get(n, "/subscriptions", who).status_code == 200, who
    finance = get(n, "/deliveries", "finance")
    assert finance.status_code == 403 and finance.headers["content-type"] == PROBLEM
    other = get(n, "/deliveries", "admin_b")  # tenant A is none of B's business
    assert other.status_code == 404 and other.headers["content-type"] == PROBLEM
    resend = world.client.post(n.api(world.tenant_a, f"/deliveries/{UNKNOWN}/resend"), headers=world.headers("admin_b"))
    assert resend.status_code == 404
    assert world.client.get(n.api(world.tenant_a, "/deliveries")).status_code == 401


def test_every_input_is_validated(notifying: Notifying) -> None:
    n, world = notifying, notifying.world
    for params, name in (({"status": "lost"}, "status"), ({"page": "0"}, "page"), ({"abonnement": "x"}, "abonnement")):
        response = get(n, "/deliveries", **params)
        assert response.status_code == 400, response.text
        assert response.headers["content-type"] == PROBLEM
        assert name in {p["name"] for p in response.json()["invalidParams"]}
    unknown = get(n, "/deliveries", abonnement=UNKNOWN)
    assert unknown.status_code == 400 and unknown.json()["invalidParams"][0]["code"] == "does_not_exist"
    assert get(n, "/deliveries/not-a-uuid").status_code in (400, 404)
    missing = get(n, f"/deliveries/{UNKNOWN}")
    assert missing.status_code == 404 and missing.headers["content-type"] == PROBLEM
    resend = world.client.post(
        n.api(world.tenant_a, f"/deliveries/{UNKNOWN}/resend"),
        headers=world.headers("operator", **{"Idempotency-Key": "x" * 201}),
    )
    assert resend.status_code == 400 and resend.json()["code"] == "invalid-idempotency-key"
    inactive = world.client.get(n.api(world.tenant_b, "/deliveries"), headers=world.headers("operator"))
    assert inactive.status_code == 409 and inactive.json()["code"] == "tenant_not_active"


def test_a_refused_platform_token_is_a_502(notifying: Notifying) -> None:
    n, world = notifying, notifying.world
    world.cp.settings.runtime_admin_token = "not-the-runtimes-token"
    response = get(n, "/deliveries")
    assert response.status_code == 502 and response.headers["content-type"] == PROBLEM
    assert response.json()["code"] == "runtime_credential_refused"


def test_unreachable_runtime_is_a_503(tmp_path: Any, postgres_server: PostgresServer) -> None:
    closed = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    settings = make_settings(tmp_path, postgres_server, runtime_pool_routes={"default": closed})
    for world in build_world(settings):
        activate_in_controlplane_only(world)
        response = world.client.get(
            f"/api/v1/tenants/{world.tenant_a.id}/notifications/deliveries", headers=world.headers("admin_a")
        )
        assert response.status_code == 503, response.text
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["code"] == "runtime_unreachable" and response.headers["Retry-After"]
        resend = world.client.post(
            f"/api/v1/tenants/{world.tenant_a.id}/notifications/deliveries/{UNKNOWN}/resend",
            headers=world.headers("operator", **{"Idempotency-Key": "k1"}),
        )
        assert resend.status_code == 503
        with world.cp.sessions() as session:  # nothing recorded for a resend that did not happen
            assert not session.scalars(select(AuditEntry).where(AuditEntry.action == "notification.resent")).all()
