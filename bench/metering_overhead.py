"""Latency overhead of metering on a ZGW GET, through the production path. Target: ≤ 2%.

Starts its own PostgreSQL, one tenant with a zaak, and two runtime processes (uvicorn) on the same registry and
tenant database: one with metering (``ZGW_RUNTIME_METERING_ENABLED=true``: the ASGI middleware counts every call,
its thread flushes to the outbox and seals hours), one without. Then, in alternating rounds so that drift on the
machine hits both alike, the same ``GET /zaken/api/v1/zaken/{uuid}`` is sent by 1 user (latency) and by
``--users`` users (throughput). Reported: median and p95 per side, and the overhead of the median in percent.

``python -m bench metering-overhead [--rounds 10] [--requests 300] [--users 8]``
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
from fastapi.testclient import TestClient

from bench.load import LoadResult, print_table, run_load
from tenant_runtime.config import RuntimeSettings
from tenant_runtime.container import build_runtime
from tenant_runtime.main import create_app
from tenant_runtime.tenants import service
from tests.fixtures.processes import ManagedProcess, free_port
from tests.fixtures.services import PostgresServer
from tests.tenant_runtime.conftest import ZgwTenant
from tests.tenant_runtime.zaken.conftest import CRS, RSIN, make_catalog

SLUG = "bench"


class Bench:
    def __init__(self, workdir: Path) -> None:
        (workdir / "pg").mkdir()
        self.postgres = PostgresServer.start(workdir / "pg")
        registry = self.postgres.create_database("registry")
        service.migrate_registry(registry)
        settings = RuntimeSettings(environment="test", data_dir=workdir, registry_url=registry, metering_enabled=False)
        runtime = build_runtime(settings)
        service.create_tenant(
            runtime.registry, slug=SLUG, name="Bench", database_url=self.postgres.create_database("t")
        )
        with TestClient(create_app(settings, runtime)) as http:
            tenant = ZgwTenant(runtime.registry.get(SLUG), runtime, http)  # type: ignore[arg-type]
            self.headers = {**CRS, **tenant.superuser()}
            zaaktype = make_catalog(tenant).zaaktype
            body = {"zaaktype": zaaktype, "bronorganisatie": RSIN, "verantwoordelijkeOrganisatie": RSIN,
                    "startdatum": "2024-03-01"}  # fmt: skip
            zaak = http.post(f"/t/{SLUG}/zaken/api/v1/zaken", json=body, headers=self.headers)
            zaak.raise_for_status()
            self.path = f"/t/{SLUG}/zaken/api/v1/zaken/{zaak.json()['uuid']}"
        runtime.close()
        self.servers: dict[str, tuple[ManagedProcess, str]] = {}
        for name, enabled in (("metering on", "true"), ("metering off", "false")):
            port = free_port()
            env = {
                "ZGW_RUNTIME_ENVIRONMENT": "test",
                "ZGW_RUNTIME_DATA_DIR": str(workdir),
                "ZGW_RUNTIME_REGISTRY_URL": registry,
                "ZGW_RUNTIME_REGISTRY_CACHE_SECONDS": "30",
                "ZGW_RUNTIME_LOG_LEVEL": "WARNING",
                "ZGW_RUNTIME_METERING_ENABLED": enabled,
            }
            argv = [sys.executable, "-m", "uvicorn", "--factory", "tenant_runtime.main:app_from_env", "--host",
                    "127.0.0.1", "--port", str(port), "--no-access-log", "--log-level", "warning"]  # fmt: skip
            process = ManagedProcess(name.replace(" ", "-"), argv, workdir, env=env)
            base = f"http://127.0.0.1:{port}"
            process.wait_ready(lambda base=base: httpx.get(f"{base}/healthz", timeout=1).status_code == 200)  # type: ignore[misc]
            self.servers[name] = (process, base)

    def load(self, name: str, users: int, requests: int) -> LoadResult:
        _, base = self.servers[name]
        headers, path = self.headers, self.path

        async def get(client: httpx.AsyncClient, _: int) -> httpx.Response:
            return await client.get(path, headers=headers)

        return run_load(name, base, get, users=users, seconds=60, max_requests=requests)

    def close(self) -> None:
        for process, _ in self.servers.values():
            process.stop()
        self.postgres.stop()


def middleware_cost_us(calls: int = 100_000) -> float:
    """What counting adds per request in-process: the middleware around a trivial ASGI app, minus the bare app."""
    from starlette.types import Receive, Scope, Send

    from tenant_runtime.metering.meter import UsageMeter
    from tenant_runtime.metering.middleware import MeteringMiddleware
    from tenant_runtime.registry.models import TenantStatus
    from tenant_runtime.registry.repository import TenantInfo

    async def app(scope: Scope, _receive: Receive, send: Send) -> None:
        scope["state"]["client"] = client
        await send({"type": "http.response.start", "status": 200, "headers": []})

    async def send(_: object) -> None:
        return None

    async def receive() -> dict[str, object]:
        return {"type": "http.request"}

    class Client:
        client_id = "zaaksysteem"

    client = Client()
    tenant = TenantInfo(SLUG, "Bench", "sqlite://", TenantStatus.ACTIVE, "default")
    metered = MeteringMiddleware(app, UsageMeter())

    async def run(target: object) -> float:
        started = time.perf_counter()
        for _ in range(calls):
            scope = {"type": "http", "method": "GET", "path": "/t/bench/zaken/api/v1/zaken/x", "root_path": "/t/bench",
                     "state": {"tenant": tenant}}  # fmt: skip
            await target(scope, receive, send)  # type: ignore[operator]
        return time.perf_counter() - started

    bare = asyncio.run(run(app))
    with_meter = asyncio.run(run(metered))
    return (with_meter - bare) / calls * 1e6


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench metering-overhead", description=__doc__)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--requests", type=int, default=300, help="requests per side and round")
    parser.add_argument("--users", type=int, default=8, help="concurrent users of the throughput rounds")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="zgw-test-services-bench-"))
    workdir.chmod(0o755)
    bench = Bench(workdir)
    try:
        for name in bench.servers:  # warm-up: connection pools, caches
            bench.load(name, 1, 50)
        rows = []
        medians: dict[str, float] = {}
        for users in (1, args.users):
            merged = {name: LoadResult(name, users, 0.0) for name in bench.servers}
            for round_number in range(args.rounds):
                order = list(bench.servers) if round_number % 2 == 0 else list(reversed(bench.servers))
                for name in order:
                    result = bench.load(name, users, args.requests)
                    merged[name].latencies_ms += result.latencies_ms
                    merged[name].seconds += result.seconds
                    for key, count in result.errors.items():
                        merged[name].errors[key] = merged[name].errors.get(key, 0) + count
            for name, result in merged.items():
                rows.append(result.cells())
                medians[f"{name}/{users}"] = statistics.median(result.latencies_ms)
        print_table(rows)
        for users in (1, args.users):
            on, off = medians[f"metering on/{users}"], medians[f"metering off/{users}"]
            print(f"overhead of metering on the median GET with {users} user(s): {100 * (on / off - 1):+.2f}%")
        cost = middleware_cost_us()
        off = medians["metering off/1"]
        print(f"in-process cost of counting one request: {cost:.2f} µs = {100 * cost / (off * 1000):.3f}% of the "
              f"median GET ({off:.2f} ms)")  # fmt: skip
        return 0
    finally:
        bench.close()
        shutil.rmtree(workdir, ignore_errors=True)
