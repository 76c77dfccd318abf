"""The control-plane chart's ClusterRole is what the Kubernetes driver needs, and no more: the chart's rendered
RBAC is applied, and a whole dedicated lifecycle (provision, observe, drift repair, suspend, resume,
deprovision) runs with the driver impersonating the chart's ServiceAccount. Every request it sends is recorded:
each is allowed, each granted permission is used (only deleting a Service, which only a later chart version
could drop, is not exercised), and a request outside the role is forbidden."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from controlplane.drivers.interfaces import PermanentError, TemporaryError
from controlplane.drivers.kubernetes import KubernetesDriver
from controlplane.jobs import runner
from controlplane.jobs.models import JobStatus
from controlplane.tenants import reconcile
from tests.charts.rendering import CONTROLPLANE_CHART, Helm, kube_version
from tests.controlplane.conftest import World, build_world
from tests.controlplane.drivers.conftest import RuntimeKubelet, kubernetes_settings
from tests.fixtures.kubernetes import KubeCluster
from tests.fixtures.processes import free_port
from tests.fixtures.services import PostgresServer

pytestmark = [pytest.mark.k8s, pytest.mark.slow]

# Deleting an object the current chart never stops rendering happens only when a later chart version drops it.
PRUNE_ONLY = {("delete", "services")}


@pytest.fixture
def service_account(kube_cluster: KubeCluster, tmp_path: Path) -> Iterator[tuple[str, dict[tuple[str, str], set[str]]]]:
    """The chart's ServiceAccount, ClusterRole and binding applied in a namespace of their own."""
    from kubernetes import client, utils

    api = kube_cluster.api_client()
    namespace = f"zgw-system-{uuid.uuid4().hex[:6]}"
    client.CoreV1Api(api).create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=namespace)))
    release = f"rbac{uuid.uuid4().hex[:6]}"
    helm = Helm.find(tmp_path / "helm-home")
    templates = ["-s", "templates/serviceaccount.yaml", "-s", "templates/rbac.yaml"]
    rendered = helm.run(
        "template", release, CONTROLPLANE_CHART, "--namespace", namespace, "--kube-version", kube_version(), *templates
    ).stdout
    manifests = [m for m in yaml.safe_load_all(rendered) if m]
    granted: dict[tuple[str, str], set[str]] = {}
    for manifest in manifests:
        utils.create_from_dict(api, manifest, namespace=namespace)
        if manifest["kind"] == "ClusterRole":
            for rule in manifest["rules"]:
                for group in rule["apiGroups"]:
                    for resource in rule["resources"]:
                        granted.setdefault((group, resource), set()).update(rule["verbs"])
    account = next(m["metadata"]["name"] for m in manifests if m["kind"] == "ServiceAccount")
    yield f"system:serviceaccount:{namespace}:{account}", granted
    rbac = client.RbacAuthorizationV1Api(api)
    for manifest in manifests:
        if manifest["kind"] == "ClusterRole":
            rbac.delete_cluster_role(manifest["metadata"]["name"])
        elif manifest["kind"] == "ClusterRoleBinding":
            rbac.delete_cluster_role_binding(manifest["metadata"]["name"])
    client.CoreV1Api(api).delete_namespace(namespace)


def _record_requests(driver: KubernetesDriver) -> list[tuple[str, str]]:
    used: list[tuple[str, str]] = []
    send = driver.api._send

    def recording(method: str, path: str, **kwargs: Any) -> Any:
        if path != "/version":
            used.append((method, path))
        return send(method, path, **kwargs)

    driver.api._send = recording  # type: ignore[method-assign]
    return used


def _run(world: World, path: str) -> None:
    """Start a lifecycle job and run it here, retrying after each TemporaryError's delay as Celery would."""
    response = world.client.post(path, headers=world.headers("operator"))
    assert response.status_code == 202, response.text
    job_id = uuid.UUID(response.json()["id"])
    for _ in range(runner.MAX_ATTEMPTS):
        try:
            status = runner.run(world.cp, job_id)
        except TemporaryError as exc:
            time.sleep(min(exc.delay, 3))
            continue
        job = world.client.get(f"/api/v1/jobs/{job_id}", headers=world.headers("operator")).json()
        assert status is JobStatus.SUCCEEDED, job
        return
    raise AssertionError("job did not finish")


def _permission(method: str, path: str) -> tuple[str, str, str]:
    """(verb, API group, resource) of a request path as RBAC sees it."""
    match = re.match(r"^/(?:api/v1|apis/(?P<group>[^/]+)/[^/]+)(?:/namespaces/(?P<ns>[^/]+))?/(?P<rest>.*)$", path)
    assert match, path
    group = match["group"] or ""
    parts = match["rest"].split("/") if match["rest"] else []
    if not parts:  # /api/v1/namespaces/<name>: the namespace object itself
        parts = ["namespaces", match["ns"]]
    resource, named = parts[0], len(parts) > 1
    verb = {"GET": "get" if named else "list", "PATCH": "patch", "DELETE": "delete"}[method]
    return verb, group, resource


def test_driver_runs_with_exactly_the_charts_cluster_role(
    tmp_path: Path, postgres_server: PostgresServer, kube_cluster: KubeCluster,
    service_account: tuple[str, dict[tuple[str, str], set[str]]],
) -> None:  # fmt: skip
    user, granted = service_account
    port = free_port()
    settings = kubernetes_settings(
        tmp_path, postgres_server, kube_cluster, port, kubernetes_as_user=user,
        # the optional chart objects too, so their permissions are exercised
        kubernetes_runtime_values={"autoscaling": {"enabled": True, "minReplicas": 2, "maxReplicas": 3},
                                   "podDisruptionBudget": {"enabled": True}},
    )  # fmt: skip
    kubelet = RuntimeKubelet(kube_cluster, tmp_path, port)
    for world in build_world(settings):
        cp = world.cp
        driver = cp.driver
        assert isinstance(driver, KubernetesDriver)
        used = _record_requests(driver)
        try:
            body = {"name": "Gemeente Zwolle", "gemeentecode": "0193", "rsin": "002220647", "inhabitants": 130000,
                    "plan": "basis", "slug": "zwolle", "tier": "dedicated", "provision": False}  # fmt: skip
            created = world.client.post("/api/v1/tenants", json=body, headers=world.headers("operator"))
            assert created.status_code == 201, created.text
            tenant_id = created.json()["tenant"]["id"]
            kubelet.watch(settings.kubernetes_namespace_prefix + "zwolle")
            _run(world, f"/api/v1/tenants/{tenant_id}/provision")
            namespace = settings.kubernetes_namespace_prefix + "zwolle"
            driver.api.delete("Deployment", namespace, "zgw-runtime")  # drift, repaired as the ServiceAccount
            assert "runtime restored" in reconcile.reconcile_batch(cp).repaired["zwolle"][0]
            # The operator turns the Ingress and the release's policies off: the reconciler prunes them.
            cp.settings.kubernetes_base_domain = ""
            cp.settings.kubernetes_runtime_values = {**settings.kubernetes_runtime_values,
                                                     "networkPolicy": {"enabled": False}}  # fmt: skip
            assert "release verouderd" in reconcile.reconcile_batch(cp).repaired["zwolle"][0]
            _run(world, f"/api/v1/tenants/{tenant_id}/suspend")  # scaled to zero: the HPA and PDB are pruned
            _run(world, f"/api/v1/tenants/{tenant_id}/resume")
            _run(world, f"/api/v1/tenants/{tenant_id}/deprovision")

            needed = list(used)
            # Outside the role: forbidden, and refused as a permanent error (a retry would not change it).
            for method, path in (("GET", "/api/v1/namespaces/kube-system/secrets"), ("GET", "/api/v1/secrets"),
                                 ("GET", f"/api/v1/namespaces/{namespace}/pods"),
                                 ("GET", "/apis/rbac.authorization.k8s.io/v1/clusterroles")):  # fmt: skip
                with pytest.raises(PermanentError, match="403"):
                    driver.api.request(method, path)
        finally:
            kubelet.stop()

        exercised: dict[tuple[str, str], set[str]] = {}
        for method, path in needed:
            verb, group, resource = _permission(method, path)
            assert verb in granted.get((group, resource), set()), f"{method} {path} needs {verb} {group}/{resource}"
            exercised.setdefault((group, resource), set()).add(verb)
            if verb == "patch":  # server-side apply creates what does not exist yet
                exercised[(group, resource)].add("create")
        unused = {(verb, resource) for (group, resource), verbs in granted.items() for verb in verbs
                  if verb not in exercised.get((group, resource), set())}  # fmt: skip
        assert unused <= PRUNE_ONLY, f"granted but never needed: {sorted(unused)}"
