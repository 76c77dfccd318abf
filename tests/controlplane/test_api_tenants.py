"""Tenants API: precise validation errors, Idempotency-Key semantics, lifecycle state rules, audit entries."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import text

from controlplane.audit.models import AuditEntry, AuditLogIsAppendOnly
from controlplane.jobs.models import Job
from tests.controlplane.conftest import World

VALID = {"name": "Gemeente Zoeterwoude", "gemeentecode": "0638", "rsin": "001589623", "inhabitants": 8500,
         "plan": "basis"}  # fmt: skip


def _invalid(response: Any) -> dict[str, str]:
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 400 and body["code"] == "invalid"
    return {p["name"]: p["code"] for p in body["invalidParams"]}


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"rsin": "001589624"}, "rsin", "invalid-rsin"),
        ({"rsin": "12345"}, "rsin", "invalid-length"),
        ({"gemeentecode": "12a4"}, "gemeentecode", "invalid-gemeentecode"),
        ({"gemeentecode": "12345"}, "gemeentecode", "invalid-gemeentecode"),
        ({"oin": "123"}, "oin", "invalid-oin"),
        ({"inhabitants": 0}, "inhabitants", "min_value"),
        ({"inhabitants": "veel"}, "inhabitants", "invalid"),
        ({"slug": "Hoofd Letters"}, "slug", "invalid-slug"),
        ({"slug": "api"}, "slug", "reserved-slug"),
        ({"tier": "gold"}, "tier", "invalid_choice"),
        ({"tier": "dedicated"}, "tier", "unavailable-tier"),  # the local driver serves the shared tier only
        ({"plan": "onbekend"}, "plan", "does_not_exist"),
        ({"gemeentecode": "0484"}, "gemeentecode", "unique"),  # tenant A's code
        ({"slug": "alphen"}, "slug", "unique"),
        ({"unknown": 1}, "unknown", "extra_forbidden"),
        ({"maintenance_window": {"weekday": 8, "start": "02:00", "duration_minutes": 60}},
         "maintenance_window.weekday", "max_value"),
    ],
)  # fmt: skip
def test_onboard_validation(world: World, change: dict[str, Any], field: str, code: str) -> None:
    response = world.client.post("/api/v1/tenants", json={**VALID, **change}, headers=world.headers("operator"))
    assert _invalid(response).get(field) == code
    assert world.dispatched.jobs == []


def test_onboard_missing_fields(world: World) -> None:
    response = world.client.post("/api/v1/tenants", json={}, headers=world.headers("operator"))
    params = _invalid(response)
    assert {params[f] for f in ("name", "gemeentecode", "rsin", "inhabitants", "plan")} == {"required"}


def test_onboard_creates_tenant_and_job_and_audit(world: World) -> None:
    response = world.client.post(
        "/api/v1/tenants", json=VALID, headers=world.headers("operator", **{"X-Request-Id": "req-42"})
    )
    assert response.status_code == 201
    body = response.json()
    assert body["tenant"]["slug"] == "zoeterwoude" and body["tenant"]["status"] == "requested"
    assert body["job"]["kind"] == "provision" and body["job"]["status"] == "queued" and body["job"]["steps_total"] == 8
    assert [str(j) for j in world.dispatched.jobs] == [body["job"]["id"]]  # enqueued once, after commit
    audit = world.client.get("/api/v1/audit?action=tenant.created", headers=world.headers("operator")).json()
    entry = audit["results"][0]
    assert entry["actor"] == "operator@example.nl" and entry["via"] == "token" and entry["request_id"] == "req-42"
    assert entry["after"]["gemeentecode"] == "0638" and entry["before"] is None
    assert "platform_secret_encrypted" not in entry["after"]


def test_same_idempotency_key_same_job(world: World) -> None:
    headers = world.headers("operator", **{"Idempotency-Key": "onboard-zoeterwoude"})
    first = world.client.post("/api/v1/tenants", json=VALID, headers=headers)
    second = world.client.post("/api/v1/tenants", json=VALID, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json()["job"]["id"] == second.json()["job"]["id"]
    assert second.headers["Idempotent-Replayed"] == "true"
    assert len(world.dispatched.jobs) == 1
    other = world.client.post("/api/v1/tenants", json={**VALID, "inhabitants": 9000}, headers=headers)
    assert other.status_code == 422 and other.json()["code"] == "idempotency-key-reused"
    # Keys are per user: another operator's identical key is a new request.
    listed = world.client.get("/api/v1/tenants", headers=world.headers("operator")).json()
    assert [t["slug"] for t in listed["results"]].count("zoeterwoude") == 1


def test_lifecycle_action_idempotency_and_state_rules(world: World) -> None:
    tenant = world.tenant_a.id
    headers = world.headers("operator", **{"Idempotency-Key": "provision-a"})
    first = world.client.post(f"/api/v1/tenants/{tenant}/provision", headers=headers)
    again = world.client.post(f"/api/v1/tenants/{tenant}/provision", headers=headers)
    assert first.status_code == again.status_code == 202 and first.json()["id"] == again.json()["id"]
    busy = world.client.post(f"/api/v1/tenants/{tenant}/provision", headers=world.headers("operator"))
    assert busy.status_code == 409 and busy.json()["code"] == "job-in-progress"
    wrong = world.client.post(f"/api/v1/tenants/{world.tenant_b.id}/resume", headers=world.headers("operator"))
    assert wrong.status_code == 409 and wrong.json()["code"] == "invalid-state"
    too_long = world.client.post(
        f"/api/v1/tenants/{world.tenant_b.id}/provision",
        headers=world.headers("operator", **{"Idempotency-Key": "x" * 300}),
    )
    assert too_long.status_code == 400 and too_long.json()["code"] == "invalid-idempotency-key"
    assert len(world.dispatched.jobs) == 1
    with world.cp.sessions() as session:
        assert session.query(Job).count() == 1


def test_patch_tenant(world: World) -> None:
    tenant = world.tenant_a.id
    empty = world.client.patch(f"/api/v1/tenants/{tenant}", json={}, headers=world.headers("operator"))
    assert _invalid(empty) == {"nonFieldErrors": "empty"}
    changed = world.client.patch(
        f"/api/v1/tenants/{tenant}", json={"plan": "plus", "inhabitants": 11000}, headers=world.headers("operator")
    )
    assert changed.status_code == 200 and changed.json()["plan"] == "plus"
    entry = world.client.get("/api/v1/audit?action=tenant.updated", headers=world.headers("operator")).json()
    assert entry["results"][0]["before"]["inhabitants"] == 10000
    assert entry["results"][0]["after"]["inhabitants"] == 11000


def test_audit_log_is_append_only(world: World) -> None:
    world.client.post("/api/v1/tenants", json=VALID, headers=world.headers("operator"))
    with world.cp.sessions() as session:
        entry = session.query(AuditEntry).first()
        assert entry is not None
        entry.action = "rewritten"
        with pytest.raises(AuditLogIsAppendOnly):
            session.flush()
    with world.cp.engine.connect() as connection, pytest.raises(Exception, match="append-only"):
        connection.execute(text("DELETE FROM audit_log"))


def test_concurrent_onboarding_with_one_key_makes_one_tenant(world: World) -> None:
    headers = world.headers("operator", **{"Idempotency-Key": "race"})
    with ThreadPoolExecutor(4) as pool:
        responses = list(
            pool.map(lambda _: world.client.post("/api/v1/tenants", json=VALID, headers=headers), range(4))
        )
    assert {r.status_code for r in responses} == {201}, [r.text for r in responses]
    assert len({r.json()["job"]["id"] for r in responses}) == 1
    with world.cp.sessions() as session:
        assert session.query(Job).count() == 1
