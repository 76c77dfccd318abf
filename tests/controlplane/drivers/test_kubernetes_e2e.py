"""The Kubernetes driver end to end on the test cluster: a dedicated municipality onboarded through the control-plane
API, provisioned by a real Celery worker, served by the runtime its Deployment describes; suspend, resume, drift
repaired by the reconciler, deprovision with namespace deletion, purge after retention; a worker SIGKILLed
mid-provisioning and an API server outage mid-job both converge."""

from __future__ import annotations

import base64
import time
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from controlplane.audit.models import AuditEntry
from controlplane.clock import FrozenClock
from controlplane.credentials import service as credentials
from controlplane.jobs.models import Job
from controlplane.tenants import reconcile
from controlplane.tenants.models import Tenant, TenantState
from tenant_runtime.autorisaties.admin import make_jwt
from tests.controlplane.drivers.conftest import KANALEN, KubePlatform
from tests.controlplane.usage.conftest import calls, hours_ago

pytestmark = [pytest.mark.k8s, pytest.mark.slow]

PROVISION_STEPS = ["create_database", "migrate", "seed_credentials", "register", "deploy_runtime", "wait_ready",
                   "verify", "activate"]  # fmt: skip


def _apis(platform: KubePlatform) -> tuple[Any, Any, Any, Any]:
    from kubernetes import client

    api = platform.cluster.api_client()
    return client.CoreV1Api(api), client.AppsV1Api(api), client.NetworkingV1Api(api), client.BatchV1Api(api)


def _wait(condition: Any, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def test_dedicated_tenant_lifecycle(kube_platform: KubePlatform) -> None:
    platform, cp = kube_platform, kube_platform.world.cp
    core, apps, networking, batch = _apis(platform)
    platform.start_worker()
    tenant_id, job_id = platform.onboard("utrecht", "0344")
    job = platform.wait_job(job_id)
    assert job["status"] == "succeeded", (job, platform.logs())
    assert job["steps_done"] == PROVISION_STEPS
    tenant = platform.tenant(tenant_id)
    assert tenant["status"] == "active" and tenant["tier"] == "dedicated"
    assert tenant["api_base_url"] == platform.settings.kubernetes_api_url_template

    # The namespace: labelled with tenant and tier, Pod Security restricted with a pinned version.
    ns = platform.settings.kubernetes_namespace_prefix + "utrecht"
    labels = core.read_namespace(ns).metadata.labels
    assert labels["zgw-cloud.nl/tenant"] == "utrecht" and labels["zgw-cloud.nl/tier"] == "dedicated"
    for mode in ("enforce", "audit", "warn"):
        assert labels[f"pod-security.kubernetes.io/{mode}"] == "restricted"
        assert labels[f"pod-security.kubernetes.io/{mode}-version"] == platform.settings.kubernetes_pod_security_version
    # Quota and limits from the plan (basis: the defaults).
    quota = core.read_namespaced_resource_quota("zgw-tenant-quota", ns)
    assert quota.spec.hard == {"limits.cpu": "4", "limits.memory": "4Gi", "pods": "10", "requests.cpu": "4",
                               "requests.memory": "4Gi"}  # fmt: skip
    assert quota.status.used["pods"] == "2"  # the API pods count against it
    limits = core.read_namespaced_limit_range("zgw-tenant-limits", ns).spec.limits[0]
    assert limits.type == "Container" and limits.default == {"cpu": "1", "memory": "512Mi"}
    assert limits.default_request == {"cpu": "250m", "memory": "256Mi"}
    # Network policies: the namespace-wide deny and the release's deny/DNS/ingress/egress.
    policies = {p.metadata.name: p for p in networking.list_namespaced_network_policy(ns).items}
    assert set(policies) == {"zgw-tenant-default-deny", "zgw-runtime-default-deny", "zgw-runtime-allow-dns",
                             "zgw-runtime-allow-ingress", "zgw-runtime-allow-egress"}  # fmt: skip
    peers = policies["zgw-runtime-allow-ingress"].spec.ingress[0]._from
    allowed_from = [peer.namespace_selector.match_labels for peer in peers]
    assert {"kubernetes.io/metadata.name": "ingress-nginx"} in allowed_from
    assert {"kubernetes.io/metadata.name": platform.settings.kubernetes_controlplane_namespace} in allowed_from
    # The Secret holds the tenant's own registry (its role, never the server's admin) and the admin token.
    secret = core.read_namespaced_secret("zgw-runtime", ns)
    registry_url = base64.b64decode(secret.data["ZGW_RUNTIME_REGISTRY_URL"]).decode()
    spec = credentials.spec_of(_tenant(platform, tenant_id))
    role = platform.driver.databases.role_name(spec)
    assert f"//{role}:" in registry_url and registry_url.endswith("/" + platform.driver.registries.name(spec))
    assert set(secret.data) == {"ZGW_RUNTIME_REGISTRY_URL", "ZGW_RUNTIME_ADMIN_TOKEN", "ZGW_RUNTIME_METERING_TOKEN"}
    # ... and the token of its own runtime account: the control plane takes its usage, and only its usage.
    metering = {"Authorization": f"Bearer {base64.b64decode(secret.data['ZGW_RUNTIME_METERING_TOKEN']).decode()}"}
    hour = hours_ago(1)
    shipped = platform.world.client.post(
        "/api/v1/usage/events", json={"events": [calls("utrecht", hour, "zaken", "read", 2)]}, headers=metering
    )
    assert shipped.status_code == 200, shipped.text
    other = platform.world.client.post(
        "/api/v1/usage/events", json={"events": [calls("alphen", hour, "zaken", "read", 2)]}, headers=metering
    )
    assert other.status_code == 403, other.text
    # The Deployment: pinned to the tenant, replicas and resources from the plan, restricted pods, Available.
    deployment = apps.read_namespaced_deployment("zgw-runtime", ns)
    assert deployment.spec.replicas == 2 and deployment.status.available_replicas == 2
    container = deployment.spec.template.spec.containers[0]
    env = {e.name: e.value for e in container.env}
    assert env["ZGW_RUNTIME_PINNED_TENANT"] == "utrecht"
    assert env["ZGW_RUNTIME_PUBLIC_URL"] == platform.settings.kubernetes_api_url_template
    assert env["ZGW_RUNTIME_METERING_CONTROLPLANE_URL"] == platform.settings.kubernetes_controlplane_url
    assert container.resources.limits == {"cpu": "1", "memory": "512Mi"}
    assert container.security_context.read_only_root_filesystem is True
    assert deployment.spec.template.spec.automount_service_account_token is False
    assert deployment.metadata.owner_references[0].name == "zgw-runtime-release"
    managers = {m.manager for m in deployment.metadata.managed_fields}
    assert "zgw-cloud-controlplane" in managers
    ingress = networking.read_namespaced_ingress("zgw-runtime", ns)
    assert ingress.spec.rules[0].host == "utrecht.zgw.test" and ingress.spec.ingress_class_name == "nginx"
    assert ingress.spec.tls[0].secret_name == "zgw-runtime-tls"
    # The migrations hook ran to completion and was removed (hook-succeeded).
    assert batch.list_namespaced_job(ns).items == []

    # An application's credential works against the runtime the Deployment describes.
    created = platform.post(f"/api/v1/tenants/{tenant_id}/credentials", {
        "client_id": "zaaksysteem-utrecht", "label": "Zaaksysteem",
        "autorisaties": [{"component": "nrc", "scopes": ["notificaties.consumeren"]}]})  # fmt: skip
    assert created.status_code == 201, created.text
    secret_value = created.json()["secret"]

    def zgw_call() -> int:
        token = make_jwt("zaaksysteem-utrecht", secret_value)
        try:
            response = httpx.get(tenant["api_base_url"] + KANALEN, headers={"Authorization": f"Bearer {token}"},
                                 timeout=10)  # fmt: skip
        except httpx.TransportError:
            return 0  # nothing listens: the Deployment has no replicas
        return response.status_code

    assert zgw_call() == 200

    # Suspend: the registry says suspended and the Deployment scales to zero.
    suspended = platform.wait_job(platform.post(f"/api/v1/tenants/{tenant_id}/suspend").json()["id"])
    assert suspended["status"] == "succeeded", (suspended, platform.logs())
    assert apps.read_namespaced_deployment("zgw-runtime", ns).spec.replicas == 0
    _wait(lambda: zgw_call() == 0, "the runtime to stop")
    assert cp.driver.observe(spec).status.value == "suspended"
    resumed = platform.wait_job(platform.post(f"/api/v1/tenants/{tenant_id}/resume").json()["id"])
    assert resumed["status"] == "succeeded", (resumed, platform.logs())
    assert resumed["steps_done"] == ["runtime_resume", "wait_ready", "verify", "mark_active"]
    assert apps.read_namespaced_deployment("zgw-runtime", ns).spec.replicas == 2
    assert zgw_call() == 200

    # Drift: a deleted Deployment and an edited quota are restored by the periodic reconcile.
    assert cp.driver.observe(spec).runtime_drift == ()
    apps.delete_namespaced_deployment("zgw-runtime", ns)
    core.patch_namespaced_resource_quota("zgw-tenant-quota", ns, {"spec": {"hard": {"limits.cpu": "64"}}})
    _wait(lambda: not any(d.metadata.name == "zgw-runtime" for d in apps.list_namespaced_deployment(ns).items),
          "the Deployment to go")  # fmt: skip
    drift = cp.driver.observe(spec).runtime_drift
    assert "ResourceQuota gewijzigd" in drift and "Deployment zgw-runtime ontbreekt" in drift
    report = reconcile.reconcile_batch(cp)
    assert report.repaired["utrecht"] == [f"runtime restored ({', '.join(drift)})"], report
    assert core.read_namespaced_resource_quota("zgw-tenant-quota", ns).spec.hard["limits.cpu"] == "4"
    _wait(lambda: (apps.read_namespaced_deployment("zgw-runtime", ns).status.available_replicas or 0) == 2,
          "the restored Deployment to become Available")  # fmt: skip
    assert cp.driver.observe(spec).runtime_drift == ()
    assert reconcile.reconcile_batch(cp).repaired == {}

    # Deprovision: final export, the namespace goes (its deletion waited for), the database stays.
    deprovision_id = platform.post(f"/api/v1/tenants/{tenant_id}/deprovision").json()["id"]
    details: set[str] = set()  # the progress a waiting step reports, as the API (and the tenant page) shows it
    _wait(lambda: details.add(platform.job(deprovision_id)["detail"]) or platform.job(deprovision_id)["status"]
          in ("succeeded", "failed"), "the deprovisioning", timeout=120)  # fmt: skip
    deprovisioned = platform.job(deprovision_id)
    assert deprovisioned["status"] == "succeeded", (deprovisioned, platform.logs())
    assert any(d.startswith("namespace wordt verwijderd (finalizers: kubernetes)") for d in details), details
    assert deprovisioned["detail"] == ""  # cleared when the job ends
    assert deprovisioned["steps_done"] == ["runtime_suspend", "final_export", "remove_runtime", "schedule_purge"]
    assert ns not in {n.metadata.name for n in core.list_namespace().items}
    database = cp.driver.database_name(spec)
    assert database in cp.driver.managed_databases()
    assert platform.tenant(tenant_id)["status"] == "deprovisioning"

    cp.clock = FrozenClock(cp.clock.now() + timedelta(days=cp.settings.deprovision_retention_days, hours=1))
    assert reconcile.schedule_due_purges(cp) == ["utrecht"]
    with cp.sessions() as session:
        purge = session.scalar(select(Job).where(Job.kind == "purge"))
        assert purge is not None
    assert platform.wait_job(str(purge.id))["status"] == "succeeded"
    assert database not in cp.driver.managed_databases()
    assert platform.tenant(tenant_id)["status"] == "deleted"


def _tenant(platform: KubePlatform, tenant_id: str) -> Tenant:
    with platform.world.cp.sessions() as session:
        tenant = session.get(Tenant, uuid.UUID(tenant_id))
        assert tenant is not None
        session.expunge(tenant)
        return tenant


@pytest.mark.parametrize("kill_after", ["register", "deploy_runtime"])
def test_worker_killed_mid_provisioning_converges(kube_platform: KubePlatform, kill_after: str) -> None:
    platform, cp = kube_platform, kube_platform.world.cp
    core, apps, _, _ = _apis(platform)
    worker = platform.start_worker()
    tenant_id, job_id = platform.onboard("delft", "0503")
    deadline = time.monotonic() + 90
    while kill_after not in platform.job(job_id)["steps_done"]:
        assert time.monotonic() < deadline, platform.logs()
        time.sleep(0.02)
    worker.kill()  # SIGKILL: the message stays unacknowledged and is delivered again
    assert platform.job(job_id)["status"] != "succeeded"
    platform.start_worker()
    job = platform.wait_job(job_id)
    assert job["status"] == "succeeded", (job, platform.logs())
    assert job["steps_done"] == PROVISION_STEPS
    ns = platform.settings.kubernetes_namespace_prefix + "delft"
    assert [n.metadata.name for n in core.list_namespace().items if n.metadata.name.startswith(ns)] == [ns]
    assert [d.metadata.name for d in apps.list_namespaced_deployment(ns).items] == ["zgw-runtime"]
    assert len(apps.list_namespaced_replica_set(ns).items) == 1  # applied again, not rolled again
    with cp.sessions() as session:
        tenant = session.get(Tenant, tenant_id)
        assert tenant is not None and tenant.state is TenantState.ACTIVE
        changes = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "tenant.state_changed", AuditEntry.target_id == "delft")
        ).all()
        assert [e.after["status"] for e in changes if e.after].count("active") == 1
        assert len(session.scalars(select(Job).where(Job.tenant_id == tenant.id)).all()) == 1
    assert reconcile.orphan_databases(cp) == []


def test_api_server_outage_mid_job_is_retried(kube_platform: KubePlatform) -> None:
    platform, cluster = kube_platform, kube_platform.cluster
    if cluster.workdir is None:
        pytest.skip("an existing cluster (KUBECONFIG) cannot be stopped by the tests")
    platform.start_worker()
    tenant_id, job_id = platform.onboard("gouda", "0513")
    deadline = time.monotonic() + 90
    while "seed_credentials" not in platform.job(job_id)["steps_done"]:
        assert time.monotonic() < deadline, platform.logs()
        time.sleep(0.02)
    cluster.stop_apiserver()
    try:
        # The deploy step meets a closed port: backoff, TemporaryError, Celery retries the job.
        _wait(lambda: "Kubernetes API not reachable" in platform.job(job_id)["error"], "the job to record the outage")
        assert platform.job(job_id)["status"] == "running"
    finally:
        cluster.restart_apiserver()
    job = platform.wait_job(job_id, timeout=180)
    assert job["status"] == "succeeded", (job, platform.logs())
    assert job["attempts"] > 1 and job["steps_done"] == PROVISION_STEPS
    assert platform.tenant(tenant_id)["status"] == "active"
