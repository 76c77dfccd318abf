"""Provisioning end to end with the local driver on real PostgreSQL, Redis, a real Celery worker process and a
real runtime over HTTP: onboard → active → ZGW call with issued credentials → suspend → 403 → resume →
deprovision → the complete final export downloads → data, documents and copies gone after retention; and SIGKILL
of the worker mid-provisioning."""

from __future__ import annotations

import hashlib
import io
import json
import sys
import tarfile
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from controlplane.accounts.models import Role
from controlplane.audit.models import AuditEntry
from controlplane.celery_app import create_celery
from controlplane.clock import FrozenClock
from controlplane.config import Settings
from controlplane.drivers.interfaces import TenantSpec
from controlplane.jobs.models import Job
from controlplane.tenants import reconcile
from controlplane.tenants.models import Tenant, TenantState
from tenant_runtime.autorisaties.admin import make_jwt
from tenant_runtime.config import RuntimeSettings
from tenant_runtime.main import create_app as create_runtime
from tests.controlplane.conftest import World, add_user, build_world, make_settings
from tests.fixtures.processes import ManagedProcess
from tests.fixtures.services import PostgresServer
from tests.tenant_runtime.live import serve

pytestmark = pytest.mark.slow
KANALEN = "/notificaties/api/v1/kanaal"


def _worker(settings: Settings, workdir: Path, name: str) -> ManagedProcess:
    env = {
        "ZGW_ENVIRONMENT": "test",
        "ZGW_ENCRYPTION_KEY": settings.encryption_key,
        "ZGW_SECRET_KEY": settings.secret_key,
        "ZGW_DATABASE_URL": settings.database_url,
        "ZGW_RUNTIME_REGISTRY_URL": settings.runtime_registry_url,
        "ZGW_RUNTIME_DATA_DIR": str(settings.runtime_data_dir),
        "ZGW_DATA_DIR": str(settings.data_dir),  # backups and exports below it (the local target), as the API's
        "ZGW_RUNTIME_PUBLIC_URL": settings.runtime_public_url,
        "ZGW_CELERY_BROKER_URL": settings.celery_broker_url,
        "ZGW_CELERY_VISIBILITY_TIMEOUT": str(settings.celery_visibility_timeout),
        "ZGW_TENANT_DATABASE_PREFIX": settings.tenant_database_prefix,
        "ZGW_DEPROVISION_RETENTION_DAYS": str(settings.deprovision_retention_days),
        "ZGW_LOG_LEVEL": "INFO",
    }
    worker = ManagedProcess(
        name,
        [sys.executable, "-m", "celery", "-A", "controlplane.celery_app:celery_app", "worker", "--pool", "solo",
         "--concurrency", "1", "--without-heartbeat", "--without-mingle", "--without-gossip", "-Q", "zgwcloud",
         "--loglevel", "INFO"],
        workdir,
        env=env,
    )  # fmt: skip
    return worker


class Platform:
    def __init__(self, world: World, settings: Settings, runtime_url: str, workdir: Path) -> None:
        self.world, self.settings, self.runtime_url, self.workdir = world, settings, runtime_url, workdir
        self.workers: list[ManagedProcess] = []

    def start_worker(self) -> ManagedProcess:
        worker = _worker(self.settings, self.workdir, f"worker-{len(self.workers)}")
        self.workers.append(worker)
        return worker

    def job(self, job_id: str) -> dict[str, object]:
        response = self.world.client.get(f"/api/v1/jobs/{job_id}", headers=self.world.headers("operator"))
        assert response.status_code == 200
        return response.json()  # type: ignore[no-any-return]

    def wait_job(self, job_id: str, timeout: float = 120) -> dict[str, object]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = self.job(job_id)
            if job["status"] in ("succeeded", "failed"):
                return job
            time.sleep(0.2)
        raise AssertionError(f"job {job_id} did not finish: {self.job(job_id)}\n{self.logs()}")

    def logs(self) -> str:
        return "\n".join(w.log.read_text(errors="replace")[-3000:] for w in self.workers)

    def post(self, path: str, body: object = None, **headers: str) -> httpx.Response:
        return self.world.client.post(path, json=body, headers=self.world.headers("operator", **headers))


@pytest.fixture
def platform(tmp_path: Path, postgres_server: PostgresServer, redis_url: str) -> Iterator[Platform]:
    settings = make_settings(tmp_path, postgres_server, celery_broker_url=redis_url, celery_visibility_timeout=3)
    runtime_settings = RuntimeSettings(
        environment="test",
        data_dir=tmp_path / "runtime",
        registry_url=settings.runtime_registry_url,
        registry_cache_seconds=0,
    )
    runtime = create_runtime(runtime_settings)
    with serve(runtime) as runtime_url:
        settings = settings.model_copy(update={"runtime_public_url": runtime_url})
        celery = create_celery(settings)

        def dispatch(job_id: object) -> None:
            celery.send_task("tenants.run_job", args=[str(job_id)])

        for world in build_world(settings, dispatch=dispatch):
            platform = Platform(world, settings, runtime_url, tmp_path)
            try:
                yield platform
            finally:
                for worker in platform.workers:
                    worker.stop()


def _onboard(platform: Platform, slug: str, code: str) -> tuple[str, str]:
    body = {"name": f"Gemeente {slug.title()}", "gemeentecode": code, "rsin": "002220647", "inhabitants": 30000,
            "plan": "basis", "slug": slug}  # fmt: skip
    response = platform.post("/api/v1/tenants", body)
    assert response.status_code == 201, response.text
    return response.json()["tenant"]["id"], response.json()["job"]["id"]


def test_lifecycle_end_to_end(platform: Platform) -> None:
    platform.start_worker()
    world, cp = platform.world, platform.world.cp
    tenant_id, job_id = _onboard(platform, "leiden", "0546")
    job = platform.wait_job(job_id)
    assert job["status"] == "succeeded", (job, platform.logs())
    assert job["steps_done"] == [
        "create_database", "migrate", "seed_credentials", "register", "deploy_runtime", "wait_ready", "verify",
        "activate",
    ]  # fmt: skip
    tenant = world.client.get(f"/api/v1/tenants/{tenant_id}", headers=world.headers("operator")).json()
    assert tenant["status"] == "active" and tenant["api_base_url"] == f"{platform.runtime_url}/t/leiden"

    created = platform.post(f"/api/v1/tenants/{tenant_id}/credentials", {
        "client_id": "zaaksysteem-leiden", "label": "Zaaksysteem",
        "autorisaties": [{"component": "nrc", "scopes": ["notificaties.consumeren"]}]})  # fmt: skip
    assert created.status_code == 201, created.text
    secret = created.json()["secret"]

    def zgw_call(client_id: str = "zaaksysteem-leiden", key: str = secret) -> httpx.Response:
        token = make_jwt(client_id, key)
        return httpx.get(tenant["api_base_url"] + KANALEN, headers={"Authorization": f"Bearer {token}"}, timeout=10)

    assert zgw_call().status_code == 200
    assert zgw_call(key="wrong-secret").status_code == 403

    suspended = platform.wait_job(platform.post(f"/api/v1/tenants/{tenant_id}/suspend").json()["id"])
    assert suspended["status"] == "succeeded"
    refused = zgw_call()
    assert refused.status_code == 403 and refused.json()["code"] == "tenant_suspended"

    resumed = platform.wait_job(platform.post(f"/api/v1/tenants/{tenant_id}/resume").json()["id"])
    assert resumed["status"] == "succeeded"
    assert zgw_call().status_code == 200

    # Rotation with overlap: old and new secrets both work; revocation stops both.
    credential_id = created.json()["credential"]["id"]
    rotated = platform.post(f"/api/v1/tenants/{tenant_id}/credentials/{credential_id}/rotate").json()["secret"]
    assert zgw_call(key=rotated).status_code == 200 and zgw_call().status_code == 200
    platform.post(f"/api/v1/tenants/{tenant_id}/credentials/{credential_id}/revoke")
    time.sleep(0.1)
    assert zgw_call(key=rotated).status_code == 403

    deprovisioned = platform.wait_job(platform.post(f"/api/v1/tenants/{tenant_id}/deprovision").json()["id"])
    assert deprovisioned["status"] == "succeeded", (deprovisioned, platform.logs())
    tenant = world.client.get(f"/api/v1/tenants/{tenant_id}", headers=world.headers("operator")).json()
    assert tenant["status"] == "deprovisioning" and tenant["retention_until"]
    assert deprovisioned["steps_done"] == ["runtime_suspend", "final_export", "remove_runtime", "schedule_purge"]
    # The final export is the complete export (issue 7's), stored encrypted with the backups, downloadable by
    # the operator and by the municipality's own admin until the purge.
    export_id = tenant["final_export_id"]
    assert tenant["final_export_download_url"] == f"/api/v1/exports/{export_id}/download"
    with cp.sessions() as session:
        row = session.get(Tenant, tenant_id)
        assert row is not None
        _, admin_token = add_user(cp, "beheer@leiden.nl", Role.MUNICIPALITY_ADMIN, row)
    admin = {"Authorization": f"Bearer {admin_token}"}
    export = world.client.get(f"/api/v1/exports/{export_id}", headers=admin).json()
    assert export["status"] == "ready" and export["expires_at"] == tenant["retention_until"]
    for headers in (world.headers("operator"), admin):
        download = world.client.get(tenant["final_export_download_url"], headers=headers)
        assert download.status_code == 200, download.text
        assert hashlib.sha256(download.content).hexdigest() == export["sha256"]
    with tarfile.open(fileobj=io.BytesIO(download.content)) as tar:
        assert {"database.dump", "documents.json", "index.json"} <= set(tar.getnames())
        index = json.loads(tar.extractfile("index.json").read())  # type: ignore[union-attr]
    assert index["format"] == "zgw-cloud-export" and index["tenant"]["slug"] == "leiden"
    assert index["database"]["format"] == "pg_dump-custom" and index["database"]["size"] > 0
    assert not list(Path(cp.settings.data_dir).rglob("*.dump"))  # nothing unencrypted left on local disk
    assert world.client.get(tenant["final_export_download_url"], headers=world.headers("admin_a")).status_code == 404
    assert zgw_call().status_code == 403  # the runtime no longer serves it

    spec = TenantSpec("leiden", "Gemeente Leiden")
    database = cp.driver.database_name(spec)
    assert reconcile.schedule_due_purges(cp) == []  # retention not passed: nothing happens
    assert database in cp.driver.managed_databases()

    cp.clock = FrozenClock(cp.clock.now() + timedelta(days=cp.settings.deprovision_retention_days, hours=1))
    assert reconcile.schedule_due_purges(cp) == ["leiden"]
    with cp.sessions() as session:
        purge = session.scalar(select(Job).where(Job.kind == "purge"))
        assert purge is not None
    assert platform.wait_job(str(purge.id))["status"] == "succeeded"
    assert database not in cp.driver.managed_databases()
    assert cp.driver.observe(spec).registered is False
    assert zgw_call().status_code == 404
    tenant = world.client.get(f"/api/v1/tenants/{tenant_id}", headers=world.headers("operator")).json()
    assert tenant["status"] == "deleted"
    assert platform.job(str(purge.id))["steps_done"] == [
        "unregister", "delete_documents", "drop_database", "delete_copies", "mark_deleted"]  # fmt: skip
    # The final export went with the data: its record says so, the object is gone.
    assert world.client.get(f"/api/v1/exports/{export_id}", headers=admin).json()["status"] == "expired"
    assert world.client.get(f"/api/v1/exports/{export_id}/download", headers=admin).status_code == 409
    assert not [p for p in Path(cp.settings.backup_local_dir).rglob("*") if p.is_file()]

    metrics = world.client.get("/metrics").text
    assert 'zgwcloud_tenants{status="deleted"} 1.0' in metrics
    assert 'zgwcloud_job_duration_seconds_count{kind="provision"} 1.0' in metrics


@pytest.mark.parametrize("kill_after", ["running", "create_database", "migrate", "register"])
def test_worker_killed_mid_provisioning_converges(platform: Platform, kill_after: str) -> None:
    cp = platform.world.cp
    worker = platform.start_worker()
    tenant_id, job_id = _onboard(platform, "delft", "0503")
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        job = platform.job(job_id)
        if (kill_after == "running" and job["status"] == "running") or kill_after in job["steps_done"]:
            break
        time.sleep(0.02)
    else:
        raise AssertionError(f"never reached {kill_after}: {platform.logs()}")
    worker.kill()  # SIGKILL: no cleanup, the message stays unacknowledged
    assert platform.job(job_id)["status"] != "succeeded"
    platform.start_worker()
    job = platform.wait_job(job_id, timeout=120)
    assert job["status"] == "succeeded", (job, platform.logs())
    with cp.sessions() as session:
        tenant = session.get(Tenant, tenant_id)
        assert tenant is not None and tenant.state is TenantState.ACTIVE
        activations = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "tenant.state_changed", AuditEntry.target_id == "delft")
        ).all()
        assert [e.after["status"] for e in activations if e.after].count("active") == 1
        assert len(session.scalars(select(Job).where(Job.tenant_id == tenant.id)).all()) == 1
    assert cp.driver.managed_databases() == {cp.driver.database_name(TenantSpec("delft", "Gemeente Delft"))}
    assert reconcile.orphan_databases(cp) == []
