"""Counting in the runtime: which requests count as API calls (component, read/write), which clients are active,
and the flush of the in-memory counts into the tenant's metering outbox (restored when the database fails)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from tenant_runtime.metering.events import Operation, hour_of, operation_of
from tenant_runtime.metering.middleware import component_of
from tenant_runtime.metering.models import MeteringRecord
from tenant_runtime.metering.runner import flush_all
from tests.tenant_runtime.conftest import ZgwRuntime, ZgwTenant

CRS = {"Accept-Crs": "EPSG:4326", "Content-Crs": "EPSG:4326"}


@pytest.mark.parametrize(
    ("method", "path", "operation"),
    [
        ("GET", "/zaken/api/v1/zaken", Operation.READ),
        ("HEAD", "/zaken/api/v1/zaken/1", Operation.READ),
        ("OPTIONS", "/zaken/api/v1/zaken", Operation.READ),
        ("POST", "/zaken/api/v1/zaken/_zoek", Operation.READ),
        ("POST", "/documenten/api/v1/enkelvoudiginformatieobjecten/_zoek/", Operation.READ),
        ("POST", "/zaken/api/v1/zaken", Operation.WRITE),
        ("PUT", "/zaken/api/v1/zaken/1", Operation.WRITE),
        ("PATCH", "/zaken/api/v1/zaken/1", Operation.WRITE),
        ("DELETE", "/zaken/api/v1/zaken/1", Operation.WRITE),
        ("POST", "/documenten/api/v1/enkelvoudiginformatieobjecten/1/lock", Operation.WRITE),
    ],
)
def test_operation_class(method: str, path: str, operation: Operation) -> None:
    assert operation_of(method, path) is operation


@pytest.mark.parametrize(
    ("path", "component"),
    [
        ("/zaken/api/v1/zaken", "zaken"),
        ("/referentielijsten/api/v1/procestypen", "referentielijsten"),
        ("/notificaties/api/v1/kanaal", "notificaties"),
        ("/zaken/api/v1/schema/openapi.yaml", None),
        ("/beheer/notificaties/deliveries", None),
        ("/zaken", None),
        ("/verzoeken/api/v1/verzoeken", None),
        ("/", None),
    ],
)
def test_component_of(path: str, component: str | None) -> None:
    assert component_of(path) == component


def _open_rows(tenant: ZgwTenant) -> dict[tuple[str, str, str, str], int]:
    with tenant.session() as session:
        rows = session.scalars(select(MeteringRecord).where(MeteringRecord.event_id.is_(None)))
        return {(r.meter, r.component, r.operation, r.client_id): r.quantity for r in rows}


def test_calls_are_counted_per_tenant_component_operation_and_client(
    zgw: ZgwRuntime, alpha: ZgwTenant, beta: ZgwTenant
) -> None:
    http = zgw.client
    reader = alpha.headers_for(heeft_alle_autorisaties=True, client_id="zaaksysteem")
    other = beta.headers_for(heeft_alle_autorisaties=True, client_id="beta-app")
    calls: list[tuple[str, str, dict[str, str] | None, dict[str, Any] | None, int]] = [
        ("GET", f"{alpha.api('zaken')}/zaken", reader, None, 200),
        ("GET", f"{alpha.api('zaken')}/zaken", reader, None, 200),
        ("GET", f"{alpha.api('catalogi')}/zaaktypen", reader, None, 200),
        ("POST", f"{alpha.api('zaken')}/zaken/_zoek", reader, {}, 200),
        ("POST", f"{alpha.api('zaken')}/zaken", reader, {}, 400),  # a refused write is still a call
        ("HEAD", f"{alpha.api('zaken')}/zaken/00000000-0000-0000-0000-000000000000", reader, None, 404),
        ("GET", f"{alpha.api('referentielijsten')}/procestypen", None, None, 200),  # public: no client
        ("GET", f"{alpha.api('zaken')}/zaken", None, None, 403),  # no credentials: not counted
        ("GET", f"{alpha.api('zaken')}/zaken", {"Authorization": "Bearer nonsense"}, None, 403),  # not counted
        ("GET", f"{alpha.api('zaken')}/schema/openapi.yaml", None, None, 200),  # documentation: not counted
        ("GET", f"{beta.api('notificaties')}/kanaal", other, None, 200),
    ]
    for method, url, headers, body, status in calls:
        response = http.request(method, url, headers={**CRS, **(headers or {})}, json=body)
        assert response.status_code == status, (method, url, response.text)
    flush_all(zgw.runtime)
    assert _open_rows(alpha) == {
        ("api_calls", "zaken", "read", ""): 4,
        ("api_calls", "zaken", "write", ""): 1,
        ("api_calls", "catalogi", "read", ""): 1,
        ("api_calls", "referentielijsten", "read", ""): 1,
        ("active_client", "", "", "zaaksysteem"): 1,
    }
    assert _open_rows(beta) == {("api_calls", "notificaties", "read", ""): 1, ("active_client", "", "", "beta-app"): 1}

    http.get(f"{alpha.api('zaken')}/zaken", headers={**CRS, **reader})  # a second flush adds to the same open rows
    flush_all(zgw.runtime)
    rows = _open_rows(alpha)
    assert rows[("api_calls", "zaken", "read", "")] == 5 and rows[("active_client", "", "", "zaaksysteem")] == 1
    with alpha.session() as session:
        hours = {r.hour for r in session.scalars(select(MeteringRecord))}
    assert {h.replace(tzinfo=UTC) if h.tzinfo is None else h for h in hours} == {hour_of(datetime.now(UTC))}


def test_counts_of_a_failing_database_stay_in_memory(zgw: ZgwRuntime, alpha: ZgwTenant) -> None:
    headers = alpha.superuser()
    for _ in range(3):
        assert zgw.client.get(f"{alpha.api('zaken')}/zaken", headers={**CRS, **headers}).status_code == 200
    meter = zgw.runtime.meter
    taken = meter.drain()
    broken = [dataclasses.replace(c, tenant=dataclasses.replace(c.tenant, database_url="postgresql://x@127.0.0.1:1/x"))
              for c in taken]  # fmt: skip
    for counts in broken:
        meter.restore(counts)
    assert flush_all(zgw.runtime) == 0
    assert meter.pending() == 3  # nothing lost: written with the next flush
    for counts in meter.drain():
        meter.restore(dataclasses.replace(counts, tenant=alpha.info))
    assert flush_all(zgw.runtime) == 1 and meter.pending() == 0
    assert _open_rows(alpha)[("api_calls", "zaken", "read", "")] == 3
