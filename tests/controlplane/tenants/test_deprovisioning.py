"""Offboarding for real (PostgreSQL, MinIO for document content and for backups/exports, a runtime over HTTP):
deprovisioning writes the complete export (dump + documents + index, encrypted with the backups) that the
municipality's admin still downloads during the retention; the purge after it (clock injected) deletes the
database, every document object, the backups and the export — and converges when it is interrupted half-way.
A tenant whose provisioning failed before it had a database deprovisions cleanly with nothing to export; a
retry takes an Idempotency-Key."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from controlplane.accounts.actors import SYSTEM
from controlplane.accounts.models import Role
from controlplane.audit.models import AuditEntry
from controlplane.backups import service as backup_service
from controlplane.backups.content import content_storage
from controlplane.backups.models import Backup, BackupStatus, Export, ExportStatus
from controlplane.backups.targets import build_target
from controlplane.credentials import service as credentials
from controlplane.jobs import runner
from controlplane.jobs.models import Job, JobKind, JobStatus
from controlplane.tenants import lifecycle, reconcile
from controlplane.tenants import service as tenants
from controlplane.tenants.models import Tenant, TenantState
from tenant_runtime.storage.s3 import S3Storage
from tests.controlplane.backups.conftest import BackupWorld, run_job
from tests.controlplane.conftest import World, add_tenant, add_user
from tests.controlplane.test_web_pages import login

pytestmark = pytest.mark.slow


class LaterClock:
    """The system clock, moved ahead."""

    def __init__(self, offset: timedelta) -> None:
        self.offset = offset

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


def _start(world: BackupWorld | World, tenant_id: uuid.UUID, kind: JobKind) -> uuid.UUID:
    with world.cp.sessions() as session:
        row = session.get(Tenant, tenant_id)
        assert row is not None
        job, _ = tenants.start(world.cp, session, SYSTEM, row, kind)
        session.commit()
        return job.id


def _purge(world: BackupWorld | World, slug: str) -> uuid.UUID:
    world.cp.clock = LaterClock(timedelta(days=world.cp.settings.deprovision_retention_days, hours=1))
    assert reconcile.schedule_due_purges(world.cp) == [slug]
    with world.cp.sessions() as session:
        purge = session.scalar(select(Job).where(Job.kind == JobKind.PURGE).order_by(Job.created_at.desc()))
        assert purge is not None
        return purge.id


def _objects(storage: S3Storage) -> list[str]:
    listed = storage.client.list_objects_v2(Bucket=storage.bucket, Prefix=storage.prefix)
    return [o["Key"] for o in listed.get("Contents", [])]


def _actions(world: BackupWorld | World, tenant_id: uuid.UUID) -> list[str]:
    with world.cp.sessions() as session:
        return list(session.scalars(select(AuditEntry.action).where(AuditEntry.tenant_id == tenant_id)))


def test_final_export_downloads_during_retention_and_purge_deletes_everything(
    backups: BackupWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    cp, client = backups.cp, backups.world.client
    tenant = backups.provision("leiden", "0546")
    filled = backups.fill(tenant, backups.app_headers(tenant), zaken=2, documents=3)
    with backups.session() as session:
        row = session.get(Tenant, tenant.id)
        assert row is not None
        backup, job, _ = backup_service.start_backup(cp, session, SYSTEM, row)
        session.commit()
        backup_id, backup_job = backup.id, job.id
    assert run_job(cp, backup_job) is JobStatus.SUCCEEDED
    storage = content_storage(backups.settings, "leiden")
    assert isinstance(storage, S3Storage)
    assert len(_objects(storage)) == 3
    _, admin_token = add_user(cp, "beheer@leiden.example", Role.MUNICIPALITY_ADMIN, tenant)
    admin = {"Authorization": f"Bearer {admin_token}"}

    job_id = _start(backups, tenant.id, JobKind.DEPROVISION)
    assert run_job(cp, job_id) is JobStatus.SUCCEEDED
    out = client.get(f"/api/v1/tenants/{tenant.id}", headers=admin).json()
    assert out["status"] == "deprovisioning" and out["final_export_id"]
    export = client.get(f"/api/v1/exports/{out['final_export_id']}", headers=admin).json()
    assert export["status"] == "ready" and export["documents_count"] == 3
    assert export["expires_at"] == out["retention_until"]  # downloadable until the purge
    assert export["record_counts"] == {"zaken": 2, "documenten": 3, "besluiten": 2}

    # The municipality's admin still downloads it after the tenant stopped serving; another municipality cannot.
    assert client.get(out["final_export_download_url"], headers=backups.world.headers("admin_b")).status_code == 404
    download = client.get(out["final_export_download_url"], headers=admin)
    assert download.status_code == 200 and hashlib.sha256(download.content).hexdigest() == export["sha256"]
    with tarfile.open(fileobj=io.BytesIO(download.content)) as archive:
        index = json.loads(archive.extractfile("index.json").read())  # type: ignore[union-attr]
        dump = archive.extractfile("database.dump").read()  # type: ignore[union-attr]
        assert dump[:5] == b"PGDMP" and hashlib.sha256(dump).hexdigest() == index["database"]["sha256"]
        versions = {v["informatieobject"]: v for v in json.loads(archive.extractfile("documents.json").read())}  # type: ignore[union-attr]
        for url, content in filled.contents.items():
            assert archive.extractfile(versions[url.rsplit("/", 1)[-1]]["file"]).read() == content  # type: ignore[union-attr]
    # Stored encrypted where exports are stored (the backup target), not as a local file.
    with backups.session() as session:
        stored = session.get(Export, uuid.UUID(out["final_export_id"]))
        assert stored is not None and stored.requested_by == backup_service.FINAL_EXPORT_BY
        object_key = stored.object_key
    target = build_target(backups.settings)
    assert b"PGDMP" not in b"".join(target.read(object_key))

    # Retention not passed: the purge waits and everything is still there.
    assert reconcile.schedule_due_purges(cp) == []
    database = cp.driver.database_name(credentials.spec_of(tenant))
    assert database in cp.driver.managed_databases()

    # A worker crash in the middle of deleting the documents (one object deleted, then the process is gone):
    # the purge job is left failed half-way; the retry converges and deletes the rest.
    purge_id = _purge(backups, "leiden")
    real_delete, calls = S3Storage.delete, []

    def crash_after_one(self: S3Storage, key: str) -> None:
        calls.append(key)
        if len(calls) > 1:
            raise ConnectionError("worker lost mid-delete")
        real_delete(self, key)

    monkeypatch.setattr(S3Storage, "delete", crash_after_one)
    assert run_job(cp, purge_id) is JobStatus.FAILED
    assert backups.job(purge_id).steps_done == ["unregister"]
    assert len(_objects(storage)) == 2 and database in cp.driver.managed_databases()
    monkeypatch.setattr(S3Storage, "delete", real_delete)
    with backups.session() as session:
        row = session.get(Tenant, tenant.id)
        assert row is not None
        tenants.retry(cp, session, SYSTEM, row)
        session.commit()
    assert run_job(cp, purge_id) is JobStatus.SUCCEEDED
    assert backups.job(purge_id).steps_done == [
        "unregister", "delete_documents", "drop_database", "delete_copies", "mark_deleted"]  # fmt: skip

    assert backups.tenant(tenant.id).state is TenantState.DELETED
    assert database not in cp.driver.managed_databases()
    assert _objects(storage) == []  # every document object of the tenant
    assert target.list(f"tenants/{tenant.id}/") == []  # its backups and its exports
    with backups.session() as session:
        assert session.get(Backup, backup_id).status is BackupStatus.DELETED  # type: ignore[union-attr]
        assert session.get(Export, uuid.UUID(out["final_export_id"])).status is ExportStatus.EXPIRED  # type: ignore[union-attr]
    assert client.get(out["final_export_download_url"], headers=admin).status_code == 409
    actions = _actions(backups, tenant.id)
    assert {"tenant.retention_scheduled", "backup.deleted_by_purge", "tenant.copies_deleted"} <= set(actions)


@pytest.mark.parametrize("got", ["nothing", "empty database"])
def test_failed_before_database_deprovisions_with_nothing_to_export(world: World, got: str) -> None:
    cp = world.cp
    tenant = add_tenant(cp, "zoeterwoude", "0638", TenantState.FAILED)
    spec = credentials.spec_of(tenant)
    if got == "empty database":  # provisioning failed in migrate: a database without its schema
        cp.driver.create_database(spec)
    job_id = _start(world, tenant.id, JobKind.DEPROVISION)
    assert runner.run(cp, job_id) is JobStatus.SUCCEEDED
    with cp.sessions() as session:
        row = session.get(Tenant, tenant.id)
        assert row is not None
        assert row.state is TenantState.DEPROVISIONING and row.final_export_id is None and row.retention_until
        assert session.scalars(select(Export).where(Export.tenant_id == tenant.id)).all() == []
        skipped = session.scalar(select(AuditEntry).where(AuditEntry.action == "tenant.final_export_skipped"))
        assert skipped is not None and skipped.after == {"job": str(job_id), "reason": lifecycle.NOTHING_TO_EXPORT}
    login(world.client, "operator@example.nl")
    page = world.client.get(f"/tenants/{tenant.id}")
    assert page.status_code == 200 and "geen eindexport" in page.text

    assert runner.run(cp, _purge(world, "zoeterwoude")) is JobStatus.SUCCEEDED
    with cp.sessions() as session:
        assert session.get(Tenant, tenant.id).state is TenantState.DELETED  # type: ignore[union-attr]
    assert cp.driver.database_name(spec) not in cp.driver.managed_databases()
    assert cp.driver.observe(spec).registered is False


def test_retry_takes_an_idempotency_key(world: World) -> None:
    cp, client = world.cp, world.client
    tenant = add_tenant(cp, "noordwijk", "0575", TenantState.FAILED)
    with cp.sessions() as session:
        failed = Job(kind=JobKind.PROVISION, tenant_id=tenant.id, status=JobStatus.FAILED, steps_done=["migrate"],
                     error="migrate: boom", created_by="test")  # fmt: skip
        session.add(failed)
        session.commit()
        failed_id = failed.id
    path = f"/api/v1/tenants/{tenant.id}/retry"
    first = client.post(path, headers=world.headers("operator", **{"Idempotency-Key": "retry-1"}))
    assert first.status_code == 202, first.text
    assert first.json()["id"] == str(failed_id) and first.json()["status"] == "queued"
    assert "Idempotent-Replayed" not in first.headers and first.headers["Location"] == f"/api/v1/jobs/{failed_id}"
    assert world.dispatched.jobs == [failed_id]

    # The job fails again; the same request (same key) answers as before and reopens nothing.
    with cp.sessions() as session:
        row = session.get(Job, failed_id)
        assert row is not None
        row.status = JobStatus.FAILED
        session.commit()
    again = client.post(path, headers=world.headers("operator", **{"Idempotency-Key": "retry-1"}))
    assert again.status_code == 202 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == str(failed_id) and again.json()["status"] == "failed"
    assert world.dispatched.jobs == [failed_id]
    assert _actions(world, tenant.id).count("job.retried") == 1

    # The key on another request is refused; a new key retries once more; a bad key is a 400.
    other = client.post(f"/api/v1/tenants/{world.tenant_a.id}/retry",
                        headers=world.headers("operator", **{"Idempotency-Key": "retry-1"}))  # fmt: skip
    assert other.status_code == 422 and other.json()["code"] == "idempotency-key-reused"
    fresh = client.post(path, headers=world.headers("operator", **{"Idempotency-Key": "retry-2"}))
    assert fresh.status_code == 202 and fresh.json()["status"] == "queued"
    assert client.post(path, headers=world.headers("operator", **{"Idempotency-Key": "x" * 201})).status_code == 400
    nothing = client.post(path, headers=world.headers("operator", **{"Idempotency-Key": "retry-3"}))
    assert nothing.status_code == 409 and nothing.json()["code"] == "nothing-to-retry"
    assert client.post(path, headers=world.headers("admin_a", **{"Idempotency-Key": "r"})).status_code in (403, 404)
