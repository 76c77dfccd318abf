"""The metering test of issue 8, end to end: a real runtime (two tenants on PostgreSQL) ships to a real control
plane over HTTP. Known API calls of each kind, a runtime restart in the middle of an hour, the control plane down
while hours close and then up, and a re-shipment of everything already booked — and the ledger holds exactly the
expected rows: nothing lost, nothing counted twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from controlplane.main import create_app as create_controlplane
from controlplane.tenants.models import Tenant
from controlplane.usage import service as ledger
from tenant_runtime.metering import metrics
from tenant_runtime.metering.events import hour_of
from tenant_runtime.metering.models import MeteringRecord
from tests.fixtures.services import PostgresServer
from tests.tenant_runtime.documenten.conftest import Drc
from tests.tenant_runtime.live import serve
from tests.tenant_runtime.metering.conftest import World, outbox_session, wait_until
from tests.tenant_runtime.zaken.conftest import CRS, RSIN, make_catalog

H0 = hour_of(datetime.now(UTC)) - timedelta(hours=3)
H1, H2 = H0 + timedelta(hours=1), H0 + timedelta(hours=2)
CONTENT = b"inhoud " * 300


def _calls(http: TestClient, url: str, headers: dict[str, str] | None, times: int, method: str = "GET",
           json: Any = None, status: int = 200) -> list[Any]:  # fmt: skip
    results = []
    for _ in range(times):
        response = http.request(method, url, headers={**CRS, **(headers or {})}, json=json)
        assert response.status_code == status, (method, url, response.text)
        results.append(response.json() if response.content else None)
    return results


def _zaak(zaaktype: str) -> dict[str, str]:
    return {
        "zaaktype": zaaktype,
        "bronorganisatie": RSIN,
        "verantwoordelijkeOrganisatie": RSIN,
        "startdatum": "2024-03-01",
    }


def test_known_calls_become_exactly_the_expected_ledger_rows(tmp_path: Path, postgres_server: PostgresServer) -> None:
    world = World(tmp_path, postgres_server, H0 + timedelta(minutes=10))
    quiet = {"metering_flush_seconds": 60.0, "metering_ship_seconds": 60.0, "metering_seal_grace_seconds": 150.0}
    busy = {"metering_flush_seconds": 0.05, "metering_ship_seconds": 0.05, "metering_seal_grace_seconds": 1.0,
            "metering_retry_base_seconds": 0.2, "metering_retry_max_seconds": 0.5}  # fmt: skip

    # Runtime process 1, hour H0. Its counts only leave memory with the flush at shutdown.
    with world.runtime(**quiet) as (runtime, http, zgw):
        alpha, beta = zgw["alpha"], zgw["beta"]
        a1 = alpha.headers_for(heeft_alle_autorisaties=True, client_id="alpha-zaaksysteem")
        b1 = beta.headers_for(heeft_alle_autorisaties=True, client_id="beta-dms")
        alpha_zaaktype, beta_zaaktype = make_catalog(alpha).zaaktype, make_catalog(beta).zaaktype
        zaken = alpha.api("zaken")
        created = _calls(http, f"{zaken}/zaken", a1, 2, "POST", _zaak(alpha_zaaktype), 201)
        _calls(http, f"{zaken}/zaken", a1, 3)
        _calls(http, f"{zaken}/zaken/_zoek", a1, 2, "POST", {})
        _calls(http, created[0]["url"], a1, 1, "PATCH", {"toelichting": "bijgewerkt"})
        drc = Drc(alpha, beta, runtime.settings, http)
        document = drc.create(a1, drc.iot(alpha), content=CONTENT)
        _calls(http, document["url"], a1, 2)
        _calls(http, f"{alpha.api('catalogi')}/zaaktypen", a1, 1)
        _calls(http, f"{alpha.api('referentielijsten')}/procestypen", None, 1)  # public API: no client
        _calls(http, f"{zaken}/zaken", None, 1, status=403)  # no credentials: not counted
        beta_zaak = _calls(http, f"{beta.api('zaken')}/zaken", b1, 1, "POST", _zaak(beta_zaaktype), 201)[0]
        _calls(http, beta_zaak["url"], b1, 1)
        _calls(http, f"{beta.api('notificaties')}/kanaal", b1, 1)
        assert runtime.meter.pending() == 16 and not world.outbox_rows(runtime, "alpha")
    assert sum(r.quantity for r in world.outbox_rows(runtime, "alpha") if r.meter == "api_calls") == 13

    # Runtime process 2 (the restart), still in H0, then H1 — while the control plane is down.
    unavailable_before = metrics.SHIPMENTS.labels("unavailable")._value.get()
    with world.runtime(**busy) as (runtime, http, zgw):
        alpha, beta = zgw["alpha"], zgw["beta"]
        a2 = alpha.headers_for(heeft_alle_autorisaties=True, client_id="alpha-portaal")
        _calls(http, f"{alpha.api('zaken')}/zaken", a2, 2)
        _calls(http, created[1]["url"], a2, 1, "HEAD")
        wait_until(lambda: runtime.meter.pending() == 0, "the flush of H0")
        world.clock.set(H1 + timedelta(minutes=5))
        _calls(http, f"{alpha.api('zaken')}/zaken", a1, 1)
        _calls(http, f"{beta.api('zaken')}/zaken", b1, 4)
        wait_until(lambda: runtime.meter.pending() == 0, "the flush of H1")
        world.clock.set(H2 + timedelta(seconds=5))  # H0 and H1 are closed now

        def sealed(slug: str, gauges: int) -> bool:
            rows = world.outbox_rows(runtime, slug)
            return all(r.event_id is not None for r in rows) and sum(r.meter == "zaken" for r in rows) == gauges

        wait_until(lambda: sealed("alpha", 2) and sealed("beta", 2), "H0 and H1 sealed with their gauges")
        wait_until(lambda: metrics.SHIPMENTS.labels("unavailable")._value.get() >= unavailable_before + 3, "retries")
        assert not any(r.shipped_at for slug in ("alpha", "beta") for r in world.outbox_rows(runtime, slug))
        assert world.ledger_rows() == set()

        # The control plane comes up: the retries deliver everything.
        with serve(create_controlplane(world.cp_settings, controlplane=world.cp), port=world.port):
            wait_until(lambda: world.all_shipped(runtime), "every event shipped")
            booked = world.ledger_rows()

            # Every confirmation is lost (as if the process died before recording them): all is shipped again.
            for slug in ("alpha", "beta"):
                with outbox_session(runtime, world.database_urls[slug]) as session:
                    session.execute(update(MeteringRecord).values(shipped_at=None))
                    session.commit()
            shipped_before = metrics.EVENTS_SHIPPED._value.get()
            wait_until(lambda: metrics.EVENTS_SHIPPED._value.get() >= shipped_before + len(booked), "the re-shipment")
            wait_until(lambda: world.all_shipped(runtime), "every event confirmed again")
            assert world.ledger_rows() == booked

    def calls(slug: str, hour: datetime, component: str, operation: str, n: int) -> tuple[Any, ...]:
        return (slug, "api_calls", component, operation, "", hour, n)

    def client(slug: str, hour: datetime, client_id: str) -> tuple[Any, ...]:
        return (slug, "active_client", "", "", client_id, hour, 1)

    def gauges(slug: str, hour: datetime, stored: int, zaken: int, documenten: int) -> set[tuple[Any, ...]]:
        return {(slug, "stored_bytes", "", "", "", hour, stored), (slug, "zaken", "", "", "", hour, zaken),
                (slug, "documenten", "", "", "", hour, documenten)}  # fmt: skip

    expected = {
        calls("alpha", H0, "zaken", "write", 3),  # 2 creates + 1 partial update
        calls("alpha", H0, "zaken", "read", 8),  # 3 lists + 2 _zoek (process 1), 2 lists + 1 HEAD (process 2)
        calls("alpha", H0, "documenten", "write", 1),
        calls("alpha", H0, "documenten", "read", 2),
        calls("alpha", H0, "catalogi", "read", 1),
        calls("alpha", H0, "referentielijsten", "read", 1),
        client("alpha", H0, "alpha-zaaksysteem"),
        client("alpha", H0, "alpha-portaal"),
        *gauges("alpha", H0, len(CONTENT), 2, 1),
        calls("alpha", H1, "zaken", "read", 1),
        client("alpha", H1, "alpha-zaaksysteem"),
        *gauges("alpha", H1, len(CONTENT), 2, 1),
        calls("beta", H0, "zaken", "write", 1),
        calls("beta", H0, "zaken", "read", 1),
        calls("beta", H0, "notificaties", "read", 1),
        client("beta", H0, "beta-dms"),
        *gauges("beta", H0, 0, 1, 0),
        calls("beta", H1, "zaken", "read", 4),
        client("beta", H1, "beta-dms"),
        *gauges("beta", H1, 0, 1, 0),
    }
    assert booked == expected

    with world.cp.sessions() as session:
        alpha_id = session.scalar(select(Tenant.id).where(Tenant.slug == "alpha"))
        assert alpha_id is not None
        usage = ledger.period_usage(session, alpha_id, H0, H2)
    assert usage.api_calls_total == 17 and usage.api_calls[("zaken", "read")] == 9
    assert usage.stored_byte_hours == 2 * len(CONTENT) and (usage.zaken, usage.documenten) == (2, 1)
    assert usage.active_clients == {"alpha-zaaksysteem", "alpha-portaal"}
    world.cp.close()
