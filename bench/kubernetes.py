"""Dedicated tenants with the Kubernetes driver on the test cluster (kube-apiserver + etcd + controller-manager
+ scheduler + kwok, ``tests/fixtures/kubernetes.py``), PostgreSQL and Redis of its own, the control plane's Celery
worker (prefork, ``--concurrency`` processes) and the control-plane API in this process.

* **sequential / parallel**: ``--tenants`` dedicated municipalities onboarded one after the other, then as many
  again with ``--parallel`` in flight at once — time from ``POST /api/v1/tenants`` to the provisioning job's
  success (status ``active``: namespace, quota, limits, Secret, hook Job, Deployments Available through kwok,
  verification call), p50/p95/max, and the wall time;
* **requests**: Kubernetes API requests per provisioning, from the worker's ``kubernetes_requests`` events;
* **memory**: resident memory of the worker processes before and after, per provisioned tenant;
* **reconcile**: a full pass of the reconciler over ``--fleet`` dedicated tenants (batches of 50, as the beat
  runs it): wall time, per tenant, API requests per tenant, and what it repaired (nothing, on a healthy fleet).

kwok runs no containers, so the verification call goes to the real tenant runtime served from this process: an
ASGI dispatcher at ``ZGW_KUBERNETES_API_URL_TEMPLATE=http://127.0.0.1:<port>/{slug}`` that gives each tenant a
runtime app pinned to it (``ZGW_RUNTIME_PINNED_TENANT``) on that tenant's own registry database, as its pods
would have. The fleet beyond the onboarded tenants is set up directly (databases cloned from a migrated template
database, the runtime applied by the driver) — that set-up is not measured.

``python -m bench kubernetes [--tenants 50] [--parallel 8] [--fleet 400] [--concurrency 8]``
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from bench.onboarding import BENCH_KEY, _children_rss_kb, _rss_kb, _summary
from controlplane.accounts.models import Role, User
from controlplane.accounts.passwords import hash_password
from controlplane.accounts.tokens import create_token
from controlplane.celery_app import create_celery
from controlplane.cli import migrate_controlplane
from controlplane.config import Settings
from controlplane.container import build_controlplane
from controlplane.credentials import service as credentials
from controlplane.credentials.service import new_secret
from controlplane.drivers.databases import quote_ident
from controlplane.drivers.interfaces import RuntimeStatus
from controlplane.drivers.kubernetes import KubernetesDriver
from controlplane.main import create_app
from controlplane.tenants import reconcile
from controlplane.tenants.models import Plan, Tenant, TenantState, Tier
from tenant_runtime.config import RuntimeSettings
from tenant_runtime.db.engines import build_engine
from tenant_runtime.logging import configure_logging
from tenant_runtime.main import create_app as create_runtime
from tenant_runtime.tenants.service import migrate_registry
from tests.fixtures.kubernetes import KubeCluster
from tests.fixtures.processes import ManagedProcess, find_binary, free_port
from tests.fixtures.services import PostgresServer, RedisServer

STEP_LINE = re.compile(r"duration_ms=(?P<ms>\d+).*step=(?P<step>\w+).*tenant=(?P<tenant>[\w-]+)")
REQUESTS_LINE = re.compile(
    r"kubernetes_requests.*operation=(?P<op>\w+).*requests=(?P<n>\d+).*tenant=(?P<tenant>[\w-]+)"
)


class PinnedRuntimes:
    """ASGI: ``/<slug>/...`` is served by a runtime app pinned to that tenant, on its own registry database."""

    def __init__(self, driver: KubernetesDriver, data_dir: Path, size: int = 24) -> None:
        self.driver, self.data_dir, self.size = driver, data_dir, size
        self.apps: OrderedDict[str, Any] = OrderedDict()
        self.lock = threading.Lock()

    def app(self, slug: str) -> Any:
        with self.lock:
            if slug in self.apps:
                self.apps.move_to_end(slug)
                return self.apps[slug]
        from controlplane.drivers.interfaces import TenantSpec

        spec = TenantSpec(slug, slug, tier="dedicated")
        settings = RuntimeSettings(
            environment="test", pinned_tenant=slug, registry_url=self.driver.registries.url(spec),
            data_dir=self.data_dir / slug, registry_cache_seconds=0, db_pool_size=1, db_max_overflow=1,
        )  # fmt: skip
        app = create_runtime(settings)
        with self.lock:
            self.apps[slug] = app
            while len(self.apps) > self.size:
                self.apps.popitem(last=False)
        return app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        slug = scope["path"].split("/")[1]
        child = {**scope, "root_path": scope.get("root_path", "") + "/" + slug}
        await self.app(slug)(child, receive, send)


class Bench:
    def __init__(self, workdir: Path, concurrency: int) -> None:
        self.workdir = workdir
        for name in ("pg", "redis", "k8s"):
            (workdir / name).mkdir()
        self.postgres = PostgresServer.start(workdir / "pg")
        self.redis = RedisServer.start(workdir / "redis")
        self.cluster = KubeCluster.start(workdir / "k8s")
        for index in (1, 2):  # room for a fleet of pods (kwok manages every node)
            _add_node(self.cluster, f"kwok-node-{index}")
        registry = self.postgres.create_database("registry")
        migrate_registry(registry)
        self.port = free_port()
        helm = find_binary("helm")
        assert helm is not None, "helm not built (scripts/build-test-binaries.sh helm)"
        self.settings = Settings(
            environment="test", encryption_key=BENCH_KEY, secret_key="bench-secret-key-0123456789-abcdefghij",
            data_dir=workdir / "cp", database_url=self.postgres.create_database("cp"), runtime_registry_url=registry,
            runtime_data_dir=workdir / "rt", celery_broker_url=f"{self.redis.url}/0",
            driver="kubernetes", kubernetes_kubeconfig=str(self.cluster.kubeconfig), kubernetes_helm_binary=str(helm),
            kubernetes_namespace_prefix="b-", kubernetes_base_domain="zgw.bench",
            kubernetes_api_url_template=f"http://127.0.0.1:{self.port}/{{slug}}",
        )  # fmt: skip
        migrate_controlplane(self.settings)
        self.worker = ManagedProcess(
            "worker",
            [sys.executable, "-m", "celery", "-A", "controlplane.celery_app:celery_app", "worker", "--pool",
             "prefork", "--concurrency", str(concurrency), "-Q", "zgwcloud", "--without-heartbeat",
             "--without-mingle", "--without-gossip", "--loglevel", "WARNING"],
            workdir,
            env={**_env(self.settings), "ZGW_LOG_LEVEL": "INFO"},
        )  # fmt: skip
        celery = create_celery(self.settings)
        self.cp = build_controlplane(
            self.settings, dispatch=lambda job_id: celery.send_task("tenants.run_job", args=[str(job_id)])
        )
        driver = self.cp.driver
        assert isinstance(driver, KubernetesDriver)
        self.driver = driver
        with self.cp.sessions() as session:
            session.add(Plan(code="basis", name="Basis"))  # 2 API replicas (the default sizing)
            session.add(Plan(code="klein", name="Klein", api_replicas=1))
            user = User(email="bench@example.nl", name="Bench", password_hash=hash_password("x" * 16),
                        role=Role.OPERATOR)  # fmt: skip
            session.add(user)
            session.flush()
            _, self.token = create_token(session, user, "bench")
            session.commit()
        self.client = TestClient(create_app(self.settings, controlplane=self.cp))
        self.headers = {"Authorization": f"Bearer {self.token}"}
        self._codes = iter(range(1, 10_000))
        runtimes = PinnedRuntimes(driver, workdir / "rt")
        self.server = uvicorn.Server(uvicorn.Config(runtimes, host="127.0.0.1", port=self.port, log_level="warning",
                                                    lifespan="off", access_log=False))  # fmt: skip
        threading.Thread(target=self.server.run, daemon=True).start()
        while not self.server.started:
            time.sleep(0.05)

    def onboard(self) -> tuple[str, float, int]:
        number = next(self._codes)
        slug = f"gemeente-{number:04d}"
        started = time.monotonic()
        body = {"name": f"Gemeente {number:04d}", "gemeentecode": f"{number:04d}", "rsin": "002220647",
                "inhabitants": 20000 + number, "plan": "basis", "slug": slug, "tier": "dedicated"}  # fmt: skip
        response = self.client.post("/api/v1/tenants", json=body, headers=self.headers)
        response.raise_for_status()
        job = response.json()["job"]
        while time.monotonic() < started + 600:
            job = self.client.get(f"/api/v1/jobs/{job['id']}", headers=self.headers).json()
            if job["status"] == "succeeded":
                return slug, time.monotonic() - started, job["attempts"]
            if job["status"] == "failed":
                raise RuntimeError(f"provisioning {slug} failed: {job['error']}")
            time.sleep(0.05)
        raise RuntimeError(f"{slug}: not active after 600 s")

    def worker_rss_kb(self) -> int:
        return _children_rss_kb(self.worker.process.pid)

    def log_events(self, pattern: re.Pattern[str], slugs: set[str]) -> list[re.Match[str]]:
        lines = self.worker.log.read_text(errors="replace").splitlines()
        return [m for line in lines if (m := pattern.search(line)) and m["tenant"] in slugs]

    def fill_fleet(self, size: int) -> None:
        """Tenants up to ``size`` without the provisioning job (not measured): databases cloned from a migrated
        template, registered, and their runtime applied by the driver."""
        admin = build_engine(self.driver.databases.server_url or "", pooled=False)
        template, registry_template = "zgwbench_template", "zgwbench_registry"
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            for name in (template, registry_template):
                connection.execute(text(f"CREATE DATABASE {name}"))
        template_url = self.driver.databases.admin_url(_spec("template"), template).render_as_string(False)
        from tenant_runtime.tenants.service import migrate_tenant_database

        migrate_tenant_database(template_url)
        registry_url = self.driver.databases.admin_url(_spec("template"), registry_template).render_as_string(False)
        migrate_registry(registry_url)
        for url in (template_url, registry_url):  # the clones' tables are usable by each tenant's role
            engine = build_engine(url, pooled=False)
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("GRANT ALL ON ALL TABLES IN SCHEMA public TO PUBLIC"))
                connection.execute(text("GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO PUBLIC"))
            engine.dispose()
        with self.cp.sessions() as session:
            existing = session.scalar(select(text("count(*)")).select_from(Tenant)) or 0
            plan = session.scalar(select(Plan).where(Plan.code == "klein"))
            assert plan is not None
            tenants = []
            fernet = self.settings.fernet()
            for index in range(int(existing), size):
                number = 5000 + index
                tenant = Tenant(slug=f"vloot-{number}", name=f"Gemeente {number}", gemeentecode=f"{number}",
                                rsin="002220647", inhabitants=10000, tier=Tier.DEDICATED, plan_id=plan.id,
                                state=TenantState.ACTIVE,
                                platform_secret_encrypted=fernet.encrypt(new_secret().encode()).decode())  # fmt: skip
                session.add(tenant)
                tenants.append(tenant)
            session.commit()
            specs = [credentials.spec_of(t) for t in tenants]

        def create(spec: Any) -> None:
            databases = self.driver.databases
            databases.ensure_role(spec)
            with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                for name, source in ((databases.database_name(spec), template),
                                     (self.driver.registries.name(spec), registry_template)):  # fmt: skip
                    connection.execute(text(f"CREATE DATABASE {quote_ident(name)} TEMPLATE {source} "
                                            f"OWNER {quote_ident(databases.role_name(spec))}"))  # fmt: skip
            with alembic:  # registering checks the registry schema with alembic, whose state is process-global
                self.driver.register(spec, RuntimeStatus.ACTIVE)
            self.driver.deploy_runtime(spec, RuntimeStatus.ACTIVE)

        alembic = threading.Lock()
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(create, specs))
        admin.dispose()
        deadline = time.monotonic() + 900
        while time.monotonic() < deadline:  # every runtime Available before the pass (controllers at rest)
            deployments = _all_deployments(self.cluster)
            if all((d.status.available_replicas or 0) >= (d.spec.replicas or 0) for d in deployments):
                return
            time.sleep(2)
        raise RuntimeError("the fleet's Deployments did not become Available")

    def close(self) -> None:
        self.server.should_exit = True
        self.client.close()
        self.cp.close()
        self.worker.stop()
        self.cluster.stop()
        self.redis.stop()
        self.postgres.stop()


def _spec(slug: str) -> Any:
    from controlplane.drivers.interfaces import TenantSpec

    return TenantSpec(slug, slug, tier="dedicated")


def _all_deployments(cluster: KubeCluster) -> list[Any]:
    from kubernetes import client

    return list(client.AppsV1Api(cluster.api_client()).list_deployment_for_all_namespaces().items)


def _add_node(cluster: KubeCluster, name: str) -> None:
    from kubernetes import client

    capacity = {"cpu": "64", "memory": "256Gi", "pods": "500"}
    labels = {"type": "kwok", "kubernetes.io/hostname": name, "kubernetes.io/os": "linux",
              "kubernetes.io/arch": "amd64"}  # fmt: skip
    node = client.V1Node(
        metadata=client.V1ObjectMeta(name=name, labels=labels, annotations={"kwok.x-k8s.io/node": "fake"}),
        status=client.V1NodeStatus(capacity=capacity, allocatable=capacity),
    )
    client.CoreV1Api(cluster.api_client()).create_node(node)


def _env(settings: Settings) -> dict[str, str]:
    import json

    env = {}
    for name, value in settings.model_dump().items():
        env[f"ZGW_{name.upper()}"] = json.dumps(value) if isinstance(value, dict | list) else str(value)
    return env


def _provisioning(bench: Bench, args: argparse.Namespace) -> None:
    # Warm-up, one tenant per worker process: imports, alembic's scripts, first connections, the first helm render.
    with ThreadPoolExecutor(args.concurrency) as pool:
        warm = max(pool.map(lambda _: bench.onboard(), range(args.concurrency)), key=lambda r: r[1])
    rss_before = bench.worker_rss_kb()
    sequential = [bench.onboard() for _ in range(args.tenants)]
    started = time.monotonic()
    with ThreadPoolExecutor(args.parallel) as pool:
        parallel = list(pool.map(lambda _: bench.onboard(), range(args.tenants)))
    parallel_wall = time.monotonic() - started
    rss_after = bench.worker_rss_kb()
    onboarded = {r[0] for r in sequential + parallel}
    requests: dict[str, dict[str, int]] = {}
    for match in bench.log_events(REQUESTS_LINE, onboarded):
        per = requests.setdefault(match["tenant"], {})
        per[match["op"]] = per.get(match["op"], 0) + int(match["n"])
    steps: dict[str, list[float]] = {}
    for match in bench.log_events(STEP_LINE, onboarded):
        steps.setdefault(match["step"], []).append(int(match["ms"]) / 1000)
    print(f"\nKubernetes driver — {os.cpu_count()} CPUs, test cluster (kwok), PostgreSQL + Redis, "
          f"{args.concurrency} worker processes; the slowest warm-up tenant took {warm[1]:.2f}s")  # fmt: skip
    print(_summary("sequential: onboard → active", [r[1] for r in sequential]))
    print(f"sequential: total {sum(r[1] for r in sequential):.1f}s for {len(sequential)}")
    print(_summary(f"parallel {args.parallel}: onboard → active", [r[1] for r in parallel]))
    print(f"parallel {args.parallel}: wall time for all {len(parallel)}: {parallel_wall:.1f}s")
    print("mean seconds per provisioning step:")
    for step, values in steps.items():
        print(f"  {step:<18} {statistics.mean(values):6.2f}")
    print(f"provisioning runs per job: max {max(r[2] for r in sequential + parallel)}")
    totals = [sum(per.values()) for per in requests.values()]
    operations = ("deploy_runtime", "wait_ready")
    by_op = {op: statistics.mean(per.get(op, 0) for per in requests.values()) for op in operations}
    print(f"Kubernetes API requests per provisioning: mean {statistics.mean(totals):.1f} (max {max(totals)}); "
          f"deploy {by_op['deploy_runtime']:.1f}, readiness {by_op['wait_ready']:.1f}")  # fmt: skip
    print(f"worker RSS ({args.concurrency} processes + parent): {rss_before / 1024:.0f} MiB after the warm-up, "
          f"{rss_after / 1024:.0f} MiB after {len(onboarded)} more → "
          f"{(rss_after - rss_before) / max(1, len(onboarded)):.0f} KiB per tenant", flush=True)  # fmt: skip


def _reconcile(bench: Bench, size: int) -> None:
    bench.fill_fleet(size)
    with bench.cp.sessions() as session:
        fleet = session.scalar(select(text("count(*)")).select_from(Tenant)) or 0
    calls_before, rss_before = bench.driver.api.calls, _rss_kb(os.getpid())
    started = time.monotonic()
    checked, repaired = 0, 0
    while checked < fleet:
        report = reconcile.reconcile_batch(bench.cp)
        if report.checked == 0:
            break
        checked += report.checked
        repaired += len(report.repaired)
    wall = time.monotonic() - started
    calls = bench.driver.api.calls - calls_before
    rss_after = _rss_kb(os.getpid())
    print(f"reconcile pass over {checked} dedicated tenants: {wall:.1f}s ({1000 * wall / max(1, checked):.0f} ms "
          f"per tenant), {calls / max(1, checked):.1f} API requests per tenant, {repaired} repaired; reconciling "
          f"process RSS {rss_before / 1024:.0f} → {rss_after / 1024:.0f} MiB")  # fmt: skip


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench kubernetes", description=__doc__)
    parser.add_argument("--tenants", type=int, default=50, help="dedicated tenants onboarded one after the other")
    parser.add_argument("--parallel", type=int, default=8, help="onboardings in flight at once")
    parser.add_argument("--fleet", type=int, default=400, help="dedicated tenants the reconcile pass goes over")
    parser.add_argument("--concurrency", type=int, default=8, help="Celery worker processes (prefork)")
    args = parser.parse_args(argv)
    configure_logging("WARNING")  # this process's reconcile pass would log every tenant
    workdir = Path(tempfile.mkdtemp(prefix="zgw-test-services-bench-k8s-"))
    workdir.chmod(0o755)
    bench = Bench(workdir, args.concurrency)
    try:
        _provisioning(bench, args)
        _reconcile(bench, args.fleet)
    finally:
        bench.close()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
