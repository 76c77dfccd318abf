"""Upgrade campaigns with the Kubernetes driver on the test cluster, for a dedicated tenant, run by a real Celery
worker: the migration runs as a Job with the new release's image (``zgwcloud runtime migrate --heads ...``), the
release's Deployment rolls to the new image, the health gate calls the runtime the Deployment describes; and a
release whose image does not serve is rolled back to the previous image automatically.

kwok starts no containers: the drivers' tests' stand-in kubelet runs the API Deployment's command as a local
process. Here it also restarts it when the Deployment's image changes, and runs nothing for the image tag
``0.3.0-broken`` — a release whose pods come up Ready but do not serve."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from controlplane.celery_app import create_celery
from tests.controlplane.conftest import build_world
from tests.controlplane.drivers.conftest import (
    KubePlatform,
    RuntimeKubelet,
    _remove_namespaces,
    kubernetes_settings,
)
from tests.fixtures.kubernetes import KubeCluster
from tests.fixtures.processes import free_port
from tests.fixtures.services import PostgresServer

pytestmark = [pytest.mark.k8s, pytest.mark.slow]
REPOSITORY = "ghcr.io/zgw-cloud/zgw-cloud"
BROKEN = "0.3.0-broken"


class ReleaseKubelet(RuntimeKubelet):
    """The drivers' stand-in kubelet, following the Deployment's image: a new image restarts the process, the
    broken tag runs nothing."""

    image = ""

    def _loop(self) -> None:
        while not self._stop.wait(0.3):
            try:
                deployment = self.apps.read_namespaced_deployment("zgw-runtime", self.namespace)
            except Exception:  # noqa: S112 - not there yet, or the API server is busy: look again
                continue
            image = deployment.spec.template.spec.containers[0].image
            wanted = (deployment.spec.replicas or 0) > 0 and not image.endswith(f":{BROKEN}")
            running = self.process is not None and self.process.alive()
            if running and (image != self.image or not wanted) and self.process is not None:
                self.process.stop(timeout=5)
                self.process, running = None, False
            if wanted and not running:
                self.image = image
                self._start(deployment)


class JobRecorder:
    """Every Job created in the namespace (the driver deletes completed ones), with its image and command."""

    def __init__(self, cluster: KubeCluster, namespace: str) -> None:
        from kubernetes import client

        self.batch = client.BatchV1Api(cluster.api_client())
        self.namespace = namespace
        self.jobs: dict[str, tuple[str, list[str]]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(0.05):
            try:
                items = self.batch.list_namespaced_job(self.namespace).items
            except Exception:  # noqa: S112 - the API server is busy: look again
                continue
            for job in items:
                container = job.spec.template.spec.containers[0]
                self.jobs[job.metadata.name] = (container.image, list(container.command or []))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)


@pytest.fixture
def kube_release_platform(
    tmp_path: Path, postgres_server: PostgresServer, kube_cluster: KubeCluster, redis_url: str
) -> Iterator[KubePlatform]:
    if not kube_cluster.has_controllers:
        pytest.skip("the test cluster has no controller-manager/scheduler/kwok: Deployments never become Available")
    port = free_port()
    settings = kubernetes_settings(
        tmp_path, postgres_server, kube_cluster, port, celery_broker_url=redis_url, celery_visibility_timeout=3,
        upgrade_gate_window_seconds=1.0, upgrade_gate_timeout_seconds=10.0, campaign_tick_seconds=2.0,
    )  # fmt: skip
    celery = create_celery(settings)
    kubelet = ReleaseKubelet(kube_cluster, tmp_path, port)
    for world in build_world(settings, dispatch=lambda job_id: celery.send_task("tenants.run_job", args=[str(job_id)])):
        platform = KubePlatform(world, settings, kube_cluster, kubelet, tmp_path)
        try:
            yield platform
        finally:
            kubelet.stop()
            for worker in platform.workers:
                worker.stop()
            _remove_namespaces(kube_cluster, settings.kubernetes_namespace_prefix)


def _campaign(platform: KubePlatform, version: str, tenant: str) -> dict[str, Any]:
    image = f"{REPOSITORY}:{version}"
    release = platform.post("/api/v1/releases", {"version": version, "image": image, "status": "available"})
    assert release.status_code == 201, release.text
    started = platform.post("/api/v1/campaigns", {"release": version, "scope": "tenants", "tenants": [tenant],
                                                  "canary_count": 0, "wave_pause_seconds": 0})  # fmt: skip
    assert started.status_code == 201, started.text
    url = f"/api/v1/campaigns/{started.json()['id']}"
    deadline = time.monotonic() + 150
    while time.monotonic() < deadline:
        campaign = platform.world.client.get(url, headers=platform.world.headers("operator")).json()
        if campaign["status"] != "running":
            return campaign  # type: ignore[no-any-return]
        time.sleep(0.5)
    raise AssertionError(f"campaign to {version} did not finish\n{platform.logs()}")


def test_dedicated_tenant_upgraded_by_job_and_rolled_back(kube_release_platform: KubePlatform) -> None:
    from kubernetes import client

    platform = kube_release_platform
    apps = client.AppsV1Api(platform.cluster.api_client())
    platform.start_worker()
    tenant_id, job_id = platform.onboard("zwolle", "0193")
    assert platform.wait_job(job_id)["status"] == "succeeded", platform.logs()
    namespace = platform.settings.kubernetes_namespace_prefix + "zwolle"
    heads = platform.world.client.get("/api/v1/releases/0.1.0", headers=platform.world.headers("operator")).json()[
        "schema_heads"]  # fmt: skip
    jobs = JobRecorder(platform.cluster, namespace)
    try:
        done = _campaign(platform, "0.2.0-test", "zwolle")
        upgrade = done["tenants"][0]
        assert done["status"] == "completed" and upgrade["status"] == "upgraded", (
            done["halt_reason"],
            upgrade["failed_step"],
            upgrade["detail"],
            upgrade["job"],
            platform.logs()[-6000:],
        )
        image = apps.read_namespaced_deployment("zgw-runtime", namespace).spec.template.spec.containers[0].image
        assert image == f"{REPOSITORY}:0.2.0-test"
        migrations = {n: j for n, j in jobs.jobs.items() if n.startswith("zgw-runtime-migrate-")}
        assert any(
            j[0] == f"{REPOSITORY}:0.2.0-test" and j[1][-2:] == ["--heads", ",".join(heads)]
            for j in migrations.values()
        ), jobs.jobs
        assert upgrade["gate"]["smoke"] == "ok" and upgrade["gate"]["error_rate"] == 0.0

        jobs.jobs.clear()
        rolled = _campaign(platform, BROKEN, "zwolle")
        upgrade = rolled["tenants"][0]
        assert upgrade["status"] == "rolled_back" and upgrade["failed_step"] == "health_gate", (rolled, platform.logs())
        image = apps.read_namespaced_deployment("zgw-runtime", namespace).spec.template.spec.containers[0].image
        assert image == f"{REPOSITORY}:0.2.0-test"  # the previous release's image again
        # The downgrade Job runs the newer image (only its code knows its revisions) to the previous heads.
        assert any(
            j[0] == f"{REPOSITORY}:{BROKEN}" for n, j in jobs.jobs.items() if n.startswith("zgw-runtime-migrate-")
        )
        release = platform.world.client.get(f"/api/v1/tenants/{tenant_id}/release",
                                            headers=platform.world.headers("operator")).json()  # fmt: skip
        assert release["version"] == "0.2.0-test" and release["previous_version"] == "0.1.0"
        assert platform.tenant(tenant_id)["status"] == "active"
    finally:
        jobs.stop()
