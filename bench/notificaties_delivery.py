"""Notification delivery throughput and commit-to-delivery delay, through the production path.

Starts its own PostgreSQL and Redis (``tests/fixtures/services.py``), one tenant, a fast subscriber (aiohttp, in
its own process) and the runtime's Celery workers (``--pool threads``, Redis broker, beat). Then:

* **backlog**: N outbox rows are committed while no worker runs; the workers are started and the time from the
  first to the last arrival at the subscriber gives the delivery throughput.
* **steady N/s**: this process acts as the API process — it commits one outbox row per transaction at a fixed
  rate (wake-ups to the workers after each commit, as the runtime does) — and the subscriber's arrival time minus
  the commit time gives the delay per notification (p50/p95/p99).

``python -m bench notificaties-delivery [--backlog 10000] [--rates 100,400] [--seconds 10] [--workers 2]``
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from tenant_runtime.autorisaties import admin as autorisaties_admin
from tenant_runtime.config import RuntimeSettings
from tenant_runtime.container import build_runtime
from tenant_runtime.core.outbox import publish
from tenant_runtime.notificaties.models import Abonnement, AbonnementKanaal, Kanaal
from tenant_runtime.notificaties.runner import CeleryWakeups
from tenant_runtime.notificaties.signals import on_outbox_commit
from tenant_runtime.tenants import service
from tests.fixtures.processes import ManagedProcess, free_port
from tests.fixtures.services import PostgresServer, RedisServer

SUBSCRIBER = """
import json, sys, time
from aiohttp import web
arrivals, total = {}, [0]
async def callback(request):
    body = await request.json()
    total[0] += 1
    arrivals.setdefault(body["resourceUrl"], time.time())
    return web.Response(status=204)
async def stats(request):
    return web.json_response({"total": total[0], "arrivals": arrivals})
async def reset(request):
    arrivals.clear(); total[0] = 0
    return web.Response(status=204)
app = web.Application()
app.router.add_post("/callback", callback)
app.router.add_get("/stats", stats)
app.router.add_post("/reset", reset)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
"""


@dataclass
class Row:
    scenario: str
    notifications: int
    seconds: float
    per_second: float
    delays_ms: list[float]

    def cells(self) -> list[str]:
        if self.delays_ms:
            ordered = sorted(self.delays_ms)

            def pct(p: float) -> str:
                return f"{ordered[min(len(ordered) - 1, int(p * len(ordered)))]:.0f}"

            delay = [f"{statistics.median(ordered):.0f}", pct(0.95), pct(0.99)]
        else:
            delay = ["-", "-", "-"]
        return [self.scenario, str(self.notifications), f"{self.seconds:.2f}", f"{self.per_second:.0f}", *delay]


class Bench:
    def __init__(self, workdir: Path, workers: int) -> None:
        self.workdir = workdir
        self.workers = workers
        services = workdir / "services"
        services.mkdir()
        services.chmod(0o755)
        (services / "postgres").mkdir()
        (services / "redis").mkdir()
        self.postgres = PostgresServer.start(services / "postgres")
        self.redis = RedisServer.start(services / "redis")
        self.broker = f"{self.redis.url}/0"
        registry_url = self.postgres.create_database("registry")
        self.settings = RuntimeSettings(
            environment="test",
            data_dir=workdir,
            registry_url=registry_url,
            celery_broker_url=self.broker,
            registry_cache_seconds=5,
        )
        service.migrate_registry(registry_url)
        self.runtime = build_runtime(self.settings)
        self.tenant = service.create_tenant(
            self.runtime.registry, slug="bench", name="Gemeente Bench", database_url=self.postgres.create_database("t")
        )
        self.engine = self.runtime.engines.get(self.tenant.database_url)
        port = free_port()
        self.subscriber = ManagedProcess("subscriber", [sys.executable, "-c", SUBSCRIBER, str(port)], workdir)
        self.subscriber_url = f"http://127.0.0.1:{port}"
        self.subscriber.wait_ready(lambda: bool(self._stats()), timeout=30)
        self._subscribe()
        self.worker_processes: list[ManagedProcess] = []

    def _stats(self) -> dict[str, object]:
        with urllib.request.urlopen(f"{self.subscriber_url}/stats", timeout=30) as response:  # noqa: S310
            return json.loads(response.read())  # type: ignore[no-any-return]

    def _reset(self) -> None:
        request = urllib.request.Request(f"{self.subscriber_url}/reset", method="POST")  # noqa: S310
        urllib.request.urlopen(request, timeout=10).close()  # noqa: S310

    def _subscribe(self) -> None:
        # Directly in the database (the API's callback check is covered by the tests; here it is setup).
        with Session(self.engine) as session, session.begin():
            kanaal = session.query(Kanaal).filter_by(naam="zaken").one()
            session.add(
                Abonnement(
                    callback_url=f"{self.subscriber_url}/callback",
                    auth="Bearer bench",
                    client_id="bench",
                    kanalen=[AbonnementKanaal(kanaal=kanaal, filters={"bronorganisatie": "002220647"})],
                )
            )
            autorisaties_admin.upsert_application(
                session, autorisaties_admin.ApplicationSpec(client_id="bench", label="bench")
            )

    def start_workers(self) -> None:
        env = {
            "ZGW_RUNTIME_ENVIRONMENT": "test",
            "ZGW_RUNTIME_DATA_DIR": str(self.workdir),
            "ZGW_RUNTIME_REGISTRY_URL": self.settings.registry_url,
            "ZGW_RUNTIME_CELERY_BROKER_URL": self.broker,
            "ZGW_RUNTIME_REGISTRY_CACHE_SECONDS": "5",
            "ZGW_RUNTIME_LOG_LEVEL": "WARNING",
        }
        for index in range(self.workers):
            argv = [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "tenant_runtime.celery_app:celery_app",
                "worker",
                "--pool",
                "threads",
                "--concurrency",
                "8",
                "--hostname",
                f"bench{index}@%h",
                "--loglevel",
                "WARNING",
            ]
            if index == 0:
                argv += ["--beat", "--schedule", str(self.workdir / "beat-schedule")]
            self.worker_processes.append(ManagedProcess(f"worker-{index}", argv, self.workdir, env=env))

    def stop_workers(self) -> None:
        for process in self.worker_processes:
            process.stop()
        self.worker_processes = []

    def _commit(self, zaak: int, step: int) -> str:
        resource_url = f"https://bench.example.nl/zaken/api/v1/statussen/{zaak:08d}-{step:04d}"
        with Session(self.engine) as session, session.begin():
            publish(
                session,
                kanaal="zaken",
                hoofd_object=f"https://bench.example.nl/zaken/api/v1/zaken/{zaak:08d}",
                resource="status",
                resource_url=resource_url,
                actie="create",
                kenmerken={"bronorganisatie": "002220647", "vertrouwelijkheidaanduiding": "openbaar"},
            )
        return resource_url

    def _wait_for(self, expected: int, timeout: float) -> dict[str, float]:
        deadline = time.monotonic() + timeout
        while True:
            stats = self._stats()
            arrivals: dict[str, float] = stats["arrivals"]  # type: ignore[assignment]
            if len(arrivals) >= expected or time.monotonic() > deadline:
                return arrivals
            time.sleep(0.2)

    def backlog(self, count: int) -> Row:
        self._reset()
        with Session(self.engine) as session, session.begin():
            for number in range(count):  # one transaction per 1000 rows; 1000 zaken, each with its statussen
                publish(
                    session,
                    kanaal="zaken",
                    hoofd_object=f"https://bench.example.nl/zaken/api/v1/zaken/{number % 1000:08d}",
                    resource="status",
                    resource_url=f"https://bench.example.nl/zaken/api/v1/statussen/backlog-{number:08d}",
                    actie="create",
                    kenmerken={"bronorganisatie": "002220647"},
                )
                if number % 1000 == 999:
                    session.flush()
        self.start_workers()
        arrivals = self._wait_for(count, timeout=600)
        times = sorted(arrivals.values())
        seconds = times[-1] - times[0] if len(times) > 1 else 0.0
        return Row(f"backlog ({self.workers} workers)", len(arrivals), seconds, len(times) / max(seconds, 1e-9), [])

    def steady(self, rate: int, seconds: float) -> Row:
        self._reset()
        wakeups = CeleryWakeups(self.runtime)
        wakeups.start()
        unsubscribe = on_outbox_commit(wakeups.wake)
        committed: dict[str, float] = {}
        lock = threading.Lock()
        writers = 4
        per_writer = rate / writers
        stop_at = time.monotonic() + seconds

        def writer(index: int) -> None:
            sent = 0
            started = time.monotonic()
            while time.monotonic() < stop_at:
                url = self._commit(zaak=index * 1_000_000 + sent % 500, step=sent)
                with lock:
                    committed[url] = time.time()
                sent += 1
                wait = started + sent / per_writer - time.monotonic()
                if wait > 0:
                    time.sleep(wait)

        threads = [threading.Thread(target=writer, args=(i,)) for i in range(writers)]
        began = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - began
        arrivals = self._wait_for(len(committed), timeout=120)
        unsubscribe()
        wakeups.stop()
        delays = [(arrivals[url] - at) * 1000 for url, at in committed.items() if url in arrivals]
        missing = len(committed) - len(delays)
        label = f"steady {rate}/s" + (f" ({missing} missing)" if missing else "")
        return Row(label, len(delays), elapsed, len(committed) / elapsed, delays)

    def close(self) -> None:
        self.stop_workers()
        self.subscriber.stop()
        self.runtime.close()
        self.redis.stop()
        self.postgres.stop()


def _cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench notificaties-delivery", description=__doc__)
    parser.add_argument("--backlog", type=int, default=10_000, help="notifications in the backlog run")
    parser.add_argument("--rates", default="100,400", help="steady commit rates per second, comma-separated")
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of each steady run")
    parser.add_argument("--workers", type=int, default=2, help="Celery worker processes (threads pool)")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="zgw-test-services-bench-"))
    workdir.chmod(0o755)
    bench = Bench(workdir, args.workers)
    rows: list[Row] = []
    try:
        rows.append(bench.backlog(args.backlog))
        for rate in (int(r) for r in args.rates.split(",") if r):
            rows.append(bench.steady(rate, args.seconds))
        with bench.engine.connect() as connection:
            states = dict(
                connection.execute(text("SELECT status, count(*) FROM notificaties_delivery GROUP BY status")).all()
            )
    finally:
        bench.close()
        shutil.rmtree(workdir, ignore_errors=True)

    print(f"\nNotification delivery — {_cpu_count()} CPUs, PostgreSQL + Redis, {args.workers} Celery worker(s)")
    header = ["scenario", "delivered", "seconds", "per second", "p50 ms", "p95 ms", "p99 ms"]
    table = [header, *(row.cells() for row in rows)]
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    for index, cells in enumerate(table):
        print("  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))))
        if index == 0:
            print("  ".join("-" * w for w in widths))
    print(f"delivery states in the tenant database: {states}")
    print("(p50/p95/p99: commit of the outbox row → arrival at the subscriber)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
