"""``POST /api/v1/usage/events``: only runtime service accounts, only for tenants they serve, every field
validated (problem+json with invalidParams), all or nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from controlplane.usage.models import UsageEntry
from tenant_runtime.metering.events import Meter
from tests.controlplane.usage.conftest import UsageWorld, calls, client, gauge, hours_ago


def _count(usage: UsageWorld) -> int:
    with usage.world.cp.sessions() as session:
        return session.scalar(select(func.count()).select_from(UsageEntry)) or 0


def _good() -> dict[str, Any]:
    return calls("alphen", hours_ago(1), "zaken", "read", 3)


FIELD_CASES: list[tuple[dict[str, Any], str, str]] = [
    ({"meter": "cpu_seconds"}, "events.0.meter", "invalid_choice"),
    ({"component": "verzoeken"}, "events.0.component", "invalid_choice"),
    ({"operation": ""}, "events.0.operation", "required"),
    ({"operation": "delete"}, "events.0.operation", "invalid_choice"),
    ({"client_id": "app"}, "events.0.client_id", "not_allowed"),
    ({"hour": "2026-11-26T10:30:00Z"}, "events.0.hour", "invalid"),
    ({"hour": "2026-11-26T10:00:00"}, "events.0.hour", "timezone_aware"),
    ({"hour": "2026-11-26T11:00:00+01:00"}, "events.0.hour", "invalid"),
    ({"hour": "gisteren"}, "events.0.hour", "invalid"),
    ({"hour": (hours_ago(-2)).isoformat()}, "events.0.hour", "future"),
    ({"hour": (hours_ago(24 * 401)).isoformat()}, "events.0.hour", "too_old"),
    ({"quantity": -1}, "events.0.quantity", "min_value"),
    ({"quantity": 0}, "events.0.quantity", "min_value"),
    ({"quantity": "veel"}, "events.0.quantity", "invalid"),
    ({"quantity": None}, "events.0.quantity", "null"),
    ({"tenant": "Not A Slug"}, "events.0.tenant", "invalid"),
    ({"id": "not-a-uuid"}, "events.0.id", "invalid"),
    ({"extra": 1}, "events.0.extra", "extra_forbidden"),
]
METER_CASES: list[tuple[dict[str, Any], str, str]] = [
    (gauge("alphen", hours_ago(1), Meter.ZAKEN, 3) | {"component": "zaken"}, "events.0.component", "not_allowed"),
    (gauge("alphen", hours_ago(1), Meter.ZAKEN, 3) | {"operation": "read"}, "events.0.operation", "not_allowed"),
    (client("alphen", hours_ago(1), "app") | {"client_id": ""}, "events.0.client_id", "required"),
    (client("alphen", hours_ago(1), "app") | {"quantity": 2}, "events.0.quantity", "invalid"),
    (calls("alphen", hours_ago(1), "zaken", "read", 1) | {"component": ""}, "events.0.component", "invalid_choice"),
]


def test_event_validation(usage: UsageWorld) -> None:
    """Every field is checked, and consistently with its meter (one control plane for all cases: fast)."""
    cases = [({**_good(), **change}, name, code) for change, name, code in FIELD_CASES] + METER_CASES
    for event, name, code in cases:
        response = usage.post([event])
        assert response.status_code == 400, (event, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        params = {p["name"]: p["code"] for p in response.json()["invalidParams"]}
        assert params.get(name) == code, (event, response.text)
    assert _count(usage) == 0


def test_batch_shape(usage: UsageWorld) -> None:
    empty = usage.post([])
    assert empty.status_code == 400 and empty.json()["invalidParams"][0] == {
        "name": "events", "code": "min_length", "reason": "List should have at least 1 item after validation, not 0"
    }  # fmt: skip
    not_json = usage.world.client.post(
        "/api/v1/usage/events", content=b"{", headers={"Authorization": f"Bearer {usage.shared_token}",
                                                      "Content-Type": "application/json"}
    )  # fmt: skip
    assert not_json.status_code == 400
    usage.world.cp.settings.usage_max_batch_events = 3
    too_many = usage.post([calls("alphen", hours_ago(1), "zaken", "read", n) for n in range(1, 5)])
    assert too_many.status_code == 400 and too_many.json()["invalidParams"][0]["code"] == "max_length"
    clash = usage.post([_good(), {**_good(), "quantity": 4}])
    assert clash.json()["invalidParams"] == [
        {"name": "events.1.id", "code": "duplicate", "reason": "Dit id staat al met andere inhoud in de aanlevering."}
    ]
    one_bad = usage.post([_good(), {**_good(), "id": calls("alphen", hours_ago(2), "zaken", "read", 1)["id"],
                                    "hour": hours_ago(-3).isoformat()}])  # fmt: skip
    assert one_bad.status_code == 400 and _count(usage) == 0  # all or nothing


def test_only_runtime_accounts_submit(usage: UsageWorld) -> None:
    anonymous = usage.world.client.post("/api/v1/usage/events", json={"events": [_good()]})
    assert anonymous.status_code == 401
    bad_token = usage.post([_good()], token="zgwcp_unknown")
    assert bad_token.status_code == 401
    for who in ("operator", "finance", "admin_a"):
        response = usage.world.client.post(
            "/api/v1/usage/events", json={"events": [_good()]}, headers=usage.world.headers(who)
        )
        assert response.status_code == 403 and response.json()["code"] == "permission_denied", who
    assert _count(usage) == 0


def test_runtime_submits_only_for_tenants_it_serves(usage: UsageWorld) -> None:
    dedicated_event = calls(usage.dedicated.slug, hours_ago(1), "zaken", "read", 1)
    shared_on_dedicated = usage.post([_good(), dedicated_event])
    assert shared_on_dedicated.status_code == 403
    assert shared_on_dedicated.json()["code"] == "tenant_not_served"
    assert shared_on_dedicated.json()["invalidParams"] == [
        {"name": "events.tenant", "code": "tenant_not_served", "reason": "dedicatedstad"}
    ]
    unknown = usage.post([calls("nergenshuizen", hours_ago(1), "zaken", "read", 1)])
    assert unknown.status_code == 403 and unknown.json()["code"] == "tenant_not_served"
    dedicated_on_shared = usage.post([_good()], token=usage.dedicated_token)
    assert dedicated_on_shared.status_code == 403
    assert _count(usage) == 0
    assert usage.post([dedicated_event], token=usage.dedicated_token).json() == {"accepted": 1, "duplicates": 0}
    assert usage.post([_good()]).json() == {"accepted": 1, "duplicates": 0}


def test_revoked_runtime_token_is_refused(usage: UsageWorld) -> None:
    from controlplane.accounts.actors import SYSTEM
    from controlplane.usage import service

    with usage.world.cp.sessions() as session:
        user = service.ensure_runtime_account(session, SYSTEM, "shared-v1")
        fresh = service.issue_runtime_token(session, SYSTEM, user, "tests", replace=True)
        session.commit()
    assert usage.post([_good()]).status_code == 401
    assert usage.post([_good()], token=fresh).status_code == 200
