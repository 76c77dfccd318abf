"""The usage ledger: deduplication by event id, aggregates per period with corrections, append-only rows,
drill-down and CSV, and who may read or correct what."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from controlplane.usage import service
from controlplane.usage.models import LedgerIsAppendOnly, UsageEntry
from tenant_runtime.metering.events import Meter
from tests.controlplane.usage.conftest import UsageWorld, calls, client, gauge, hours_ago


def _ledger_count(usage: UsageWorld) -> int:
    with usage.world.cp.sessions() as session:
        return session.scalar(select(func.count()).select_from(UsageEntry)) or 0


def _sample_events(slug: str) -> list[dict[str, object]]:
    h1, h2 = hours_ago(3), hours_ago(2)
    return [
        calls(slug, h1, "zaken", "read", 40),
        calls(slug, h1, "zaken", "write", 5),
        calls(slug, h2, "zaken", "read", 60),
        calls(slug, h2, "documenten", "write", 7),
        calls(slug, h2, "zaken", "read", 3, seq=1),  # a late addition to an hour already shipped
        gauge(slug, h1, Meter.STORED_BYTES, 1000),
        gauge(slug, h2, Meter.STORED_BYTES, 3000),
        gauge(slug, h1, Meter.ZAKEN, 10),
        gauge(slug, h2, Meter.ZAKEN, 12),
        gauge(slug, h1, Meter.DOCUMENTEN, 4),
        gauge(slug, h2, Meter.DOCUMENTEN, 5),
        client(slug, h1, "zaaksysteem"),
        client(slug, h2, "zaaksysteem"),
        client(slug, h2, "dms"),
    ]


def test_ingest_is_deduplicated_by_event_id(usage: UsageWorld) -> None:
    events = _sample_events("alphen")
    first = usage.post(events)
    assert first.status_code == 200, first.text
    assert first.json() == {"accepted": len(events), "duplicates": 0}
    again = usage.post(events)  # a re-shipment after a lost response
    assert again.json() == {"accepted": 0, "duplicates": len(events)}
    mixed = usage.post([*events[:2], calls("alphen", hours_ago(1), "catalogi", "read", 1)])
    assert mixed.json() == {"accepted": 1, "duplicates": 2}
    twice_in_one = usage.post([calls("alphen", hours_ago(1), "besluiten", "read", 2)] * 2)
    assert twice_in_one.json() == {"accepted": 1, "duplicates": 1}
    odd = "app\\met\ttab en é"  # any client id survives the bulk path (binary COPY)
    assert usage.post([client("alphen", hours_ago(1), odd)]).json() == {"accepted": 1, "duplicates": 0}
    assert _ledger_count(usage) == len(events) + 3
    with usage.world.cp.sessions() as session:
        assert session.scalar(select(UsageEntry.client_id).where(UsageEntry.client_id.like("app%"))) == odd


def test_period_usage_sums_counters_gauges_and_clients(usage: UsageWorld) -> None:
    assert usage.post(_sample_events("alphen")).status_code == 200
    assert usage.post([calls("bodegraven", hours_ago(2), "zaken", "read", 999)]).status_code == 200
    tenant = usage.world.tenant_a
    start, end = hours_ago(5), hours_ago(0)
    with usage.world.cp.sessions() as session:
        result = service.period_usage(session, tenant.id, start, end)
        outside = service.period_usage(session, tenant.id, hours_ago(2), hours_ago(0))
    assert result.api_calls == {("zaken", "read"): 103, ("zaken", "write"): 5, ("documenten", "write"): 7}
    assert result.api_calls_total == 115
    assert result.hours == 5 and result.sampled_hours == 2
    assert result.stored_byte_hours == 4000 and result.max_stored_bytes == 3000
    assert (result.zaken, result.documenten) == (12, 5)
    assert result.active_clients == {"zaaksysteem", "dms"}
    assert outside.api_calls_total == 70 and outside.stored_byte_hours == 3000  # [start, end) of hours

    response = usage.world.client.get(
        f"/api/v1/usage/tenants/{tenant.id}",
        params={"start": start.isoformat(), "end": end.isoformat()},
        headers=usage.world.headers("finance"),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["api_calls_total"] == 115 and body["active_clients"] == ["dms", "zaaksysteem"]
    assert {"component": "documenten", "operation": "write", "count": 7} in body["api_calls"]

    fleet = usage.world.client.get(
        "/api/v1/usage/tenants",
        params={"start": start.isoformat(), "end": end.isoformat()},
        headers=usage.world.headers("operator"),
    ).json()
    assert {row["tenant_id"]: row["api_calls_total"] for row in fleet}[str(usage.world.tenant_b.id)] == 999


def test_corrections_are_compensating_entries_included_everywhere(usage: UsageWorld) -> None:
    events = _sample_events("alphen")
    usage.post(events)
    tenant, headers = usage.world.tenant_a, usage.world.headers("operator")
    url = f"/api/v1/usage/tenants/{tenant.id}/corrections"
    reads = events[0]["id"]  # 40 zaken reads in hour 1
    correction_id = str(uuid.uuid4())
    body = {
        "corrects_event_id": reads,
        "quantity": -15,
        "reason": "test traffic of the supplier",
        "event_id": correction_id,
    }
    created = usage.world.client.post(url, json=body, headers=headers)
    assert created.status_code == 201, created.text
    entry = created.json()
    assert entry["kind"] == "correction" and entry["meter"] == "api_calls" and entry["component"] == "zaken"
    assert entry["recorded_by"] == "operator@example.nl" and entry["corrects_event_id"] == reads
    replay = usage.world.client.post(url, json=body, headers=headers)
    assert replay.status_code == 200 and replay.headers["idempotent-replayed"] == "true"
    assert replay.json()["id"] == entry["id"]
    conflict = usage.world.client.post(url, json={**body, "quantity": -1}, headers=headers)
    assert conflict.status_code == 409

    too_much = usage.world.client.post(url, json={**body, "event_id": None, "quantity": -26}, headers=headers)
    assert too_much.status_code == 400
    assert too_much.json()["invalidParams"][0] == {
        "name": "quantity", "code": "min_value", "reason": "Na correctie zou de boeking negatief zijn (-1)."
    }  # fmt: skip
    dropped_client = events[-1]["id"]  # "dms" in hour 2
    removed = usage.world.client.post(
        url, json={"corrects_event_id": dropped_client, "quantity": -1, "reason": "our own monitoring"}, headers=headers
    )
    assert removed.status_code == 201
    twice = usage.world.client.post(
        url, json={"corrects_event_id": dropped_client, "quantity": 2, "reason": "back"}, headers=headers
    )
    assert twice.json()["invalidParams"][0]["code"] == "max_value"
    stored = events[6]["id"]  # stored bytes 3000 in hour 2
    assert usage.world.client.post(
        url, json={"corrects_event_id": stored, "quantity": -1000, "reason": "a test upload"}, headers=headers
    ).status_code == 201  # fmt: skip
    of_correction = usage.world.client.post(
        url, json={"corrects_event_id": correction_id, "quantity": 1, "reason": "x" * 5}, headers=headers
    )
    assert of_correction.json()["invalidParams"][0] == {
        "name": "corrects_event_id",
        "code": "invalid",
        "reason": "Corrigeer de oorspronkelijke boeking, niet een correctie.",
    }
    other_tenant = usage.world.client.post(
        f"/api/v1/usage/tenants/{usage.world.tenant_b.id}/corrections",
        json={"corrects_event_id": reads, "quantity": -1, "reason": "wrong tenant"},
        headers=headers,
    )
    assert other_tenant.json()["invalidParams"][0]["code"] == "does_not_exist"
    for who in ("finance", "admin_a"):
        refused = usage.world.client.post(url, json={**body, "event_id": None}, headers=usage.world.headers(who))
        assert refused.status_code == 403, who

    with usage.world.cp.sessions() as session:
        result = service.period_usage(session, tenant.id, hours_ago(5), hours_ago(0))
    assert result.api_calls[("zaken", "read")] == 103 - 15
    assert result.active_clients == {"zaaksysteem"}  # dms was only active in hour 2, taken back
    assert result.stored_byte_hours == 3000 and result.max_stored_bytes == 2000

    audit = usage.world.client.get("/api/v1/audit", params={"action": "usage.corrected"}, headers=headers).json()
    assert audit["count"] == 3


def test_ledger_is_append_only(usage: UsageWorld) -> None:
    usage.post(_sample_events("alphen"))
    with usage.world.cp.sessions() as session:
        entry = session.scalars(select(UsageEntry)).first()
        assert entry is not None
        entry.quantity = 1
        with pytest.raises(LedgerIsAppendOnly):
            session.flush()
        session.rollback()
        entry = session.scalars(select(UsageEntry)).first()
        session.delete(entry)
        with pytest.raises(LedgerIsAppendOnly):
            session.flush()
        session.rollback()
    with usage.world.cp.engine.connect() as connection:
        for statement in (
            "UPDATE usage_ledger SET quantity = quantity + 1",
            "DELETE FROM usage_ledger",
            "TRUNCATE usage_ledger",
        ):
            with pytest.raises(DBAPIError, match="append-only"):
                connection.execute(text(statement))
            connection.rollback()
    assert _ledger_count(usage) == len(_sample_events("alphen"))


def test_drill_down_and_csv(usage: UsageWorld) -> None:
    usage.post(_sample_events("alphen"))
    tenant = usage.world.tenant_a
    params = {"start": hours_ago(5).isoformat(), "end": hours_ago(0).isoformat()}
    page = usage.world.client.get(
        f"/api/v1/usage/tenants/{tenant.id}/entries",
        params={**params, "meter": "api_calls", "limit": 2},
        headers=usage.world.headers("finance"),
    ).json()
    assert page["count"] == 5 and len(page["results"]) == 2
    assert [r["hour"][:13] for r in page["results"]] == [hours_ago(3).isoformat()[:13]] * 2
    exported = usage.world.client.get(
        f"/api/v1/usage/tenants/{tenant.id}/entries.csv", params=params, headers=usage.world.headers("admin_a")
    )
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert len(rows) == 14 and {r["meter"] for r in rows} == {m.value for m in Meter}
    assert sum(int(r["quantity"]) for r in rows if r["meter"] == "api_calls") == 115


def test_municipality_admin_sees_only_its_own_usage(usage: UsageWorld) -> None:
    usage.post(_sample_events("alphen"))
    own = usage.world.client.get(
        f"/api/v1/usage/tenants/{usage.world.tenant_a.id}", headers=usage.world.headers("admin_a")
    )
    assert own.status_code == 200
    other = usage.world.client.get(
        f"/api/v1/usage/tenants/{usage.world.tenant_a.id}", headers=usage.world.headers("admin_b")
    )
    assert other.status_code == 404
    listed = usage.world.client.get("/api/v1/usage/tenants", headers=usage.world.headers("admin_b")).json()
    assert [row["tenant_id"] for row in listed] == [str(usage.world.tenant_b.id)]
    runtime = usage.world.client.get(
        f"/api/v1/usage/tenants/{usage.world.tenant_a.id}", headers={"Authorization": f"Bearer {usage.shared_token}"}
    )
    assert runtime.status_code == 404  # a runtime account submits usage, it reads nothing


def test_bad_period(usage: UsageWorld) -> None:
    url = f"/api/v1/usage/tenants/{usage.world.tenant_a.id}"
    headers = usage.world.headers("finance")
    reversed_period = usage.world.client.get(
        url, params={"start": hours_ago(0).isoformat(), "end": (hours_ago(0) - timedelta(hours=1)).isoformat()},
        headers=headers,
    )  # fmt: skip
    assert reversed_period.status_code == 400 and reversed_period.json()["invalidParams"][0]["name"] == "end"
    naive = usage.world.client.get(url, params={"start": "2026-01-01T00:00:00"}, headers=headers)
    assert naive.json()["invalidParams"][0] == {
        "name": "start", "code": "invalid", "reason": "Geef een tijdstip met tijdzone (bijv. 2026-11-01T00:00Z)."
    }  # fmt: skip
    garbage = usage.world.client.get(url, params={"start": "gisteren"}, headers=headers)
    assert garbage.status_code == 400 and garbage.json()["invalidParams"][0]["name"] == "start"
