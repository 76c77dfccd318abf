"""The metering outbox of a tenant database: sealing closed hours with deterministic event ids, late additions,
hourly gauge samples (backfilled, each stored content once), the batches to ship, and retention."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from tenant_runtime.metering import service
from tenant_runtime.metering.events import Meter, event_id, hour_of
from tenant_runtime.metering.meter import TenantCounts
from tenant_runtime.metering.models import MeteringRecord
from tests.tenant_runtime.conftest import ZgwRuntime, ZgwTenant
from tests.tenant_runtime.documenten.conftest import Drc

H0 = hour_of(datetime.now(UTC)) - timedelta(hours=5)
N0 = int(H0.timestamp()) // 3600


def _counts(tenant: ZgwTenant, calls: dict[tuple[int, str, str], int], clients: set[tuple[int, str]]) -> TenantCounts:
    return TenantCounts(tenant.info, dict(calls), set(clients))


def _rows(tenant: ZgwTenant) -> list[MeteringRecord]:
    with tenant.session() as session:
        return list(session.scalars(select(MeteringRecord).order_by(MeteringRecord.id)))


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def test_seal_gives_deterministic_ids_and_late_additions_a_next_sequence(alpha: ZgwTenant) -> None:
    with alpha.session() as session:
        service.flush(session, _counts(alpha, {(N0, "zaken", "read"): 5, (N0 + 1, "zaken", "read"): 2},
                                       {(N0, "app-1"), (N0 + 1, "app-1")}))  # fmt: skip
        service.flush(session, _counts(alpha, {(N0, "zaken", "read"): 3}, {(N0, "app-1"), (N0, "app-2")}))
        sealed = service.seal(session, "alpha", H0 + timedelta(hours=1))  # closes H0 only
    rows = {(r.meter, r.client_id, _utc(r.hour)): r for r in _rows(alpha)}
    reads = rows[("api_calls", "", H0)]
    assert reads.quantity == 8 and reads.seq == 0
    assert reads.event_id == event_id("alpha", Meter.API_CALLS, H0, "zaken", "read")
    assert rows[("active_client", "app-2", H0)].event_id == event_id(
        "alpha", Meter.ACTIVE_CLIENT, H0, client_id="app-2"
    )
    assert rows[("api_calls", "", H0 + timedelta(hours=1))].event_id is None  # still open
    gauges = {
        r.meter: r.quantity
        for r in _rows(alpha)
        if r.meter in {m.value for m in Meter} - {"api_calls", "active_client"}
    }
    assert gauges == {"stored_bytes": 0, "zaken": 0, "documenten": 0}
    assert sealed == 3 + 3  # reads, two client marks, three gauges of H0

    with alpha.session() as session:  # a process flushes late: counts for the sealed hour H0 arrive now
        service.flush(session, _counts(alpha, {(N0, "zaken", "read"): 4}, {(N0, "app-1"), (N0, "app-3")}))
        service.seal(session, "alpha", H0 + timedelta(hours=1))
        again = service.seal(session, "alpha", H0 + timedelta(hours=1))
    assert again == 0  # sealing is idempotent
    late = [r for r in _rows(alpha) if r.meter == "api_calls" and _utc(r.hour) == H0]
    assert [(r.quantity, r.seq) for r in late] == [(8, 0), (4, 1)]
    assert late[1].event_id == event_id("alpha", Meter.API_CALLS, H0, "zaken", "read", seq=1) != late[0].event_id
    marks = sorted(r.client_id for r in _rows(alpha) if r.meter == "active_client" and _utc(r.hour) == H0)
    assert marks == ["app-1", "app-2", "app-3"]  # app-1 is not marked twice for H0


def test_gauges_are_backfilled_per_hour_and_count_each_content_once(zgw: ZgwRuntime, alpha: ZgwTenant) -> None:
    drc = Drc(alpha, zgw.tenants["beta"], zgw.runtime.settings, zgw.client)
    headers = alpha.superuser()
    iot = drc.iot()
    document = drc.create(headers, iot, content=b"x" * 1000)
    drc.create(headers, iot, content=b"y" * 500)
    drc.create(headers, iot, content=None)
    lock = drc.lock(document["url"], headers)  # a new version with only new metadata shares the content
    patched = zgw.client.patch(document["url"], json={"titel": "Nieuw", "lock": lock}, headers=headers)
    assert patched.status_code == 200, patched.text
    assert zgw.client.post(f"{document['url']}/unlock", json={"lock": lock}, headers=headers).status_code == 204
    with alpha.session() as session:
        assert service.sample_gauges(session) == {Meter.STORED_BYTES: 1500, Meter.ZAKEN: 0, Meter.DOCUMENTEN: 3}
        service.flush(session, _counts(alpha, {(N0, "documenten", "write"): 1}, set()))
        service.seal(session, "alpha", H0 + timedelta(hours=3))  # H0 (first metered hour) .. H0+2
        service.seal(session, "alpha", H0 + timedelta(hours=5))  # H0+3, H0+4
    stored = [(_utc(r.hour), r.quantity, r.event_id) for r in _rows(alpha) if r.meter == "stored_bytes"]
    assert [(h, q) for h, q, _ in stored] == [(H0 + timedelta(hours=n), 1500) for n in range(5)]
    assert all(e == event_id("alpha", Meter.STORED_BYTES, h) for h, _, e in stored)


def test_unshipped_batches_mark_shipped_and_retention(alpha: ZgwTenant) -> None:
    with alpha.session() as session:
        service.flush(session, _counts(alpha, {(N0, c, "read"): 1 for c in ("zaken", "catalogi", "besluiten")}, set()))
        service.seal(session, "alpha", H0 + timedelta(hours=1))
        ids, events = service.unshipped(session, "alpha", 4)
        assert len(ids) == 4 and service.count_unshipped(session) == 6
        assert events[0] == {
            "id": str(event_id("alpha", Meter.API_CALLS, H0, "besluiten", "read")),
            "tenant": "alpha", "meter": "api_calls", "component": "besluiten", "operation": "read",
            "client_id": "", "hour": H0.strftime("%Y-%m-%dT%H:00:00Z"), "quantity": 1,
        }  # fmt: skip
        service.mark_shipped(session, ids)
        rest, _ = service.unshipped(session, "alpha", 100)
        assert len(rest) == 2 and not set(rest) & set(ids)
        service.mark_rejected(session, rest, "HTTP 403: tenant_not_served")
        assert service.count_unshipped(session) == 2  # refused rows stay and are retried
        assert service.purge_shipped(session, retention_days=35) == 0
        session.execute(
            update(MeteringRecord)
            .where(MeteringRecord.id.in_(ids))
            .values(shipped_at=datetime.now(UTC) - timedelta(days=36))
        )
        session.commit()
        assert service.purge_shipped(session, retention_days=35) == 4
    assert {r.last_error for r in _rows(alpha)} == {"HTTP 403: tenant_not_served"}
