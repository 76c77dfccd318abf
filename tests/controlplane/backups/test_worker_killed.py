"""A real Celery worker process killed with SIGKILL in the middle of a backup and of an in-place restore: no
partial backup is ever marked successful (and none of its objects stay behind), the tenant never serves a
half-restored database (503 while the worker is dead), and a new worker finishes both from where they were."""

from __future__ import annotations

import json
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from controlplane.backups import service
from controlplane.backups.models import Backup, BackupStatus, Restore, RestoreMode, RunStatus
from controlplane.backups.targets import build_target
from controlplane.celery_app import create_celery
from controlplane.config import Settings
from controlplane.drivers.interfaces import RuntimeStatus, TenantSpec
from controlplane.jobs.models import Job, JobStatus
from controlplane.tenants.models import Tenant, TenantState
from tests.conftest import S3Bucket
from tests.controlplane.backups.conftest import BackupWorld, build_backup_world, storage_env
from tests.fixtures.processes import ManagedProcess
from tests.fixtures.services import PostgresServer

pytestmark = pytest.mark.slow
REPOSITORY = Path(__file__).resolve().parents[3]
BIG = 24 * 1024 * 1024  # per document: enough for the worker to be caught in the middle


def _env(settings: Settings, bucket: S3Bucket) -> dict[str, str]:
    """Every control-plane setting of the test as the worker's environment, plus the runtime's storage (and a
    registry cache the worker must wait out after entering maintenance: long enough to be caught there)."""
    env: dict[str, str] = {}
    for name, value in settings.model_dump().items():
        if isinstance(value, list | dict):
            env[f"ZGW_{name.upper()}"] = json.dumps(value)
        elif isinstance(value, bool):
            env[f"ZGW_{name.upper()}"] = "true" if value else "false"
        elif value is not None:
            env[f"ZGW_{name.upper()}"] = str(value)
    # After the settings: the control plane's runtime_registry_cache_seconds is the same variable.
    env.update({"ZGW_LOG_LEVEL": "INFO", "PYTHONPATH": str(REPOSITORY), **storage_env(bucket),
                "ZGW_RUNTIME_REGISTRY_CACHE_SECONDS": "3"})  # fmt: skip
    return env


class Workers:
    def __init__(self, world: BackupWorld, bucket: S3Bucket, workdir: Path) -> None:
        self.world, self.bucket, self.workdir = world, bucket, workdir
        self.started: list[ManagedProcess] = []

    def start(self) -> ManagedProcess:
        worker = ManagedProcess(
            f"worker-{len(self.started)}",
            [sys.executable, "-m", "celery", "-A", "controlplane.celery_app:celery_app", "worker", "--pool", "solo",
             "--concurrency", "1", "--without-heartbeat", "--without-mingle", "--without-gossip", "-Q", "zgwcloud",
             "--loglevel", "INFO"],
            self.workdir,
            env=_env(self.world.settings, self.bucket),
        )  # fmt: skip
        self.started.append(worker)
        return worker

    def logs(self) -> str:
        return "\n".join(w.log.read_text(errors="replace")[-3000:] for w in self.started)

    def wait(self, job_id: uuid.UUID, timeout: float = 180) -> Job:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = self.world.job(job_id)
            if job.status in (JobStatus.SUCCEEDED, JobStatus.FAILED):
                return job
            time.sleep(0.2)
        raise AssertionError(f"job {job_id} did not finish\n{self.logs()}")

    def kill_when(self, worker: ManagedProcess, job_id: uuid.UUID, reached: object, timeout: float = 120) -> Job:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = self.world.job(job_id)
            if reached(job):  # type: ignore[operator]
                worker.kill()
                return job
            assert job.status not in (JobStatus.SUCCEEDED, JobStatus.FAILED), f"finished before the kill: {job.error}"
            time.sleep(0.01)
        raise AssertionError(f"never reached the kill point\n{self.logs()}")


@pytest.fixture
def killable(
    tmp_path: Path, postgres_server: PostgresServer, s3_bucket: S3Bucket, redis_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[BackupWorld, Workers]]:  # fmt: skip
    celery = None

    def dispatch(job_id: object) -> None:
        assert celery is not None
        celery.send_task("tenants.run_job", args=[str(job_id)])

    for world in build_backup_world(
        tmp_path, postgres_server, s3_bucket, monkeypatch, dispatch=dispatch, celery_broker_url=redis_url,
        celery_visibility_timeout=3, backup_io_threads=1,
    ):  # fmt: skip
        celery = create_celery(world.settings)
        workers = Workers(world, s3_bucket, tmp_path)
        try:
            yield world, workers
        finally:
            for worker in workers.started:
                worker.stop()


def _filled_tenant(world: BackupWorld) -> tuple[Tenant, dict[str, str], list[str]]:
    tenant = world.provision("leiden", "0546")
    headers = world.app_headers(tenant)
    filled = world.fill(tenant, headers, zaken=2, documents=1)
    big = world.fill_big_documents(tenant, headers, count=2, size=BIG)
    return tenant, headers, [*filled.documents, *big]


def test_worker_killed_mid_backup(killable: tuple[BackupWorld, Workers]) -> None:
    world, workers = killable
    tenant, _, _ = _filled_tenant(world)
    worker = workers.start()
    with world.session() as session:
        row = session.get(Tenant, tenant.id)
        assert row is not None
        backup, job, _ = service.start_backup(world.cp, session, world.operator, row)
        session.commit()
        backup_id, job_id = backup.id, job.id

    def writing(job: Job) -> bool:
        with world.session() as session:
            status = session.scalar(select(Backup.status).where(Backup.id == backup_id))
        return job.current_step == "write" and status is BackupStatus.RUNNING

    workers.kill_when(worker, job_id, writing)
    time.sleep(0.5)
    with world.session() as session:
        partial = session.get(Backup, backup_id)
        assert partial is not None and partial.status is not BackupStatus.SUCCEEDED and partial.manifest is None
    workers.start()
    job = workers.wait(job_id)
    assert job.status is JobStatus.SUCCEEDED, (job.error, workers.logs())
    assert job.attempts >= 2
    with world.session() as session:
        done = session.get(Backup, backup_id)
        assert done is not None and done.status is BackupStatus.SUCCEEDED and done.documents_count == 3
        prefix, manifest = done.prefix, done.manifest or {}
    # Exactly the parts of the manifest are stored: nothing of the killed attempt is left (not even an upload).
    target = build_target(world.settings)
    parts = {manifest["database"]["object"], *(s["object"] for s in manifest["documents"]["segments"]), "manifest.json"}
    assert {k.removeprefix(prefix) for k in target.list(prefix)} == parts
    client = target.client  # type: ignore[attr-defined]
    uploads = client.list_multipart_uploads(Bucket=target.bucket, Prefix=target.prefix + prefix)  # type: ignore[attr-defined]
    assert uploads.get("Uploads", []) == []


def test_worker_killed_mid_restore(killable: tuple[BackupWorld, Workers]) -> None:
    world, workers = killable
    tenant, headers, documents = _filled_tenant(world)
    worker = workers.start()
    with world.session() as session:
        row = session.get(Tenant, tenant.id)
        assert row is not None
        backup, job, _ = service.start_backup(world.cp, session, world.operator, row)
        session.commit()
        job_id, backup_id = job.id, backup.id
    assert workers.wait(job_id).status is JobStatus.SUCCEEDED
    zaken_url = f"{world.api(tenant, 'zaken')}/zaken"
    before = httpx.get(zaken_url, headers=headers, timeout=10).json()
    created = httpx.post(zaken_url, headers=headers, timeout=10, json={
        "zaaktype": before["results"][0]["zaaktype"], "bronorganisatie": "002220647",
        "verantwoordelijkeOrganisatie": "002220647", "startdatum": "2024-07-01"})  # fmt: skip
    assert created.status_code == 201
    with world.session() as session:
        row = session.get(Backup, backup_id)
        assert row is not None
        restore, job, _ = service.start_restore(world.cp, session, world.operator, row, mode=RestoreMode.IN_PLACE)
        session.commit()
        job_id, restore_id = job.id, restore.id

    spec = TenantSpec(tenant.slug, tenant.name)

    def in_maintenance(job: Job) -> bool:
        # The worker waits out the runtime's registry cache (3 s for it) right after entering maintenance. The
        # registry alone tells (observing the tenant's database would meet the restore ending its sessions).
        registry = world.cp.driver.shared_registry  # type: ignore[attr-defined]
        return (
            job.current_step == "enter_maintenance" and registry.registration(spec).status is RuntimeStatus.MAINTENANCE
        )

    killed = workers.kill_when(worker, job_id, in_maintenance)
    assert "restore_documents" in killed.steps_done and "activate" not in killed.steps_done
    time.sleep(0.5)
    # Not serving while half restored: maintenance (503) for every call, until a worker finishes the restore.
    for _ in range(3):
        answer = httpx.get(zaken_url, headers=headers, timeout=10)
        assert answer.status_code == 503 and answer.json()["code"] == "tenant_maintenance"
        time.sleep(0.2)
    workers.start()
    job = workers.wait(job_id)
    assert job.status is JobStatus.SUCCEEDED, (job.error, workers.logs())
    with world.session() as session:
        restore_row = session.get(Restore, restore_id)
        assert restore_row is not None and restore_row.status is RunStatus.SUCCEEDED
        assert world.tenant(tenant.id).state is TenantState.ACTIVE
    assert httpx.get(zaken_url, headers=headers, timeout=10).json() == before
    for url in documents:
        assert httpx.get(url + "/download", headers=headers, timeout=30).status_code == 200
