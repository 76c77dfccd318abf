"""Restore drills and exports for real: a drill restores the latest backup into a scratch tenant, answers ZGW
calls with the manifest's counts, records RTO and RPO and removes every trace of the scratch tenant; a failing
drill is listed first. An export downloads as a tar (dump, documents byte for byte, JSON index) for the
municipality's own admin, never for another municipality."""

from __future__ import annotations

import io
import json
import tarfile
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from controlplane.accounts.actors import SYSTEM
from controlplane.accounts.models import Role
from controlplane.backups import service
from controlplane.backups.content import content_storage
from controlplane.backups.models import Backup, Drill, RunStatus
from controlplane.backups.targets import build_target
from controlplane.drivers.interfaces import TenantSpec
from controlplane.jobs.models import JobStatus
from controlplane.tenants.models import Tenant
from tenant_runtime.storage.s3 import S3Storage
from tests.controlplane.backups.conftest import BackupWorld, run_job
from tests.controlplane.conftest import add_user

pytestmark = pytest.mark.slow


class LaterClock:
    """The system clock, moved ahead (time still passes, so durations are measured)."""

    def __init__(self, offset: timedelta) -> None:
        self.offset = offset

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


def _backup(world: BackupWorld, tenant: Tenant) -> uuid.UUID:
    with world.session() as session:
        row = session.get(Tenant, tenant.id)
        assert row is not None
        backup, job, _ = service.start_backup(world.cp, session, SYSTEM, row)
        session.commit()
        job_id, backup_id = job.id, backup.id
    assert run_job(world.cp, job_id) is JobStatus.SUCCEEDED
    return backup_id


def _drill(world: BackupWorld, tenant: Tenant) -> tuple[uuid.UUID, JobStatus]:
    with world.session() as session:
        row = session.get(Tenant, tenant.id)
        assert row is not None
        drill, job, _ = service.start_drill(world.cp, session, world.operator, row)
        session.commit()
        drill_id, job_id = drill.id, job.id
    return drill_id, run_job(world.cp, job_id)


def _scratch_objects(world: BackupWorld, slug: str) -> list[str]:
    storage = content_storage(world.settings, slug)
    assert isinstance(storage, S3Storage)
    listed = storage.client.list_objects_v2(Bucket=storage.bucket, Prefix=storage.prefix)
    return [o["Key"] for o in listed.get("Contents", [])]


def test_drill_restores_checks_times_and_cleans_up(backups: BackupWorld) -> None:
    tenant = backups.provision("leiden", "0546")
    backups.fill(tenant, backups.app_headers(tenant), zaken=4, documents=2)
    _backup(backups, tenant)
    backups.cp.clock = LaterClock(timedelta(hours=5))  # the backup is five hours old when the drill runs
    drill_id, status = _drill(backups, tenant)
    assert status is JobStatus.SUCCEEDED
    with backups.session() as session:
        drill = session.get(Drill, drill_id)
        assert drill is not None
        assert drill.status is RunStatus.SUCCEEDED, (drill.error, drill.checks)
        assert drill.expected_counts == drill.actual_counts == {"zaken": 4, "documenten": 2, "besluiten": 2}
        assert {c["check"] for c in drill.checks} >= {"checksums", "document download", "GET /zaken/api/v1/zaken"}
        assert all(c["ok"] for c in drill.checks)
        assert drill.rto_seconds is not None and 0 < drill.rto_seconds < 60
        assert drill.rpo_seconds is not None and drill.rpo_seconds >= 5 * 3600
        assert drill.cleaned_up and drill.finished_at is not None
        scratch = TenantSpec(drill.scratch_slug, drill.scratch_slug)
    assert backups.cp.driver.database_name(scratch) not in backups.cp.driver.managed_databases()
    assert backups.cp.driver.observe(scratch).registered is False
    assert _scratch_objects(backups, scratch.slug) == []
    shown = backups.world.client.get("/api/v1/drills", headers=backups.world.headers("operator")).json()
    assert shown["results"][0]["rto_seconds"] == pytest.approx(drill.rto_seconds)


def test_a_failing_drill_is_recorded_cleaned_up_and_shown_first(backups: BackupWorld) -> None:
    tenant = backups.provision("leiden", "0546")
    backups.fill(tenant, backups.app_headers(tenant), zaken=1, documents=1)
    backup_id = _backup(backups, tenant)
    assert _drill(backups, tenant)[1] is JobStatus.SUCCEEDED
    with backups.session() as session:
        backup = session.get(Backup, backup_id)
        assert backup is not None
        prefix = backup.prefix
    target = build_target(backups.settings)
    key = next(k for k in target.list(prefix) if k.endswith("database.zgwenc"))
    data = bytearray(b"".join(target.read(key)))
    data[-5] ^= 0xFF
    writer = target.writer(key)
    writer.write(bytes(data))
    writer.commit()
    drill_id, status = _drill(backups, tenant)
    assert status is JobStatus.FAILED
    with backups.session() as session:
        drill = session.get(Drill, drill_id)
        assert drill is not None and drill.status is RunStatus.FAILED and drill.cleaned_up
        assert "database.zgwenc" in drill.error
    listed = backups.world.client.get("/api/v1/drills", headers=backups.world.headers("finance")).json()["results"]
    assert [d["status"] for d in listed] == ["failed", "succeeded"]


def test_export_download_for_the_own_municipality_only(backups: BackupWorld) -> None:
    tenant = backups.provision("leiden", "0546")
    filled = backups.fill(tenant, backups.app_headers(tenant), zaken=2, documents=3)
    _, admin_token = add_user(backups.cp, "beheer@leiden.example", Role.MUNICIPALITY_ADMIN, tenant)
    admin = {"Authorization": f"Bearer {admin_token}"}
    client = backups.world.client
    started = client.post(f"/api/v1/tenants/{tenant.id}/exports", headers=admin)
    assert started.status_code == 202, started.text
    assert run_job(backups.cp, uuid.UUID(started.json()["job"]["id"])) is JobStatus.SUCCEEDED
    export = client.get(f"/api/v1/exports/{started.json()['export']['id']}", headers=admin).json()
    assert export["status"] == "ready" and export["download_url"] and export["documents_count"] == 3
    assert client.get(export["download_url"], headers=backups.world.headers("admin_b")).status_code == 404
    assert client.get(export["download_url"], headers=backups.world.headers("finance")).status_code == 403
    download = client.get(export["download_url"], headers=admin)
    assert download.status_code == 200 and download.headers["content-type"] == "application/x-tar"
    assert int(download.headers["content-length"]) == export["size_bytes"] == len(download.content)
    assert "attachment" in download.headers["content-disposition"]
    import hashlib

    assert hashlib.sha256(download.content).hexdigest() == export["sha256"]
    with tarfile.open(fileobj=io.BytesIO(download.content)) as archive:
        names = archive.getnames()
        assert names[0] == "database.dump" and names[-1] == "index.json" and "documents.json" in names
        index = json.loads(archive.extractfile("index.json").read())  # type: ignore[union-attr]
        assert index["format"] == "zgw-cloud-export" and index["tenant"]["slug"] == "leiden"
        assert index["record_counts"] == {"zaken": 2, "documenten": 3, "besluiten": 2}
        dump = archive.extractfile("database.dump").read()  # type: ignore[union-attr]
        assert dump[:5] == b"PGDMP" and hashlib.sha256(dump).hexdigest() == index["database"]["sha256"]
        versions = json.loads(archive.extractfile("documents.json").read())  # type: ignore[union-attr]
        by_uuid = {v["informatieobject"]: v for v in versions}
        for url, content in filled.contents.items():
            version = by_uuid[url.rsplit("/", 1)[-1]]
            assert archive.extractfile(version["file"]).read() == content  # type: ignore[union-attr]
    with backups.session() as session:
        from controlplane.audit.models import AuditEntry

        assert session.scalar(select(AuditEntry).where(AuditEntry.action == "export.downloaded")) is not None
