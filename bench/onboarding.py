"""Onboarding speed and runtime memory per tenant, through the production path.

Starts its own PostgreSQL and Redis (``tests/fixtures/services.py``), the shared tenant runtime as its own
process (uvicorn), the control plane's Celery worker (prefork, ``--concurrency`` processes, Redis broker) and
calls the control-plane API in this process. Each onboarding is: ``POST /api/v1/tenants`` (and a credential
for an application) → the provisioning job runs (database + role, migrations, credentials, registry,
verification call) → the application's first successful ZGW call (``GET /notificaties/api/v1/kanaal`` with
its own JWT). Reported:

* **sequential**: N municipalities one after the other — time from the onboard call to the first successful
  ZGW call (p50/p95/max);
* **parallel**: 8 municipalities onboarded at once — the same per municipality, and the wall time for all;
* **memory**: the runtime process's resident memory before and after one ZGW call to every active tenant
  (each gets its connection pool), divided by the number of tenants.

``python -m bench onboarding [--tenants 5] [--parallel 8] [--concurrency 8]``; ``--tenants 342`` for the
full run (every Dutch municipality).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
from fastapi.testclient import TestClient

from controlplane.accounts.models import Role, User
from controlplane.accounts.passwords import hash_password
from controlplane.accounts.tokens import create_token
from controlplane.celery_app import create_celery
from controlplane.cli import migrate_controlplane
from controlplane.config import Settings
from controlplane.container import build_controlplane
from controlplane.main import create_app
from controlplane.tenants.models import Plan
from tenant_runtime.autorisaties.admin import make_jwt
from tenant_runtime.tenants.service import migrate_registry
from tests.fixtures.processes import ManagedProcess, free_port
from tests.fixtures.services import PostgresServer, RedisServer

BENCH_KEY = "zP3o0sVt0H8oX3f3a0m0b3Yy6c5V7Qe6J2pQm3JrXx8="  # a fixed Fernet key, benchmark only
KANALEN = "/notificaties/api/v1/kanaal"
STEP_LINE = re.compile(r"duration_ms=(?P<ms>\d+).*step=(?P<step>\w+).*tenant=(?P<tenant>[\w-]+)")


@dataclass
class Result:
    slug: str
    to_active: float  # onboard call → provisioning job succeeded
    to_first_call: float  # onboard call → first successful ZGW call with the application's credential
    attempts: int  # runs of the provisioning job (more than 1: a step was retried)


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _children_rss_kb(pid: int) -> int:
    """RSS of a process and its descendants (uvicorn runs the app in the process it starts)."""
    total = _rss_kb(pid)
    for child in Path(f"/proc/{pid}/task").iterdir():
        children = child / "children"
        if children.exists():
            for cpid in children.read_text().split():
                total += _children_rss_kb(int(cpid))
    return total


class Bench:
    def __init__(self, workdir: Path, concurrency: int) -> None:
        self.workdir = workdir
        (workdir / "pg").mkdir()
        (workdir / "redis").mkdir()
        self.postgres = PostgresServer.start(workdir / "pg")
        self.redis = RedisServer.start(workdir / "redis")
        registry = self.postgres.create_database("registry")
        migrate_registry(registry)
        runtime_port = free_port()
        self.runtime_url = f"http://127.0.0.1:{runtime_port}"
        self.settings = Settings(
            environment="test",
            encryption_key=BENCH_KEY,
            secret_key="bench-secret-key-0123456789-abcdefghij",
            data_dir=workdir / "cp",
            database_url=self.postgres.create_database("cp"),
            runtime_registry_url=registry,
            runtime_data_dir=workdir / "rt",
            runtime_public_url=self.runtime_url,
            celery_broker_url=f"{self.redis.url}/0",
        )
        migrate_controlplane(self.settings)
        env = {
            "ZGW_RUNTIME_REGISTRY_URL": registry,
            "ZGW_RUNTIME_DATA_DIR": str(workdir / "rt"),
            "ZGW_RUNTIME_LOG_LEVEL": "WARNING",
            "ZGW_RUNTIME_DB_POOL_SIZE": "1",
        }
        self.runtime = ManagedProcess(
            "runtime",
            [sys.executable, "-m", "uvicorn", "--factory", "tenant_runtime.main:app_from_env", "--port",
             str(runtime_port), "--log-level", "warning", "--no-access-log"],
            workdir,
            env=env,
        )  # fmt: skip
        self.runtime.wait_ready(lambda: httpx.get(f"{self.runtime_url}/healthz").status_code == 200)
        worker_env = {
            "ZGW_ENVIRONMENT": "test",
            "ZGW_ENCRYPTION_KEY": BENCH_KEY,
            "ZGW_SECRET_KEY": self.settings.secret_key,
            "ZGW_DATABASE_URL": self.settings.database_url,
            "ZGW_RUNTIME_REGISTRY_URL": registry,
            "ZGW_RUNTIME_DATA_DIR": str(workdir / "rt"),
            "ZGW_RUNTIME_PUBLIC_URL": self.runtime_url,
            "ZGW_CELERY_BROKER_URL": self.settings.celery_broker_url,
            "ZGW_LOG_LEVEL": "INFO",  # job_step_done events give the time per step
        }
        self.worker = ManagedProcess(
            "worker",
            [sys.executable, "-m", "celery", "-A", "controlplane.celery_app:celery_app", "worker", "--pool",
             "prefork", "--concurrency", str(concurrency), "-Q", "zgwcloud", "--without-heartbeat",
             "--without-mingle", "--without-gossip", "--loglevel", "WARNING"],
            workdir,
            env=worker_env,
        )  # fmt: skip
        celery = create_celery(self.settings)
        self.cp = build_controlplane(
            self.settings, dispatch=lambda job_id: celery.send_task("tenants.run_job", args=[str(job_id)])
        )
        with self.cp.sessions() as session:
            session.add(Plan(code="basis", name="Basis"))
            user = User(email="bench@example.nl", name="Bench", password_hash=hash_password("x" * 16),
                        role=Role.OPERATOR)  # fmt: skip
            session.add(user)
            session.flush()
            _, self.token = create_token(session, user, "bench")
            session.commit()
        self.client = TestClient(create_app(self.settings, controlplane=self.cp))
        self.headers = {"Authorization": f"Bearer {self.token}"}
        self._codes = iter(range(1, 10_000))

    def onboard(self) -> Result:
        number = next(self._codes)
        slug = f"gemeente-{number:04d}"
        started = time.monotonic()
        body = {"name": f"Gemeente {number:04d}", "gemeentecode": f"{number:04d}", "rsin": "002220647",
                "inhabitants": 20000 + number, "plan": "basis", "slug": slug}  # fmt: skip
        response = self.client.post("/api/v1/tenants", json=body, headers=self.headers)
        response.raise_for_status()
        tenant, job = response.json()["tenant"], response.json()["job"]
        credential = self.client.post(
            f"/api/v1/tenants/{tenant['id']}/credentials",
            json={
                "client_id": f"app-{slug}",
                "label": "Zaaksysteem",
                "autorisaties": [{"component": "nrc", "scopes": ["notificaties.consumeren"]}],
            },
            headers=self.headers,
        )
        credential.raise_for_status()
        secret = credential.json()["secret"]
        deadline = started + 600
        while time.monotonic() < deadline:
            job = self.client.get(f"/api/v1/jobs/{job['id']}", headers=self.headers).json()
            if job["status"] == "succeeded":
                break
            if job["status"] == "failed":
                raise RuntimeError(f"provisioning {slug} failed: {job['error']}")
            time.sleep(0.05)
        to_active = time.monotonic() - started
        url = f"{self.runtime_url}/t/{slug}{KANALEN}"
        while time.monotonic() < deadline:
            token = make_jwt(f"app-{slug}", secret)
            if httpx.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=10).status_code == 200:
                return Result(slug, to_active, time.monotonic() - started, job["attempts"])
            time.sleep(0.05)
        raise RuntimeError(f"{slug}: no successful ZGW call")

    def runtime_rss_kb(self) -> int:
        return _children_rss_kb(self.runtime.process.pid)

    def call_each(self, slugs: list[str]) -> None:
        """One authenticated call to every tenant (each gets its connection pool and client cache)."""
        with self.cp.sessions() as session:
            from controlplane.credentials import service as credentials
            from controlplane.tenants.models import Tenant

            tenants = {t.slug: t for t in session.query(Tenant).filter(Tenant.slug.in_(slugs))}
            secrets = {s: credentials.platform_secret(self.cp, t) for s, t in tenants.items()}
        for slug, secret in secrets.items():
            token = make_jwt(credentials.PLATFORM_CLIENT_ID, secret)
            httpx.get(f"{self.runtime_url}/t/{slug}{KANALEN}", headers={"Authorization": f"Bearer {token}"})

    def step_durations(self, slugs: set[str]) -> dict[str, float]:
        """Mean seconds per provisioning step for these tenants, from the worker's ``job_step_done`` events."""
        per_step: dict[str, list[float]] = {}
        for line in self.worker.log.read_text(errors="replace").splitlines():
            if "job_step_done" in line and (match := STEP_LINE.search(line)) and match["tenant"] in slugs:
                per_step.setdefault(match["step"], []).append(int(match["ms"]) / 1000)
        return {step: statistics.mean(values) for step, values in per_step.items()}

    def close(self) -> None:
        self.client.close()
        self.cp.close()
        for process in (self.worker, self.runtime):
            process.stop()
        self.redis.stop()
        self.postgres.stop()


def _summary(label: str, values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return (f"{label:<34} n={len(values):<4} p50={statistics.median(ordered):6.2f}s  p95={p95:6.2f}s  "
            f"max={ordered[-1]:6.2f}s")  # fmt: skip


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench onboarding", description=__doc__)
    parser.add_argument("--tenants", type=int, default=5, help="municipalities onboarded one after the other")
    parser.add_argument("--parallel", type=int, default=8, help="municipalities onboarded at once")
    parser.add_argument("--concurrency", type=int, default=8, help="Celery worker processes (prefork)")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="zgw-test-services-bench-"))
    workdir.chmod(0o755)
    bench = Bench(workdir, args.concurrency)
    try:
        warm = bench.onboard()  # warm-up: imports and first connections in the worker and runtime processes
        bench.call_each([warm.slug])
        before = bench.runtime_rss_kb()
        sequential_started = time.monotonic()
        sequential = [bench.onboard() for _ in range(args.tenants)]
        sequential_wall = time.monotonic() - sequential_started
        started = time.monotonic()
        with ThreadPoolExecutor(args.parallel) as pool:
            parallel = list(pool.map(lambda _: bench.onboard(), range(args.parallel)))
        parallel_wall = time.monotonic() - started
        slugs = [r.slug for r in sequential + parallel]
        bench.call_each(slugs)
        after = bench.runtime_rss_kb()
        per_tenant = (after - before) / max(1, len(slugs))
        steps_sequential = bench.step_durations({r.slug for r in sequential})
        steps_parallel = bench.step_durations({r.slug for r in parallel})
    finally:
        bench.close()
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"\nOnboarding — {os.cpu_count()} CPUs, PostgreSQL + Redis, local driver, "
          f"{args.concurrency} worker processes, runtime as its own process")  # fmt: skip
    print(_summary("sequential: onboard → active", [r.to_active for r in sequential]))
    print(_summary("sequential: onboard → first ZGW call", [r.to_first_call for r in sequential]))
    print(_summary(f"parallel {args.parallel}: onboard → active", [r.to_active for r in parallel]))
    print(_summary(f"parallel {args.parallel}: onboard → first ZGW call", [r.to_first_call for r in parallel]))
    print(f"sequential: wall time for all {args.tenants} {sequential_wall:.1f}s")
    print(f"parallel {args.parallel}: wall time for all {parallel_wall:.2f}s")
    print("mean seconds per provisioning step (sequential / parallel):")
    for step, seconds in steps_sequential.items():
        print(f"  {step:<18} {seconds:6.2f}  {steps_parallel.get(step, float('nan')):6.2f}")
    print(f"provisioning runs per job: max {max(r.attempts for r in sequential + parallel)}")
    print(f"runtime RSS: {before / 1024:.1f} MiB with 1 active tenant, {after / 1024:.1f} MiB with "
          f"{len(slugs) + 1} (each called) → {per_tenant:.0f} KiB per additional active tenant")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
