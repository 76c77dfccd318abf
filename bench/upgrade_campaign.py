"""An upgrade campaign across the fleet with the local driver, through the production path.

Starts its own PostgreSQL and Redis, two runtime pools as their own processes (``default``, the public address,
which forwards ``shared-v2``'s tenants, and ``shared-v2``), Celery workers (prefork, ``--concurrency``) and the
control-plane API in this process. It onboards ``--tenants`` municipalities (the real provisioning job, each with
an application credential), describes a release whose migrations are the test release of
``tests/fixtures/releases`` (``reversible/``, or ``irreversible/`` with ``--irreversible``: maintenance from before
the backup until the switch), and starts a campaign to it over every tenant: one canary, then waves of
``--wave-size`` without a pause, each tenant through backup → migrate → switch → health gate (window
``--gate-window`` seconds) → done. The workers advance the campaign by chained tasks; this process sends the beat's
periodic task too.

While a tenant's upgrade runs, a client reads its kanalen every ``--read-interval`` seconds and retries what the
runtime asks it to retry (503 with ``Retry-After``: maintenance, a pool switch in progress; connection errors) for
up to 30 s. Reported: total campaign time, upgrade time per tenant, per-tenant unavailability (the longest run of
retried reads, and the maintenance the control plane measured), and failed reads (the target is none).

``python -m bench upgrade-campaign [--tenants 342] [--concurrency 4] [--wave-size 25] [--gate-window 2]``
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
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from fastapi.testclient import TestClient

from bench.onboarding import STEP_LINE
from bench.onboarding import _summary as summary
from controlplane.accounts.models import Role, User
from controlplane.accounts.passwords import hash_password
from controlplane.accounts.tokens import create_token
from controlplane.celery_app import create_celery
from controlplane.cli import migrate_controlplane
from controlplane.config import Settings
from controlplane.container import build_controlplane
from controlplane.main import create_app
from controlplane.releases.jobs import STEPS
from controlplane.releases.models import TenantUpgrade, UpgradeStatus
from controlplane.tenants.models import Plan
from tenant_runtime.autorisaties.admin import make_jwt
from tenant_runtime.tenants.service import migrate_registry
from tests.controlplane.drivers.conftest import settings_env
from tests.fixtures.processes import ManagedProcess, free_port
from tests.fixtures.releases import IRREVERSIBLE, REVERSIBLE
from tests.fixtures.services import PostgresServer, RedisServer

BENCH_KEY = "zP3o0sVt0H8oX3f3a0m0b3Yy6c5V7Qe6J2pQm3JrXx8="  # a fixed Fernet key, benchmark only
KANALEN = "/notificaties/api/v1/kanaal"
POOL_V2 = "shared-v2"
RETRY_FOR = 30.0
UPGRADE_STEPS = [name for name, _ in STEPS]


@dataclass
class Reads:
    """What the retrying client saw for one tenant during its upgrade."""

    reads: int = 0
    retried: int = 0  # answers it was asked to retry (503 + Retry-After) or connection errors
    failed: int = 0  # a read that did not succeed within RETRY_FOR, or an answer not to be retried
    longest_unavailable: float = 0.0  # seconds from the first retried answer to the next success
    failures: list[str] = field(default_factory=list)


class RetryingReader:
    """Reads one tenant's kanalen over and over, retrying what the runtime asks to retry."""

    def __init__(self, url: str, token: str, interval: float) -> None:
        self.url, self.headers, self.interval = url, {"Authorization": f"Bearer {token}"}, interval
        self.result = Reads()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _read_once(self, http: httpx.Client) -> None:
        first_retry: float | None = None
        deadline = time.monotonic() + RETRY_FOR
        while True:
            try:
                response = http.get(self.url, headers=self.headers)
                status, retry_after = response.status_code, response.headers.get("retry-after")
            except httpx.TransportError as exc:
                status, retry_after = 0, "1"
                response = None
                reason = type(exc).__name__
            if status == 200:
                if first_retry is not None:
                    self.result.longest_unavailable = max(
                        self.result.longest_unavailable, time.monotonic() - first_retry
                    )
                return
            if (status == 503 and retry_after) or status == 0:
                self.result.retried += 1
                first_retry = first_retry or time.monotonic()
                if time.monotonic() < deadline:
                    time.sleep(min(float(retry_after or 1), 0.2))
                    continue
            self.result.failed += 1
            reason = response.text[:200] if response is not None else reason
            self.result.failures.append(f"{status}: {reason}")
            return

    def _run(self) -> None:
        with httpx.Client(timeout=10) as http:
            while not self.stop.is_set():
                self.result.reads += 1
                self._read_once(http)
                self.stop.wait(self.interval)

    def finish(self) -> Reads:
        self.stop.set()
        self.thread.join(RETRY_FOR + 5)
        return self.result


class Bench:
    def __init__(self, workdir: Path, args: argparse.Namespace) -> None:
        self.workdir, self.args = workdir, args
        (workdir / "pg").mkdir()
        (workdir / "redis").mkdir()
        self.postgres = PostgresServer.start(workdir / "pg")
        self.redis = RedisServer.start(workdir / "redis")
        registry = self.postgres.create_database("registry")
        migrate_registry(registry)
        front_port, v2_port = free_port(), free_port()
        self.front, self.v2 = f"http://127.0.0.1:{front_port}", f"http://127.0.0.1:{v2_port}"
        self.settings = Settings(
            environment="test",
            encryption_key=BENCH_KEY,
            secret_key="bench-secret-key-0123456789-abcdefghij",
            data_dir=workdir / "cp",
            database_url=self.postgres.create_database("cp"),
            runtime_registry_url=registry,
            runtime_data_dir=workdir / "rt",
            runtime_public_url=self.front,
            runtime_pool_routes={POOL_V2: self.v2},
            celery_broker_url=f"{self.redis.url}/0",
            upgrade_gate_window_seconds=args.gate_window,
            upgrade_gate_timeout_seconds=60.0,
        )
        migrate_controlplane(self.settings)
        self.processes: list[ManagedProcess] = []
        for name, port, pool, routes in (("v2", v2_port, POOL_V2, {}), ("front", front_port, "default",
                                                                        {POOL_V2: self.v2})):  # fmt: skip
            env = {"ZGW_RUNTIME_REGISTRY_URL": registry, "ZGW_RUNTIME_DATA_DIR": str(workdir / "rt"),
                   "ZGW_RUNTIME_LOG_LEVEL": "WARNING", "ZGW_RUNTIME_DB_POOL_SIZE": "1", "ZGW_RUNTIME_POOL": pool,
                   # Two processes × open tenant pools must fit PostgreSQL's max_connections (400 here).
                   "ZGW_RUNTIME_MAX_OPEN_TENANT_ENGINES": str(args.max_engines),
                   "ZGW_RUNTIME_POOL_ROUTES": json.dumps(routes)}  # fmt: skip
            process = ManagedProcess(
                f"runtime-{name}",
                [sys.executable, "-m", "uvicorn", "--factory", "tenant_runtime.main:app_from_env", "--port",
                 str(port), "--log-level", "warning", "--no-access-log"],
                workdir,
                env=env,
            )  # fmt: skip
            process.wait_ready(lambda port=port: httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200)
            self.processes.append(process)
        worker = ManagedProcess(
            "worker",
            [sys.executable, "-m", "celery", "-A", "controlplane.celery_app:celery_app", "worker", "--pool",
             "prefork", "--concurrency", str(args.concurrency), "-Q", "zgwcloud", "--without-heartbeat",
             "--without-mingle", "--without-gossip", "--loglevel", "WARNING"],
            workdir,
            env={**settings_env(self.settings), "ZGW_LOG_LEVEL": "INFO"},  # job_step_done: seconds per step
        )  # fmt: skip
        self.processes.append(worker)
        self.worker = worker
        self.celery = create_celery(self.settings)
        self.cp = build_controlplane(
            self.settings, dispatch=lambda job_id: self.celery.send_task("tenants.run_job", args=[str(job_id)])
        )
        with self.cp.sessions() as session:
            session.add(Plan(code="basis", name="Basis"))
            user = User(email="bench@example.nl", name="Bench", password_hash=hash_password("x" * 16),
                        role=Role.OPERATOR)  # fmt: skip
            session.add(user)
            session.flush()
            _, token = create_token(session, user, "bench")
            session.commit()
        self.client = TestClient(create_app(self.settings, controlplane=self.cp))
        self.headers = {"Authorization": f"Bearer {token}"}
        self.tokens: dict[str, str] = {}
        self.reads: dict[str, Reads] = {}

    # --- the fleet ----------------------------------------------------------------------------------
    def onboard(self, number: int) -> str:
        slug = f"gemeente-{number:04d}"
        body = {"name": f"Gemeente {number:04d}", "gemeentecode": f"{number:04d}", "rsin": "002220647",
                "inhabitants": 1000 + number, "plan": "basis", "slug": slug}  # fmt: skip
        response = self.client.post("/api/v1/tenants", json=body, headers=self.headers)
        response.raise_for_status()
        tenant, job = response.json()["tenant"], response.json()["job"]
        deadline = time.monotonic() + 900
        while time.monotonic() < deadline:
            job = self.client.get(f"/api/v1/jobs/{job['id']}", headers=self.headers).json()
            if job["status"] == "succeeded":
                break
            if job["status"] == "failed":
                raise RuntimeError(f"provisioning {slug} failed: {job['error']}")
            time.sleep(0.2)
        credential = self.client.post(
            f"/api/v1/tenants/{tenant['id']}/credentials",
            json={"client_id": f"app-{slug}", "label": "Zaaksysteem",
                  "autorisaties": [{"component": "nrc", "scopes": ["notificaties.consumeren"]}]},
            headers=self.headers,
        )  # fmt: skip
        credential.raise_for_status()
        self.tokens[slug] = make_jwt(f"app-{slug}", credential.json()["secret"])
        return slug

    def release(self) -> str:
        version = "0.2.0-bench"
        body = {"version": version, "package_version": "0.1.0", "pool": POOL_V2, "status": "available",
                "migration_paths": [str(IRREVERSIBLE if self.args.irreversible else REVERSIBLE)],
                "reversible": not self.args.irreversible}  # fmt: skip
        self.client.post("/api/v1/releases", json=body, headers=self.headers).raise_for_status()
        return version

    # --- the campaign -------------------------------------------------------------------------------
    def watch(self, campaign_id: uuid.UUID, stop: threading.Event) -> Iterator[None]:
        """Yields once per round while it reads the tenants under upgrade (one reader each)."""
        readers: dict[str, RetryingReader] = {}
        slugs: dict[uuid.UUID, str] = {}
        while not stop.is_set():
            with self.cp.sessions() as session:
                rows = session.query(TenantUpgrade).filter(TenantUpgrade.campaign_id == campaign_id).all()
                if not slugs:
                    from controlplane.tenants.models import Tenant

                    slugs = {t.id: t.slug for t in session.query(Tenant)}
            running = {slugs[u.tenant_id] for u in rows if u.status is UpgradeStatus.RUNNING}
            for slug in running - set(readers) - set(self.reads):
                readers[slug] = RetryingReader(f"{self.front}/t/{slug}{KANALEN}", self.tokens[slug],
                                               self.args.read_interval)  # fmt: skip
            for slug in [s for s in readers if s not in running]:
                self.reads[slug] = readers.pop(slug).finish()
            yield
            stop.wait(0.2)
        for slug, reader in readers.items():
            self.reads[slug] = reader.finish()

    def step_seconds(self) -> dict[str, float]:
        """Mean seconds per upgrade step, from the worker's ``job_step_done`` events."""
        per_step: dict[str, list[float]] = {}
        for line in self.worker.log.read_text(errors="replace").splitlines():
            if "job_step_done" in line and (match := STEP_LINE.search(line)) and match["step"] in UPGRADE_STEPS:
                per_step.setdefault(match["step"], []).append(int(match["ms"]) / 1000)
        return {step: statistics.mean(per_step[step]) for step in UPGRADE_STEPS if step in per_step}

    def close(self) -> None:
        self.client.close()
        self.cp.close()
        for process in reversed(self.processes):
            process.stop()
        self.redis.stop()
        self.postgres.stop()


def _summary(label: str, values: list[float]) -> str:
    return summary(label, values) if values else f"{label:<34} n=0"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench upgrade-campaign", description=__doc__)
    parser.add_argument("--tenants", type=int, default=20, help="municipalities (342: every Dutch municipality)")
    parser.add_argument("--concurrency", type=int, default=4, help="Celery worker processes (prefork)")
    parser.add_argument("--wave-size", type=int, default=25, help="tenants upgraded at once per wave")
    parser.add_argument("--gate-window", type=float, default=2.0, help="seconds the error rate is measured")
    parser.add_argument("--read-interval", type=float, default=0.1, help="seconds between a client's reads")
    parser.add_argument("--irreversible", action="store_true", help="the irreversible test release (maintenance)")
    parser.add_argument("--max-engines", type=int, default=120, help="tenant connection pools per runtime process")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="zgw-test-services-bench-"))
    workdir.chmod(0o755)
    bench = Bench(workdir, args)
    try:
        started = time.monotonic()
        bench.onboard(1)  # warm-up of the worker and runtime processes
        with ThreadPoolExecutor(args.concurrency * 2) as pool:
            list(pool.map(bench.onboard, range(2, args.tenants + 1)))
        provisioning = time.monotonic() - started
        version = bench.release()
        started = time.monotonic()
        response = bench.client.post("/api/v1/campaigns", headers=bench.headers, json={
            "release": version, "scope": "all", "canary_count": 1, "wave_size": args.wave_size,
            "wave_pause_seconds": 0})  # fmt: skip
        response.raise_for_status()
        campaign_id = uuid.UUID(response.json()["id"])
        stop = threading.Event()
        beat = time.monotonic()
        for _ in bench.watch(campaign_id, stop):
            if time.monotonic() - beat > 5:  # what the beat would send every ZGW_CAMPAIGN_TICK_SECONDS
                bench.celery.send_task("releases.advance_campaigns")
                beat = time.monotonic()
            campaign = bench.client.get(f"/api/v1/campaigns/{campaign_id}", headers=bench.headers).json()
            if campaign["status"] != "running" or time.monotonic() - started > 7200:
                stop.set()
        total = time.monotonic() - started
        with bench.cp.sessions() as session:
            upgrades = session.query(TenantUpgrade).filter(TenantUpgrade.campaign_id == campaign_id).all()
            durations = [(u.finished_at - u.started_at).total_seconds() for u in upgrades
                         if u.started_at and u.finished_at]  # fmt: skip
            maintenance = [u.maintenance_seconds for u in upgrades if u.maintenance_seconds is not None]
            outcome: dict[str, int] = {}
            for u in upgrades:
                outcome[u.status.value] = outcome.get(u.status.value, 0) + 1
            failures = [f"{u.tenant_id}: {u.failed_step} {u.detail[:200]}" for u in upgrades if u.failed_step]
        steps = bench.step_seconds()
    finally:
        bench.close()
        shutil.rmtree(workdir, ignore_errors=True)
    reads = list(bench.reads.values())
    kind = "irreversible" if args.irreversible else "reversible"
    print(f"\nUpgrade campaign — {os.cpu_count()} CPUs, PostgreSQL + Redis, local driver, {args.concurrency} worker "
          f"processes, pools default + {POOL_V2} as their own processes, {kind} release, gate window "
          f"{args.gate_window:.0f} s")  # fmt: skip
    print(f"tenants: {args.tenants} (provisioned in {provisioning:.0f} s); campaign: {campaign['status']}, "
          f"{outcome}, waves of {args.wave_size} after 1 canary")  # fmt: skip
    print(f"total campaign time: {total:.1f} s ({total / max(1, args.tenants):.2f} s per tenant)")
    print(_summary("upgrade per tenant (start → finish)", durations))
    print(_summary("maintenance (503) per tenant", maintenance))
    print(_summary("client: longest retried stretch", [r.longest_unavailable for r in reads]))
    print(f"client reads during upgrades: {sum(r.reads for r in reads)} over {len(reads)} tenants, "
          f"{sum(r.retried for r in reads)} retried answers, {sum(r.failed for r in reads)} failed reads")  # fmt: skip
    print("mean seconds per upgrade step: " + ", ".join(f"{k} {v:.2f}" for k, v in steps.items()))
    for line in [f for r in reads for f in r.failures][:10] + failures[:10]:
        print("  " + line)
    return 0 if campaign["status"] == "completed" and not any(r.failed for r in reads) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
