"""The health gate's error rate, end to end with the local driver: after its switch a tenant's smoke call passes,
but the new release answers its catalogi reads with 500 while a client keeps reading during the measuring
window — the gate fails on the error rate counted by the serving pool, and the tenant is rolled back."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from controlplane.tenants.models import TenantState
from tests.controlplane.releases.conftest import Fleet, build_fleet
from tests.fixtures.services import PostgresServer


@pytest.fixture
def slow_gate(tmp_path: Path, postgres_server: PostgresServer) -> Iterator[Fleet]:
    yield from build_fleet(tmp_path, postgres_server, upgrade_gate_window_seconds=2.0)


def test_server_errors_in_the_window_fail_the_gate_and_roll_back(slow_gate: Fleet) -> None:
    fleet = slow_gate
    tenant = fleet.provision("ee", "0006")
    headers = fleet.fill(tenant)
    catalogussen = f"{fleet.api(tenant, 'catalogi')}/catalogussen"
    catalogus = {"domein": "ERRS", "rsin": "002220647", "contactpersoonBeheerNaam": "Dhr. Jansen", "naam": "Fouten"}
    created = httpx.post(catalogussen, headers=headers, timeout=30, json=catalogus)
    assert created.status_code == 201, created.text
    fleet.release()

    statuses: list[int] = []
    stop = threading.Event()

    def read_catalogi() -> None:  # a municipality's application, reading all the while
        with httpx.Client(headers=headers, timeout=10) as http:
            while not stop.is_set():
                try:
                    statuses.append(http.get(catalogussen).status_code)
                except httpx.TransportError:  # the pool closing a kept-alive connection: read again
                    statuses.append(0)

    reader = threading.Thread(target=read_catalogi, daemon=True)
    reader.start()
    try:
        started = fleet.start(scope="tenants", tenants=["ee"], wave_size=1)
        done = fleet.drive(started["id"])
    finally:
        stop.set()
        reader.join(timeout=15)

    result = fleet.by_slug(done)["ee"]
    assert result["status"] == "rolled_back" and result["failed_step"] == "health_gate", result
    assert "foutpercentage" in result["detail"] and "5xx" in result["detail"], result["detail"]
    history = fleet.world.client.get(f"/api/v1/tenants/{tenant.id}/upgrades", headers=fleet.headers()).json()
    gate = history["results"][0]["gate"]
    assert gate["smoke"] == "ok" and gate["server_errors"] > 0 and gate["error_rate"] > 0.05, gate
    assert 500 in statuses and 200 in statuses  # before the switch (and after the rollback) the reads answered
    # Rolled back: the previous release serves it again and its catalogi answer.
    assert fleet.schema_at(tenant) and fleet.pool(tenant) == "default"
    assert fleet.tenant(tenant.id).state is TenantState.ACTIVE
    assert httpx.get(catalogussen, headers=headers, timeout=30).status_code == 200
