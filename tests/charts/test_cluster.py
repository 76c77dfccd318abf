"""The rendered manifests against the real kube-apiserver of the test cluster: server-side dry-run into a namespace
that enforces Pod Security "restricted" (schema validation and admission, as a real install would see them),
then real `helm install`/`upgrade`/`uninstall` of both charts with their hook Jobs, where kwok makes the pods
Running/Ready so the Deployments become Available.

kubeconform would need the Kubernetes JSON schemas from the internet; the API server validates against the very
schemas it serves, offline."""

from __future__ import annotations

import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.charts.rendering import CONTROLPLANE_CHART, RUNTIME_CHART, Helm, Rendered, kubectl_binary, values_sets
from tests.fixtures.kubernetes import KubeCluster

pytestmark = pytest.mark.k8s

RESTRICTED = {
    "pod-security.kubernetes.io/enforce": "restricted",
    "pod-security.kubernetes.io/enforce-version": "latest",
    "pod-security.kubernetes.io/warn": "restricted",
    "pod-security.kubernetes.io/warn-version": "latest",
}
CASES = [
    pytest.param(chart, values, id=f"{chart.name}-{values.stem if values else 'defaults'}")
    for chart in (RUNTIME_CHART, CONTROLPLANE_CHART)
    for values in values_sets(chart)
]


class Namespace:
    """A fresh namespace labelled for Pod Security "restricted", deleted afterwards."""

    def __init__(self, cluster: KubeCluster, prefix: str) -> None:
        from kubernetes import client

        self.cluster = cluster
        self.core = client.CoreV1Api(cluster.api_client())
        self.name = f"{prefix}-{uuid.uuid4().hex[:8]}"
        self.core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=self.name, labels=RESTRICTED)))

    def wait_for_default_service_account(self) -> None:
        """The controller-manager creates it; pods without a serviceAccountName need it."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if any(sa.metadata.name == "default" for sa in self.core.list_namespaced_service_account(self.name).items):
                return
            time.sleep(0.2)
        raise AssertionError("default ServiceAccount never appeared")

    def create_secret(self, name: str, data: dict[str, str]) -> None:
        from kubernetes import client

        self.core.create_namespaced_secret(
            self.name, client.V1Secret(metadata=client.V1ObjectMeta(name=name), string_data=data)
        )

    def delete(self) -> None:
        self.core.delete_namespace(self.name)


@pytest.fixture
def namespace(kube_cluster: KubeCluster) -> Iterator[Namespace]:
    ns = Namespace(kube_cluster, "charts")
    yield ns
    ns.delete()


def kubectl(kubeconfig: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(kubectl_binary()), "--kubeconfig", str(kubeconfig), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def dry_run(kubeconfig: Path, namespace: str, manifests: list[dict[str, Any]]) -> subprocess.CompletedProcess[str]:
    return kubectl(
        kubeconfig,
        "apply",
        "--server-side",
        "--field-manager=chart-tests",
        "--dry-run=server",
        "--namespace",
        namespace,
        "-f",
        "-",
        stdin=yaml.safe_dump_all(manifests),
    )


def pods_of(rendered: Rendered, namespace: str) -> list[dict[str, Any]]:
    """A bare Pod for every pod template: Pod Security admission enforces on Pods, and only warns on workloads."""
    pods = []
    for workload, template in rendered.pod_templates():
        pods.append(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {
                    "name": f"{workload['metadata']['name']}-probe",
                    "namespace": namespace,
                    "labels": template["metadata"]["labels"],
                },
                "spec": template["spec"],
            }
        )
    return pods


@pytest.mark.parametrize(("chart", "values"), CASES)
def test_rendered_manifests_pass_server_side_validation_and_restricted_admission(
    helm: Helm, kubeconfig: Path, namespace: Namespace, chart: Path, values: Path | None
) -> None:
    rendered = helm.template(chart, values, namespace=namespace.name)
    result = dry_run(kubeconfig, namespace.name, rendered.manifests)
    assert result.returncode == 0, result.stderr
    assert "Warning" not in result.stderr, result.stderr  # PodSecurity warnings on workloads, deprecated APIs
    applied = [line for line in result.stdout.splitlines() if "(server dry run)" in line]
    assert len(applied) == len(rendered.manifests), result.stdout
    # a Pod is only admitted when its ServiceAccount exists: create those for real
    namespace.wait_for_default_service_account()
    for account in rendered.of_kind("ServiceAccount"):
        created = kubectl(kubeconfig, "apply", "-n", namespace.name, "-f", "-", stdin=yaml.safe_dump(account))
        assert created.returncode == 0, created.stderr
    result = dry_run(kubeconfig, namespace.name, pods_of(rendered, namespace.name))
    assert result.returncode == 0, result.stderr
    assert "Warning" not in result.stderr, result.stderr


def test_restricted_admission_rejects_a_weakened_pod(helm: Helm, kubeconfig: Path, namespace: Namespace) -> None:
    """The dry-run check above can fail: a container that may escalate privileges is refused."""
    rendered = helm.template(
        RUNTIME_CHART, sets=["securityContext.allowPrivilegeEscalation=true"], namespace=namespace.name
    )
    workloads = dry_run(kubeconfig, namespace.name, rendered.of_kind("Deployment"))
    assert 'would violate PodSecurity "restricted:latest"' in workloads.stderr
    pods = dry_run(kubeconfig, namespace.name, pods_of(rendered, namespace.name))
    assert pods.returncode != 0
    assert "violates PodSecurity" in pods.stderr and "allowPrivilegeEscalation" in pods.stderr


def test_server_rejects_an_invalid_manifest(helm: Helm, kubeconfig: Path, namespace: Namespace) -> None:
    """Schema validation is real: a NetworkPolicy port out of range is refused by the API server."""
    rendered = helm.template(RUNTIME_CHART, namespace=namespace.name)
    policy = next(p for p in rendered.of_kind("NetworkPolicy") if p["metadata"]["name"].endswith("allow-egress"))
    policy["spec"]["egress"][0]["ports"][0]["port"] = 70000
    result = dry_run(kubeconfig, namespace.name, [policy])
    assert result.returncode != 0 and "70000" in result.stderr


class JobWatcher:
    """Records the Jobs of a namespace that completed (one entry per Job object), even when helm deletes them right
    after (hook-succeeded)."""

    def __init__(self, cluster: KubeCluster, namespace: str) -> None:
        from kubernetes import client, watch

        self.succeeded: list[str] = []
        self._uids: set[str] = set()
        self._batch = client.BatchV1Api(cluster.api_client())
        self._watch = watch.Watch()
        self._namespace = namespace
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        version: str | None = None
        while not self._stopped.is_set():
            kwargs: dict[str, Any] = {"timeout_seconds": 2}
            if version:
                kwargs["resource_version"] = version
            for event in self._watch.stream(self._batch.list_namespaced_job, self._namespace, **kwargs):
                job = event["object"]
                version = job.metadata.resource_version
                if job.status and job.status.succeeded and job.metadata.uid not in self._uids:
                    self._uids.add(job.metadata.uid)
                    self.succeeded.append(job.metadata.name)

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=10)


def _available(cluster: KubeCluster, namespace: str) -> dict[str, tuple[int, int]]:
    from kubernetes import client

    apps = client.AppsV1Api(cluster.api_client())
    return {
        d.metadata.name: (d.spec.replicas, d.status.available_replicas or 0)
        for d in apps.list_namespaced_deployment(namespace).items
    }


def _helm_kube(kubeconfig: Path, namespace: str) -> list[str]:
    return ["--kubeconfig", str(kubeconfig), "--namespace", namespace]


def test_runtime_chart_installs_upgrades_and_uninstalls(
    helm: Helm, kube_cluster: KubeCluster, kubeconfig: Path, namespace: Namespace
) -> None:
    from kubernetes import client

    if not kube_cluster.has_controllers:
        pytest.fail("controller-manager, scheduler and kwok are required for Deployments to become Available")
    namespace.wait_for_default_service_account()
    # what the operator (or the control plane's driver) provides: the Secret the chart only references
    namespace.create_secret(
        "utrecht-runtime",
        {
            "ZGW_RUNTIME_REGISTRY_URL": "postgresql+psycopg://runtime:s3cret@db.internal/registry",
            "ZGW_RUNTIME_CELERY_BROKER_URL": "redis://redis.internal:6379/2",
        },
    )
    kube = _helm_kube(kubeconfig, namespace.name)
    values = RUNTIME_CHART / "ci" / "dedicated-values.yaml"
    jobs = JobWatcher(kube_cluster, namespace.name)
    try:
        helm.run("install", "utrecht", RUNTIME_CHART, "--values", values, "--wait", "--timeout", "240s", *kube)
        assert _available(kube_cluster, namespace.name) == {
            "utrecht-zgw-tenant-runtime": (2, 2),
            "utrecht-zgw-tenant-runtime-worker": (1, 1),
            "utrecht-zgw-tenant-runtime-beat": (1, 1),
        }
        assert jobs.succeeded == ["utrecht-zgw-tenant-runtime-migrations"], "the pre-install hook ran"

        core = client.CoreV1Api(kube_cluster.api_client())
        pods = core.list_namespaced_pod(namespace.name).items
        assert pods and all(p.status.phase == "Running" for p in pods)
        for pod in pods:  # admitted by the namespace's "restricted" enforcement, as rendered
            assert pod.spec.security_context.run_as_non_root is True
            assert pod.spec.automount_service_account_token is False
            assert all(c.security_context.read_only_root_filesystem for c in pod.spec.containers)
        networking = client.NetworkingV1Api(kube_cluster.api_client())
        assert len(networking.list_namespaced_network_policy(namespace.name).items) == 4
        ingress = networking.read_namespaced_ingress("utrecht-zgw-tenant-runtime", namespace.name)
        assert ingress.spec.rules[0].host == "utrecht.zgw.example.nl"

        helm.run(
            "upgrade", "utrecht", RUNTIME_CHART, "--values", values, "--set", "api.replicas=3",
            "--wait", "--timeout", "240s", *kube,
        )  # fmt: skip
        assert _available(kube_cluster, namespace.name)["utrecht-zgw-tenant-runtime"] == (3, 3)
        assert jobs.succeeded.count("utrecht-zgw-tenant-runtime-migrations") == 2, "the pre-upgrade hook ran"
        history = yaml.safe_load(helm.run("history", "utrecht", "--output", "yaml", *kube).stdout)
        assert [(h["revision"], h["status"]) for h in history] == [(1, "superseded"), (2, "deployed")]
        batch = client.BatchV1Api(kube_cluster.api_client())
        assert not batch.list_namespaced_job(namespace.name).items, "succeeded hook Jobs are cleaned up"

        helm.run("uninstall", "utrecht", "--wait", "--timeout", "120s", *kube)
        assert _available(kube_cluster, namespace.name) == {}
        assert core.read_namespaced_secret("utrecht-runtime", namespace.name), "the operator's Secret stays"
    finally:
        jobs.stop()


def test_upgrade_runs_the_migrations_hook_again(
    helm: Helm, kube_cluster: KubeCluster, kubeconfig: Path, namespace: Namespace
) -> None:
    namespace.wait_for_default_service_account()
    namespace.create_secret("pool-secret", {"ZGW_RUNTIME_REGISTRY_URL": "x", "ZGW_RUNTIME_CELERY_BROKER_URL": "y"})
    kube = _helm_kube(kubeconfig, namespace.name)
    sets = ["--set", "existingSecret=pool-secret", "--set", "pool=shared-v2", "--set", "api.replicas=1"]
    helm.run("install", "pool", RUNTIME_CHART, *sets, "--wait", "--timeout", "240s", *kube)
    jobs = JobWatcher(kube_cluster, namespace.name)
    try:
        helm.run(
            "upgrade", "pool", RUNTIME_CHART, *sets, "--set", "image.tag=0.1.1", "--wait", "--timeout", "240s", *kube
        )
        assert jobs.succeeded == ["pool-zgw-tenant-runtime-migrations"]
    finally:
        jobs.stop()
    helm.run("uninstall", "pool", "--wait", *kube)


def test_controlplane_chart_installs_with_a_driver_scoped_cluster_role(
    helm: Helm, kube_cluster: KubeCluster, kubeconfig: Path, namespace: Namespace
) -> None:
    from kubernetes import client

    namespace.wait_for_default_service_account()
    namespace.create_secret(
        "zgw-controlplane-secrets",
        {
            "ZGW_DATABASE_URL": "postgresql+psycopg://cp:s3cret@db.internal/controlplane",
            "ZGW_SECRET_KEY": "k" * 40,
            "ZGW_ENCRYPTION_KEY": "e" * 44,
            "ZGW_CELERY_BROKER_URL": "redis://redis.internal:6379/0",
            "ZGW_RUNTIME_REGISTRY_URL": "postgresql+psycopg://cp:s3cret@db.internal/registry",
        },
    )
    kube = _helm_kube(kubeconfig, namespace.name)
    release = f"cp{uuid.uuid4().hex[:6]}"  # the ClusterRole is cluster-wide: a unique release name
    values = CONTROLPLANE_CHART / "ci" / "production-values.yaml"
    helm.run("install", release, CONTROLPLANE_CHART, "--values", values, "--wait", "--timeout", "240s", *kube)
    try:
        fullname = f"{release}-zgw-controlplane"
        assert _available(kube_cluster, namespace.name) == {
            fullname: (3, 3),
            f"{fullname}-worker": (2, 2),
            f"{fullname}-beat": (1, 1),
        }
        user = f"system:serviceaccount:{namespace.name}:{fullname}"
        authz = client.AuthorizationV1Api(kube_cluster.api_client())

        def allowed(verb: str, resource: str, group: str = "", ns: str | None = "tenant-utrecht") -> bool:
            review = client.V1SubjectAccessReview(
                spec=client.V1SubjectAccessReviewSpec(
                    user=user,
                    groups=["system:serviceaccounts", f"system:serviceaccounts:{namespace.name}"],
                    resource_attributes=client.V1ResourceAttributes(
                        verb=verb, resource=resource, group=group, namespace=ns
                    ),
                )
            )
            return bool(authz.create_subject_access_review(review).status.allowed)

        for verb, resource, group, ns in [
            ("create", "namespaces", "", None),
            ("delete", "namespaces", "", None),
            ("create", "resourcequotas", "", "tenant-utrecht"),
            ("patch", "limitranges", "", "tenant-utrecht"),
            ("create", "secrets", "", "tenant-utrecht"),
            ("patch", "configmaps", "", "tenant-utrecht"),
            ("create", "services", "", "tenant-utrecht"),
            ("patch", "deployments", "apps", "tenant-utrecht"),
            ("list", "deployments", "apps", "tenant-utrecht"),
            ("get", "jobs", "batch", "tenant-utrecht"),
            ("create", "networkpolicies", "networking.k8s.io", "tenant-utrecht"),
            ("delete", "ingresses", "networking.k8s.io", "tenant-utrecht"),
            ("create", "poddisruptionbudgets", "policy", "tenant-utrecht"),
            ("patch", "horizontalpodautoscalers", "autoscaling", "tenant-utrecht"),
        ]:
            assert allowed(verb, resource, group, ns), (verb, resource)
        for verb, resource, group, ns in [
            ("list", "secrets", "", "kube-system"),
            ("watch", "secrets", "", "tenant-utrecht"),
            ("delete", "secrets", "", "tenant-utrecht"),
            ("update", "deployments", "apps", "tenant-utrecht"),
            ("watch", "jobs", "batch", "tenant-utrecht"),
            ("create", "serviceaccounts", "", "tenant-utrecht"),
            ("create", "pods", "", "tenant-utrecht"),
            ("create", "pods/exec", "", "tenant-utrecht"),
            ("create", "clusterroles", "rbac.authorization.k8s.io", None),
            ("create", "rolebindings", "rbac.authorization.k8s.io", "tenant-utrecht"),
            ("delete", "nodes", "", None),
            ("create", "statefulsets", "apps", "tenant-utrecht"),
            ("deletecollection", "deployments", "apps", "tenant-utrecht"),
        ]:
            assert not allowed(verb, resource, group, ns), (verb, resource)
        core = client.CoreV1Api(kube_cluster.api_client())
        for pod in core.list_namespaced_pod(namespace.name).items:
            component = pod.metadata.labels["app.kubernetes.io/component"]
            assert pod.spec.service_account_name == (fullname if component in ("api", "worker") else "default")
    finally:
        helm.run("uninstall", release, "--wait", "--timeout", "120s", *kube)
    from kubernetes.client.exceptions import ApiException

    rbac = client.RbacAuthorizationV1Api(kube_cluster.api_client())
    with pytest.raises(ApiException) as gone:
        rbac.read_cluster_role(f"{release}-zgw-controlplane")
    assert gone.value.status == 404
