"""The in-process delivery runner (embedded default, no broker): started by the app's lifespan, woken by
every commit that wrote the outbox, and never in the way of API requests."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from fastapi.testclient import TestClient

from tenant_runtime.config import RuntimeSettings
from tenant_runtime.container import build_runtime
from tenant_runtime.main import create_app
from tenant_runtime.registry.models import TenantStatus
from tenant_runtime.tenants import service
from tests.fixtures.services import PostgresServer
from tests.tenant_runtime.conftest import ZgwTenant
from tests.tenant_runtime.notificaties.conftest import (
    FAST_DELIVERY,
    nrc_runtime,
    publish_zaak,
    publisher,
    subscribe,
    zaak_url,
)
from tests.tenant_runtime.notificaties.subscriber import running_subscriber


def _message(tenant: ZgwTenant, number: int) -> dict[str, object]:
    zaak = zaak_url(tenant, number)
    return {
        "kanaal": "zaken",
        "hoofdObject": zaak,
        "resource": "zaak",
        "resourceUrl": zaak,
        "actie": "create",
        "aanmaakdatum": "2026-01-01T12:00:00Z",
        "kenmerken": {"bronorganisatie": "002220647"},
    }


def test_embedded_default_on_sqlite_delivers_right_after_the_commit(tmp_path: Path) -> None:
    # A tick of a minute: only the wake-up after the commit can explain a delivery within seconds.
    settings = RuntimeSettings(
        environment="test",
        data_dir=tmp_path,
        registry_cache_seconds=0,
        **{**FAST_DELIVERY, "delivery_in_process": True, "delivery_tick_seconds": 60.0},
    )
    service.migrate_registry(settings.registry_url)
    runtime = build_runtime(settings)
    info = service.create_tenant(
        runtime.registry,
        slug="lokaal",
        name="Gemeente Lokaal",
        database_url=service.sqlite_tenant_url(tmp_path, "lokaal"),
    )
    with running_subscriber() as subscriber, TestClient(create_app(settings, runtime)) as client:
        tenant = ZgwTenant(info, runtime, client)
        subscribe(tenant, subscriber.url)
        started = time.monotonic()
        response = client.post(
            f"{tenant.api('notificaties')}/notificaties", json=_message(tenant, 1), headers=publisher(tenant)
        )
        assert response.status_code == 200
        subscriber.wait_for(1, timeout=5)
        assert time.monotonic() - started < 5
        # an API write elsewhere in the process (the outbox in the write's transaction) wakes it too
        publish_zaak(tenant, zaak_url(tenant, 2))
        bodies = subscriber.wait_for(2, timeout=5)
        assert [b["hoofdObject"] for b in bodies] == [zaak_url(tenant, 1), zaak_url(tenant, 2)]


def test_suspended_tenants_are_not_drained(tmp_path: Path, postgres_server: PostgresServer) -> None:
    with (
        nrc_runtime(tmp_path, postgres_server, ("alpha",), delivery_in_process=True) as env,
        running_subscriber() as subscriber,
    ):
        alpha = env.tenants["alpha"]
        subscribe(alpha, subscriber.url)
        env.runtime.registry.set_status("alpha", TenantStatus.SUSPENDED)
        publish_zaak(alpha, zaak_url(alpha, 1))
        time.sleep(1.0)  # five ticks
        assert subscriber.notifications() == []
        env.runtime.registry.set_status("alpha", TenantStatus.ACTIVE)
        subscriber.wait_for(1, timeout=5)


def test_a_hanging_subscriber_slows_neither_api_requests_nor_other_subscribers(
    tmp_path: Path, postgres_server: PostgresServer
) -> None:
    with (
        nrc_runtime(tmp_path, postgres_server, ("alpha",), delivery_in_process=True) as env,
        running_subscriber() as healthy,
        running_subscriber() as hanging,
    ):
        alpha = env.tenants["alpha"]
        subscribe(alpha, healthy.url)
        subscribe(alpha, hanging.url)
        hanging.delay = 10.0  # five times the delivery timeout
        headers = publisher(alpha)
        latencies = []
        started = time.monotonic()
        for number in range(30):
            before = time.perf_counter()
            response = alpha.client.post(
                f"{alpha.api('notificaties')}/notificaties", json=_message(alpha, number), headers=headers
            )
            latencies.append(time.perf_counter() - before)
            assert response.status_code == 200
        healthy.wait_for(30, timeout=5)
        assert time.monotonic() - started < 5
        assert max(latencies) < 1.0
        assert statistics.median(latencies) < 0.2
