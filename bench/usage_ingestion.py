"""Ledger ingestion throughput, through the production path: usage events POSTed over HTTP to the control
plane's ``/api/v1/usage/events`` (uvicorn, its own process) and booked into PostgreSQL (bulk INSERT … ON CONFLICT
(event_id) DO NOTHING). Target: ≥ 20,000 events/s on 2 cores.

Starts its own PostgreSQL (``tests/fixtures/services.py``), migrates the control plane, registers the municipalities
and a runtime service account, then sends pre-encoded batches from ``--senders`` threads (as runtimes would):

* **new**: N events never seen (counters per component and operation, gauges, active clients over many hours);
* **re-shipment**: the same N events again — every one a duplicate, nothing booked twice.

Besides the wall-clock rate, the CPU seconds the control plane's processes and PostgreSQL spent per phase are
reported, and the rate those CPU costs allow on two cores of one's own (``cpu-bound events/s``: the larger of the
server's CPU per event on one worker and the whole CPU per event on two cores): on a machine shared with other
work the wall-clock rate says more about the neighbours than about the ingestion path.

``python -m bench usage-ingestion [--events 200000] [--batch 5000] [--senders 2] [--tenants 342] [--workers 1]``
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import func, select

from bench.load import print_table
from controlplane.accounts.actors import SYSTEM
from controlplane.cli import migrate_controlplane
from controlplane.config import Settings
from controlplane.container import build_controlplane
from controlplane.tenants.models import Plan, Tenant, Tier
from controlplane.usage import service as ledger
from controlplane.usage.models import UsageEntry
from tenant_runtime.metering.events import COMPONENTS, Meter, event_id, hour_of, wire
from tests.fixtures.processes import ManagedProcess, free_port
from tests.fixtures.services import PostgresServer

BENCH_KEY = "zP3o0sVt0H8oX3f3a0m0b3Yy6c5V7Qe6J2pQm3JrXx8="  # a fixed Fernet key, benchmark only
SECRET = "bench-secret-key-0123456789-abcdefghij"


def make_events(slugs: list[str], count: int, seq_base: int = 0) -> list[dict[str, object]]:
    """``count`` distinct events as runtimes ship them: per tenant and hour 14 counters, 3 gauges, 5 clients
    (``seq_base`` keeps separate sets apart)."""
    events: list[dict[str, object]] = []
    start = hour_of(datetime.now(UTC)) - timedelta(days=60)
    hour_index = 0
    while len(events) < count:
        hour = start + timedelta(hours=hour_index % (24 * 59))
        cycle = seq_base + hour_index // (24 * 59)
        for slug in slugs:
            for component in COMPONENTS:
                for operation in ("read", "write"):
                    ident = event_id(slug, Meter.API_CALLS, hour, component, operation, "", cycle)
                    events.append(wire(ident, slug, Meter.API_CALLS, hour, 37, component, operation))
            for meter in (Meter.STORED_BYTES, Meter.ZAKEN, Meter.DOCUMENTEN):
                events.append(wire(event_id(slug, meter, hour, seq=cycle), slug, meter, hour, 1234))
            for n in range(5):
                client = f"app-{n}-{cycle}"
                ident = event_id(slug, Meter.ACTIVE_CLIENT, hour, client_id=client)
                events.append(wire(ident, slug, Meter.ACTIVE_CLIENT, hour, 1, client_id=client))
            if len(events) >= count:
                break
        hour_index += 1
    return events[:count]


def _process_tree(pid: int) -> list[int]:
    pids = [pid]
    for task in Path(f"/proc/{pid}/task").iterdir():
        children = task / "children"
        if children.exists():
            for child in children.read_text().split():
                pids += _process_tree(int(child))
    return pids


def cpu_seconds(root: int) -> float:
    """User + system CPU of a process and its living descendants (and their reaped children)."""
    total = 0
    for pid in _process_tree(root):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += sum(int(v) for v in fields[11:15])
    return total / os.sysconf("SC_CLK_TCK")


class Bench:
    def __init__(self, workdir: Path, tenants: int, workers: int) -> None:
        (workdir / "pg").mkdir()
        self.workers = workers
        self.workdir = workdir
        self.postgres = PostgresServer.start(workdir / "pg")
        database_url = self.postgres.create_database("cp")
        self.settings = Settings(
            environment="test",
            encryption_key=BENCH_KEY,
            secret_key=SECRET,
            data_dir=workdir / "cp",
            database_url=database_url,
            runtime_data_dir=workdir / "rt",
            runtime_registry_url=self.postgres.create_database("registry"),
        )
        migrate_controlplane(self.settings)
        cp = build_controlplane(self.settings)
        with cp.sessions() as session:
            plan = Plan(code="basis", name="Basis")
            session.add(plan)
            session.flush()
            self.slugs = [f"gemeente-{n:03d}" for n in range(tenants)]
            for n, slug in enumerate(self.slugs):
                session.add(
                    Tenant(slug=slug, name=slug, gemeentecode=f"{n:04d}", rsin="002220647", inhabitants=10000,
                           tier=Tier.SHARED, plan_id=plan.id)
                )  # fmt: skip
            user = ledger.ensure_runtime_account(session, SYSTEM, "bench")
            self.token = ledger.issue_runtime_token(session, SYSTEM, user, "bench")
            session.commit()
        self.cp = cp
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        env = {
            "ZGW_ENVIRONMENT": "test",
            "ZGW_ENCRYPTION_KEY": BENCH_KEY,
            "ZGW_SECRET_KEY": SECRET,
            "ZGW_DATABASE_URL": database_url,
            "ZGW_DATA_DIR": str(workdir / "cp"),
            "ZGW_LOG_LEVEL": "WARNING",
            "ZGW_USAGE_MAX_BATCH_EVENTS": "50000",
        }
        argv = [sys.executable, "-m", "uvicorn", "--factory", "controlplane.main:app_from_env", "--host",
                "127.0.0.1", "--port", str(port), "--workers", str(workers), "--no-access-log", "--log-level",
                "warning"]  # fmt: skip
        self.server = ManagedProcess("controlplane", argv, workdir, env=env)
        self.server.wait_ready(lambda: httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200, timeout=60)

    def booked(self) -> int:
        with self.cp.sessions() as session:
            return session.scalar(select(func.count()).select_from(UsageEntry)) or 0

    def send(self, name: str, bodies: list[bytes], per_batch: int, senders: int) -> tuple[list[str], dict[str, int]]:
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        latencies: list[float] = []
        totals = {"accepted": 0, "duplicates": 0}

        def post(client: httpx.Client, body: bytes) -> None:
            started = time.perf_counter()
            response = client.post("/api/v1/usage/events", content=body, headers=headers)
            latencies.append((time.perf_counter() - started) * 1000)
            response.raise_for_status()
            result = response.json()
            totals["accepted"] += result["accepted"]
            totals["duplicates"] += result["duplicates"]

        clients = [httpx.Client(base_url=self.base, timeout=120) for _ in range(senders)]
        assert self.postgres.process is not None
        server_cpu, database_cpu = cpu_seconds(self.server.process.pid), cpu_seconds(self.postgres.process.process.pid)
        started = time.perf_counter()
        with ThreadPoolExecutor(senders) as pool:
            list(pool.map(lambda item: post(clients[item[0] % senders], item[1]), enumerate(bodies)))
        seconds = time.perf_counter() - started
        server_cpu = cpu_seconds(self.server.process.pid) - server_cpu
        database_cpu = cpu_seconds(self.postgres.process.process.pid) - database_cpu
        for client in clients:
            client.close()
        events = len(bodies) * per_batch
        bound = max(server_cpu / self.workers, (server_cpu + database_cpu) / 2)
        row = [name, str(events), str(per_batch), str(senders), f"{seconds:.2f}", f"{events / seconds:,.0f}",
               f"{statistics.median(latencies):.0f}", f"{1e6 * server_cpu / events:.1f}",
               f"{1e6 * database_cpu / events:.1f}", f"{events / bound:,.0f}"]  # fmt: skip
        return row, totals

    def close(self) -> None:
        self.server.stop()
        self.cp.close()
        self.postgres.stop()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench usage-ingestion", description=__doc__)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=5000, help="events per request (runtimes send 1000)")
    parser.add_argument("--senders", type=int, default=2, help="requests in flight at once")
    parser.add_argument("--tenants", type=int, default=342)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes of the control plane")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="zgw-test-services-bench-"))
    workdir.chmod(0o755)
    bench = Bench(workdir, args.tenants, args.workers)
    try:
        events = make_events(bench.slugs, args.events)
        bodies = [
            json.dumps({"events": events[i : i + args.batch]}).encode() for i in range(0, len(events), args.batch)
        ]
        rows: list[list[str]] = []
        warm = make_events(["gemeente-000"], 200, seq_base=10_000)  # first request: connection pool, imports
        bench.send("warm-up", [json.dumps({"events": warm}).encode()], len(warm), 1)
        row, new = bench.send("new events", bodies, args.batch, args.senders)
        rows.append(row)
        row, again = bench.send("re-shipment (duplicates)", bodies, args.batch, args.senders)
        rows.append(row)
        print_table(rows, ["scenario", "events", "batch", "senders", "seconds", "events/s", "p50 ms/req",
                           "server µs cpu/event", "postgres µs cpu/event", "cpu-bound events/s"])  # fmt: skip
        print(f"load average during the run: {os.getloadavg()[0]:.1f} (this machine: {os.cpu_count()} cores)")
        booked = bench.booked() - len(warm)
        print(
            f"\nbooked {booked} of {len(events)} (accepted {new['accepted']}, then {again['duplicates']} duplicates, "
            f"{again['accepted']} booked twice); control plane workers: {args.workers}, tenants: {args.tenants}"
        )
        return 0 if booked == len(events) and again["accepted"] == 0 else 1
    finally:
        bench.close()
        shutil.rmtree(workdir, ignore_errors=True)
