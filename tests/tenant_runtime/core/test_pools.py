"""Runtime pools over real HTTP: a process serves only its pool's tenants, forwards another pool's tenants to
that pool's process (bodies streamed both ways, URLs keep the public host), answers 503 for a pool it has no
route to, and counts the responses it serves per tenant and status class."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from prometheus_client import REGISTRY
from sqlalchemy.orm import Session
from starlette.types import Receive, Scope, Send

from tenant_runtime.autorisaties import admin
from tenant_runtime.config import RuntimeSettings
from tenant_runtime.container import build_runtime
from tenant_runtime.core.pools import PoolRouting
from tenant_runtime.main import create_app
from tenant_runtime.registry.models import TenantStatus
from tenant_runtime.tenants import service
from tests.tenant_runtime.live import serve

KANALEN = "/notificaties/api/v1/kanaal"


@dataclass
class Pools:
    front: str  # pool shared-v1, forwards shared-v2
    v2: str  # pool shared-v2, no routes
    headers: dict[str, dict[str, str]]  # slug → Authorization header


def _settings(tmp_path: Path, registry: str, **values: object) -> RuntimeSettings:
    base = {"environment": "test", "data_dir": tmp_path, "registry_url": registry, "registry_cache_seconds": 0}
    return RuntimeSettings.model_validate({**base, **values})


@pytest.fixture
def pools(tmp_path: Path) -> Iterator[Pools]:
    base = _settings(tmp_path, f"sqlite:///{tmp_path / 'registry.db'}")
    service.migrate_registry(base.registry_url)
    runtime = build_runtime(base)
    headers = {}
    for slug, pool in (("utrecht", "shared-v1"), ("groningen", "shared-v2")):
        url = service.sqlite_tenant_url(tmp_path, slug)
        service.create_tenant(runtime.registry, slug=slug, name=slug.title(), database_url=url)
        runtime.registry.upsert(slug=slug, name=slug.title(), database_url=url, pool=pool)
        secret = admin.generate_secret()
        with Session(runtime.engines.get(url)) as session, session.begin():
            admin.upsert_application(
                session, admin.ApplicationSpec(client_id="app", label="app", heeft_alle_autorisaties=True)
            )
            admin.add_credential(session, "app", secret)
        headers[slug] = {"Authorization": f"Bearer {admin.make_jwt('app', secret)}"}
    runtime.close()
    with serve(create_app(_settings(tmp_path, base.registry_url, pool="shared-v2"))) as v2:
        front_settings = _settings(tmp_path, base.registry_url, pool="shared-v1", pool_routes={"shared-v2": v2})
        with serve(create_app(front_settings)) as front:
            yield Pools(front, v2, headers)


def _count(metrics: str, slug: str, status_class: str) -> float:
    prefix = f'zgw_runtime_tenant_requests_total{{status_class="{status_class}",tenant="{slug}"}}'
    for line in metrics.splitlines():
        if line.startswith(prefix):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_front_serves_its_pool_and_forwards_the_other(pools: Pools) -> None:
    own = httpx.get(f"{pools.front}/t/utrecht{KANALEN}", headers=pools.headers["utrecht"])
    assert own.status_code == 200

    before = _count(httpx.get(f"{pools.v2}/metrics").text, "groningen", "2xx")
    body = {"naam": "pools", "filters": [f"{i:04d}" + "x" * 96 for i in range(3000)]}  # ~300 kB each way
    created = httpx.post(f"{pools.front}/t/groningen{KANALEN}", json=body, headers=pools.headers["groningen"])
    assert created.status_code == 201, created.text
    # Served by the shared-v2 process, with URLs under the public (front) address.
    assert created.json()["url"].startswith(f"{pools.front}/t/groningen{KANALEN}/")
    assert created.json()["filters"] == body["filters"]
    listed = httpx.get(f"{pools.front}/t/groningen{KANALEN}", headers=pools.headers["groningen"])
    assert "pools" in [k["naam"] for k in listed.json()]
    after = _count(httpx.get(f"{pools.v2}/metrics").text, "groningen", "2xx")
    # Counted once, where served (both servers share this test process's registry: a double count would show).
    assert after == before + 2


def test_a_pool_refuses_tenants_it_has_no_route_for(pools: Pools) -> None:
    refused = httpx.get(f"{pools.v2}/t/utrecht{KANALEN}", headers=pools.headers["utrecht"])
    assert refused.status_code == 503
    assert refused.headers["retry-after"] == "1"
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["code"] == "tenant_other_pool"
    health = httpx.get(f"{pools.v2}/healthz").json()
    assert health["pool"] == "shared-v2"


def test_moving_a_tenant_between_pools_is_a_registry_change(pools: Pools, tmp_path: Path) -> None:
    runtime = build_runtime(_settings(tmp_path, f"sqlite:///{tmp_path / 'registry.db'}"))
    info = runtime.registry.get("utrecht")
    assert info is not None
    errors_before = _count(httpx.get(f"{pools.v2}/metrics").text, "utrecht", "4xx")
    runtime.registry.upsert(slug="utrecht", name=info.name, database_url=info.database_url, pool="shared-v2")
    moved = httpx.get(f"{pools.front}/t/utrecht{KANALEN}", headers=pools.headers["utrecht"])
    assert moved.status_code == 200
    unauthenticated = httpx.get(f"{pools.front}/t/utrecht{KANALEN}")
    assert unauthenticated.status_code in (401, 403)
    assert _count(httpx.get(f"{pools.v2}/metrics").text, "utrecht", "4xx") == errors_before + 1
    runtime.registry.set_status("utrecht", TenantStatus.MAINTENANCE)  # answered by the front itself
    assert httpx.get(f"{pools.front}/t/utrecht{KANALEN}", headers=pools.headers["utrecht"]).status_code == 503
    runtime.registry.set_status("utrecht", TenantStatus.ACTIVE)
    runtime.close()


def test_an_unreachable_pool_is_a_retryable_503(tmp_path: Path) -> None:
    settings = _settings(tmp_path, f"sqlite:///{tmp_path / 'registry.db'}")
    service.migrate_registry(settings.registry_url)
    runtime = build_runtime(settings)
    url = service.sqlite_tenant_url(tmp_path, "delft")
    service.create_tenant(runtime.registry, slug="delft", name="Delft", database_url=url)
    runtime.registry.upsert(slug="delft", name="Delft", database_url=url, pool="gone")
    runtime.close()
    front = _settings(tmp_path, settings.registry_url, pool_routes={"gone": "http://127.0.0.1:9"})
    with serve(create_app(front)) as base:
        response = httpx.get(f"{base}/t/delft{KANALEN}")
    assert response.status_code == 503 and response.json()["code"] == "pool_unavailable"


def test_a_tenant_just_moved_here_is_served_despite_a_cached_registry_row(tmp_path: Path) -> None:
    registry = f"sqlite:///{tmp_path / 'registry.db'}"
    service.migrate_registry(registry)
    runtime = build_runtime(_settings(tmp_path, registry))
    url = service.sqlite_tenant_url(tmp_path, "leiden")
    service.create_tenant(runtime.registry, slug="leiden", name="Leiden", database_url=url)
    runtime.registry.upsert(slug="leiden", name="Leiden", database_url=url, pool="shared-v1")
    cached = _settings(tmp_path, registry, pool="shared-v2").model_copy(update={"registry_cache_seconds": 300.0})
    with serve(create_app(cached)) as v2:
        assert httpx.get(f"{v2}/t/leiden{KANALEN}").status_code == 503  # not its pool (and now cached so)
        runtime.registry.upsert(slug="leiden", name="Leiden", database_url=url, pool="shared-v2")
        moved = httpx.get(f"{v2}/t/leiden{KANALEN}")
    runtime.close()
    assert moved.status_code in (401, 403)  # served (no credentials), not 503 from the cached row


def test_a_crash_counts_as_the_5xx_it_becomes() -> None:
    """An unhandled exception's 500 is sent by Starlette's outermost error middleware, around the counter: it is
    counted as a 5xx all the same (the upgrade health gate's error rate); a crash after the response started
    is not counted twice."""
    slug = f"crash-{uuid.uuid4().hex[:8]}"
    routing = PoolRouting()

    async def crash(scope: Scope, receive: Receive, send: Send) -> None:
        raise RuntimeError("permission denied for table catalogi_catalogus")

    async def crash_while_streaming(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        raise RuntimeError("connection lost")

    async def sent(message: object) -> None:
        return None

    async def run(app: object) -> None:
        with pytest.raises(RuntimeError):
            await routing.serve_counted(slug, app, {"type": "http"}, None, sent)  # type: ignore[arg-type]

    asyncio.run(run(crash))
    asyncio.run(run(crash_while_streaming))

    def count(status_class: str) -> float | None:
        return REGISTRY.get_sample_value(
            "zgw_runtime_tenant_requests_total", {"tenant": slug, "status_class": status_class}
        )

    assert count("5xx") == 1 and count("2xx") == 1
