"""Fixtures of the Kubernetes driver tests: a control plane with ``ZGW_DRIVER=kubernetes`` on the session's test
cluster (kube-apiserver, controller-manager, scheduler, kwok) and PostgreSQL, real Celery workers on Redis, and
a stand-in kubelet that runs the dedicated runtime's container as a local process.

kwok makes the runtime's pods Running/Ready but starts no containers. The ``RuntimeKubelet`` reads what the driver
deployed — the API Deployment's command and environment, Secret references resolved from the Secret the driver
wrote, like a kubelet would — and runs that command (uvicorn, pinned to the tenant) on a loopback port while the
Deployment has replicas; ``ZGW_KUBERNETES_API_URL_TEMPLATE`` points the control plane at that port. So the
verification call and the tests' ZGW calls reach exactly the runtime the cluster was told to run."""

from __future__ import annotations

import json
import re
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from controlplane.celery_app import create_celery
from controlplane.config import Settings
from controlplane.drivers.kubernetes import KubernetesDriver
from tests.controlplane.conftest import World, build_world, make_settings
from tests.fixtures.kubernetes import KubeCluster
from tests.fixtures.processes import ManagedProcess, find_binary, free_port
from tests.fixtures.services import PostgresServer

pytestmark = pytest.mark.k8s

KANALEN = "/notificaties/api/v1/kanaal"


def kubernetes_settings(
    tmp_path: Path, postgres_server: PostgresServer, cluster: KubeCluster, port: int, **overrides: object
) -> Settings:
    helm = find_binary("helm")
    if helm is None:
        pytest.skip("helm not built (scripts/build-test-binaries.sh helm)")
    values: dict[str, object] = {
        "driver": "kubernetes",
        "kubernetes_kubeconfig": str(cluster.kubeconfig),
        "kubernetes_helm_binary": str(helm),
        "kubernetes_namespace_prefix": f"z{uuid.uuid4().hex[:6]}-",  # every test's namespaces apart
        "kubernetes_base_domain": "zgw.test",
        "kubernetes_ingress_class": "nginx",
        "kubernetes_api_url_template": f"http://127.0.0.1:{port}",  # the RuntimeKubelet's port
        "kubernetes_controlplane_url": "http://zgw-controlplane.zgw-system.svc:80",
        "kubernetes_ready_poll_seconds": 20.0,
        "kubernetes_request_timeout": 10.0,
        **overrides,
    }
    return make_settings(tmp_path, postgres_server, **values)


def settings_env(settings: Settings) -> dict[str, str]:
    """Every setting as the ``ZGW_*`` variable a worker process reads."""
    env = {}
    for name, value in settings.model_dump().items():
        if isinstance(value, dict | list):
            env[f"ZGW_{name.upper()}"] = json.dumps(value)
        elif value is not None:
            env[f"ZGW_{name.upper()}"] = str(value)
    return env


def start_worker(settings: Settings, workdir: Path, name: str) -> ManagedProcess:
    return ManagedProcess(
        name,
        [sys.executable, "-m", "celery", "-A", "controlplane.celery_app:celery_app", "worker", "--pool", "solo",
         "--concurrency", "1", "--without-heartbeat", "--without-mingle", "--without-gossip", "-Q", "zgwcloud",
         "--loglevel", "INFO"],
        workdir,
        env={**settings_env(settings), "ZGW_LOG_LEVEL": "INFO"},
    )  # fmt: skip


class RuntimeKubelet:
    """Runs the container of a dedicated tenant's API Deployment as a local process while it has replicas."""

    def __init__(self, cluster: KubeCluster, workdir: Path, port: int) -> None:
        from kubernetes import client

        api = cluster.api_client()
        self.apps, self.core = client.AppsV1Api(api), client.CoreV1Api(api)
        self.workdir, self.port = workdir, port
        self.namespace = ""
        self.process: ManagedProcess | None = None
        self.starts = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True, name="runtime-kubelet")

    def watch(self, namespace: str) -> None:
        self.namespace = namespace
        if not self._thread.is_alive():
            self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(0.3):
            try:
                deployment = self.apps.read_namespaced_deployment("zgw-runtime", self.namespace)
                wanted = (deployment.spec.replicas or 0) > 0
            except Exception as exc:  # NotFound, or the API server is down (then keep what runs)
                status = getattr(exc, "status", None)
                if status != 404:
                    continue
                deployment, wanted = None, False
            running = self.process is not None and self.process.alive()
            if wanted and not running:
                self._start(deployment)
            elif not wanted and self.process is not None:
                self.process.stop(timeout=5)
                self.process = None

    def _start(self, deployment: Any) -> None:
        container = deployment.spec.template.spec.containers[0]
        env: dict[str, str] = {}
        for item in container.env or []:
            if item.value is not None:
                env[item.name] = item.value
            elif item.value_from is not None and item.value_from.secret_key_ref is not None:
                ref = item.value_from.secret_key_ref
                secret = self.core.read_namespaced_secret(ref.name, self.namespace)
                if ref.key in (secret.data or {}):
                    import base64

                    env[item.name] = base64.b64decode(secret.data[ref.key]).decode()
                elif not ref.optional:
                    raise AssertionError(f"Secret {ref.name} lacks required key {ref.key}")
        env["ZGW_RUNTIME_DATA_DIR"] = str(self.workdir / "runtime-data")
        command = list(container.command)
        command[command.index("--host") + 1] = "127.0.0.1"
        command[command.index("--port") + 1] = str(self.port)
        command[0] = str(Path(sys.executable).parent / command[0])  # uvicorn of this virtualenv
        self.starts += 1
        self.process = ManagedProcess(f"runtime-{self.starts}", command, self.workdir, env=env)

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-2000:] for p in sorted(self.workdir.glob("runtime-*.log")))

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)
        if self.process is not None:
            self.process.stop(timeout=5)


@dataclass
class KubePlatform:
    world: World
    settings: Settings
    cluster: KubeCluster
    kubelet: RuntimeKubelet
    workdir: Path
    workers: list[ManagedProcess] = field(default_factory=list)

    @property
    def driver(self) -> KubernetesDriver:
        driver = self.world.cp.driver
        assert isinstance(driver, KubernetesDriver)
        return driver

    def start_worker(self) -> ManagedProcess:
        worker = start_worker(self.settings, self.workdir, f"worker-{len(self.workers)}")
        self.workers.append(worker)
        return worker

    def post(self, path: str, body: object = None) -> httpx.Response:
        return self.world.client.post(path, json=body, headers=self.world.headers("operator"))

    def job(self, job_id: str) -> dict[str, Any]:
        response = self.world.client.get(f"/api/v1/jobs/{job_id}", headers=self.world.headers("operator"))
        assert response.status_code == 200
        return response.json()  # type: ignore[no-any-return]

    def tenant(self, tenant_id: str) -> dict[str, Any]:
        response = self.world.client.get(f"/api/v1/tenants/{tenant_id}", headers=self.world.headers("operator"))
        assert response.status_code == 200
        return response.json()  # type: ignore[no-any-return]

    def wait_job(self, job_id: str, timeout: float = 120) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = self.job(job_id)
            if job["status"] in ("succeeded", "failed"):
                return job
            time.sleep(0.2)
        raise AssertionError(f"job {job_id} did not finish: {self.job(job_id)}\n{self.logs()}")

    def onboard(self, slug: str, code: str, plan: str = "basis") -> tuple[str, str]:
        body = {"name": f"Gemeente {slug.title()}", "gemeentecode": code, "rsin": "002220647",
                "inhabitants": 30000, "plan": plan, "slug": slug, "tier": "dedicated"}  # fmt: skip
        response = self.post("/api/v1/tenants", body)
        assert response.status_code == 201, response.text
        tenant_id, job_id = response.json()["tenant"]["id"], response.json()["job"]["id"]
        self.kubelet.watch(self.settings.kubernetes_namespace_prefix + slug)
        return tenant_id, job_id

    def logs(self) -> str:
        logs = (re.sub(r"\x1b\[[0-9;]*m", "", w.log.read_text(errors="replace"))[-4000:] for w in self.workers)
        workers = "\n".join(logs)
        return f"{workers}\n--- runtime ---\n{self.kubelet.logs()}"


@pytest.fixture
def kube_platform(
    tmp_path: Path, postgres_server: PostgresServer, kube_cluster: KubeCluster, redis_url: str
) -> Iterator[KubePlatform]:
    if not kube_cluster.has_controllers:
        pytest.skip("the test cluster has no controller-manager/scheduler/kwok: Deployments never become Available")
    port = free_port()
    settings = kubernetes_settings(
        tmp_path, postgres_server, kube_cluster, port, celery_broker_url=redis_url, celery_visibility_timeout=3
    )
    celery = create_celery(settings)

    def dispatch(job_id: object) -> None:
        celery.send_task("tenants.run_job", args=[str(job_id)])

    kubelet = RuntimeKubelet(kube_cluster, tmp_path, port)
    for world in build_world(settings, dispatch=dispatch):
        platform = KubePlatform(world, settings, kube_cluster, kubelet, tmp_path)
        try:
            yield platform
        finally:
            kubelet.stop()
            for worker in platform.workers:
                worker.stop()
            _remove_namespaces(kube_cluster, settings.kubernetes_namespace_prefix)


def _remove_namespaces(cluster: KubeCluster, prefix: str) -> None:
    """A failed test may leave its tenant namespaces: delete them (not waited for)."""
    from kubernetes import client

    core = client.CoreV1Api(cluster.api_client())
    for namespace in core.list_namespace(label_selector="app.kubernetes.io/managed-by=zgw-cloud").items:
        if namespace.metadata.name.startswith(prefix):
            core.delete_namespace(namespace.metadata.name)
