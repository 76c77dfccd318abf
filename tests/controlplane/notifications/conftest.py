"""Fixtures of the notifications tests: the control plane on PostgreSQL (``World``) and the shared runtime it
provisions into, served over real HTTP on loopback with the admin token the control plane derives, tenant A
provisioned there (database, schema, registration, state active), and a real subscriber on loopback."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from controlplane.accounts.tokens import shared_runtime_admin_token
from controlplane.credentials.service import spec_of
from controlplane.drivers.interfaces import RuntimeStatus
from controlplane.tenants.models import Tenant, TenantState
from tenant_runtime.config import RuntimeSettings
from tenant_runtime.container import build_runtime
from tenant_runtime.main import create_app as create_runtime
from tests.controlplane.conftest import World, build_world, make_settings
from tests.fixtures.processes import free_port
from tests.fixtures.services import PostgresServer
from tests.tenant_runtime.conftest import ZgwTenant
from tests.tenant_runtime.live import serve
from tests.tenant_runtime.notificaties.conftest import FAST_DELIVERY, deliver, publish_zaak, subscribe, zaak_url
from tests.tenant_runtime.notificaties.subscriber import Subscriber


@dataclass
class Notifying:
    world: World
    runtime_url: str
    alpha: ZgwTenant  # tenant A as the runtime serves it (ZGW calls, delivery passes)

    def api(self, tenant: Tenant, path: str = "") -> str:
        return f"/api/v1/tenants/{tenant.id}/notifications{path}"


def activate(world: World, tenant: Tenant) -> None:
    """Provision ``tenant`` the way the provisioning job's steps do, through the driver, and mark it active."""
    spec = spec_of(tenant)
    world.cp.driver.create_database(spec)
    world.cp.driver.migrate(spec)
    world.cp.driver.register(spec, RuntimeStatus.ACTIVE)
    with world.cp.sessions() as session:
        row = session.get(Tenant, tenant.id)
        assert row is not None
        row.state = TenantState.ACTIVE
        session.commit()
    tenant.state = TenantState.ACTIVE


@pytest.fixture
def notifying(tmp_path: Path, postgres_server: PostgresServer) -> Iterator[Notifying]:
    port = free_port()
    runtime_url = f"http://127.0.0.1:{port}"
    # The local driver reaches the shared runtime's pool process at its route (as in docker-compose).
    settings = make_settings(tmp_path, postgres_server, runtime_public_url=runtime_url,
                             runtime_pool_routes={"default": runtime_url})  # fmt: skip
    runtime_settings = RuntimeSettings(
        environment="test",
        data_dir=tmp_path / "runtime",
        registry_url=settings.runtime_registry_url,
        registry_cache_seconds=0,
        **{**FAST_DELIVERY, "delivery_max_attempts": 2, "delivery_block_private_callbacks": False,
           "admin_token": shared_runtime_admin_token(settings)},
    )  # fmt: skip
    runtime = build_runtime(runtime_settings)
    app = create_runtime(runtime_settings, runtime)
    for world in build_world(settings):
        activate(world, world.tenant_a)
        info = runtime.registry.get(world.tenant_a.slug)
        assert info is not None
        with serve(app, port) as url, TestClient(app, raise_server_exceptions=False) as zgw:
            yield Notifying(world, url, ZgwTenant(info, runtime, zgw))


@pytest.fixture
def subscriber() -> Iterator[Subscriber]:
    sub = Subscriber().start()
    yield sub
    sub.stop()


def get(n: Notifying, path: str, who: str = "operator", **params: Any) -> httpx.Response:
    world = n.world
    return world.client.get(n.api(world.tenant_a, path), params=params, headers=world.headers(who))


def dead_letter(n: Notifying, subscriber: Subscriber) -> dict[str, Any]:
    """Subscribe, take the subscriber down, publish a zaak notification and deliver until it is dead."""
    subscribe(n.alpha, subscriber.url)
    subscriber.status = 503
    publish_zaak(n.alpha, zaak_url(n.alpha, 1))
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        deliver(n.alpha, budget=5)
        dead = get(n, "/deliveries", status="dead").json()
        if dead["count"]:
            return dead  # type: ignore[no-any-return]
        time.sleep(0.3)  # the circuit rests 0.5 s after the failures
    raise AssertionError("the notification never became a dead letter")


def activate_in_controlplane_only(world: World) -> None:
    with world.cp.sessions() as session:
        row = session.get(Tenant, world.tenant_a.id)
        assert row is not None
        row.state = TenantState.ACTIVE
        session.commit()
