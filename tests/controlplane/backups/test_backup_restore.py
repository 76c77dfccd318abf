"""Backups and restores end to end on PostgreSQL and MinIO with a real runtime over HTTP: a backup restored
into a new tenant answers every zaak/document/besluit identically (content byte for byte); one changed byte in
the stored backup makes the restore refuse before anything is touched; an in-place restore brings back the
backup's data (briefly 503) and the current credentials; a backup from a newer schema is refused."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import text

from controlplane.accounts.actors import SYSTEM
from controlplane.backups import service
from controlplane.backups.models import Backup, BackupStatus, Restore, RestoreMode, RunStatus
from controlplane.backups.schemas import CloneTarget
from controlplane.backups.targets import build_target
from controlplane.credentials import service as credentials
from controlplane.drivers.databases import TenantDatabases
from controlplane.jobs.models import JobKind, JobStatus
from controlplane.tenants.models import Tenant, TenantState
from tenant_runtime.core.problems import Problem
from tenant_runtime.db.engines import build_engine
from tests.controlplane.backups.conftest import BackupWorld, comparable, run_job

pytestmark = pytest.mark.slow
LISTS = {
    "zaken": "zaken/api/v1/zaken",
    "documenten": "documenten/api/v1/enkelvoudiginformatieobjecten",
    "besluiten": "besluiten/api/v1/besluiten",
    "zio": "zaken/api/v1/zaakinformatieobjecten",
}


def _backup(world: BackupWorld, tenant: Tenant) -> Backup:
    with world.session() as session:
        row = session.get(Tenant, tenant.id)
        assert row is not None
        backup, job, _ = service.start_backup(world.cp, session, SYSTEM, row, reason="test")
        session.commit()
        backup_id, job_id = backup.id, job.id
    assert run_job(world.cp, job_id) is JobStatus.SUCCEEDED, world.job(job_id).error
    with world.session() as session:
        found = session.get(Backup, backup_id)
        assert found is not None
        return found


def _lists(world: BackupWorld, slug: str, headers: dict[str, str]) -> dict[str, object]:
    out: dict[str, object] = {}
    with httpx.Client(headers=headers, timeout=30) as http:
        for name, path in LISTS.items():
            response = http.get(f"{world.runtime_url}/t/{slug}/{path}")
            assert response.status_code == 200, response.text
            out[name] = response.json()
    return out


def test_backup_then_clone_is_identical(backups: BackupWorld) -> None:
    source = backups.provision("leiden", "0546")
    headers = backups.app_headers(source)
    filled = backups.fill(source, headers)
    backup = _backup(backups, source)
    assert backup.status is BackupStatus.SUCCEEDED
    assert backup.record_counts == {"zaken": 3, "documenten": 3, "besluiten": 2}
    assert backup.documents_count == 3 and backup.documents_bytes == sum(len(c) for c in filled.contents.values())
    manifest = backup.manifest or {}
    assert manifest["database"]["format"] == "pg_dump-custom" and manifest["schema_heads"] == backup.schema_heads
    assert {"sha256", "stored_sha256", "size", "stored_size"} <= set(manifest["database"])
    # Stored encrypted: no document's content appears in any stored object.
    target = build_target(backups.settings)
    stored = b"".join(b"".join(target.read(k)) for k in target.list(backup.prefix))
    assert all(content[:200] not in stored for content in filled.contents.values())

    with backups.session() as session:
        row = session.get(Backup, backup.id)
        assert row is not None
        restore, job, _ = service.start_restore(
            backups.cp, session, backups.operator, row, mode=RestoreMode.NEW_TENANT,
            target=CloneTarget(name="Leiden test", gemeentecode="0999", slug="leiden-test"),
        )  # fmt: skip
        session.commit()
        job_id, clone_id = job.id, restore.target_tenant_id
    assert run_job(backups.cp, job_id) is JobStatus.SUCCEEDED, backups.job(job_id).error
    clone = backups.tenant(clone_id)
    assert clone.state is TenantState.ACTIVE and clone.slug == "leiden-test"

    # The clone's own application (the source's applications and abonnementen are not carried over).
    clone_headers = backups.app_headers(clone, "zaaksysteem-test")
    old_app = httpx.get(f"{backups.api(clone, 'zaken')}/zaken", headers=headers, timeout=10)
    assert old_app.status_code == 403
    assert comparable(_lists(backups, "leiden-test", clone_headers), "leiden", "leiden-test") == _lists(
        backups, "leiden", headers
    )
    with httpx.Client(timeout=30) as http:
        for url in filled.zaken + filled.documents + filled.besluiten:
            original = http.get(url, headers=headers)
            copied = http.get(url.replace("/t/leiden/", "/t/leiden-test/"), headers=clone_headers)
            assert original.status_code == copied.status_code == 200
            assert comparable(copied.json(), "leiden", "leiden-test") == original.json()
        for url, content in filled.contents.items():
            download = http.get(url.replace("/t/leiden/", "/t/leiden-test/") + "/download", headers=clone_headers)
            assert download.status_code == 200 and download.content == content


def test_corrupted_backup_is_refused_before_anything_changes(backups: BackupWorld) -> None:
    source = backups.provision("leiden", "0546")
    headers = backups.app_headers(source)
    backups.fill(source, headers, zaken=2, documents=2)
    backup = _backup(backups, source)
    target = build_target(backups.settings)
    key = next(k for k in target.list(backup.prefix) if "documents-" in k)
    data = bytearray(b"".join(target.read(key)))
    data[len(data) // 2] ^= 0x01  # one byte
    writer = target.writer(key)
    writer.write(bytes(data))
    writer.commit()
    before = _lists(backups, "leiden", headers)
    with backups.session() as session:
        row = session.get(Backup, backup.id)
        assert row is not None
        restore, job, _ = service.start_restore(backups.cp, session, backups.operator, row, mode=RestoreMode.IN_PLACE)
        session.commit()
        job_id, restore_id = job.id, restore.id
    assert run_job(backups.cp, job_id) is JobStatus.FAILED
    job = backups.job(job_id)
    assert job.steps_done == [] and "does not match the manifest" in job.error
    with backups.session() as session:
        restore_row = session.get(Restore, restore_id)
        assert restore_row is not None and restore_row.status is RunStatus.FAILED
    # Nothing was touched: still active and serving the same data.
    assert backups.tenant(source.id).state is TenantState.ACTIVE
    assert _lists(backups, "leiden", headers) == before


def test_restore_in_place_brings_back_the_backup(backups: BackupWorld) -> None:
    tenant = backups.provision("leiden", "0546")
    headers = backups.app_headers(tenant)
    filled = backups.fill(tenant, headers, zaken=2, documents=2)
    backup = _backup(backups, tenant)
    expected = _lists(backups, "leiden", headers)
    # After the backup: one more zaak, one document deleted, and a new credential.
    with httpx.Client(headers=headers, timeout=30) as http:
        extra = http.post(f"{backups.api(tenant, 'zaken')}/zaken", json={
            "zaaktype": expected["zaken"]["results"][0]["zaaktype"], "bronorganisatie": "002220647",  # type: ignore[index]
            "verantwoordelijkeOrganisatie": "002220647", "startdatum": "2024-06-01"})  # fmt: skip
        assert extra.status_code == 201, extra.text
        assert http.delete(filled.documents[1]).status_code == 204
    later_headers = backups.app_headers(tenant, "later-app")
    with backups.session() as session:
        row_tenant = session.get(Tenant, tenant.id)
        row = session.get(Backup, backup.id)
        assert row_tenant is not None and row is not None
        restore = service.restore_in_place(backups.cp, session, row_tenant, row)
        assert restore.status is RunStatus.SUCCEEDED
        assert restore.maintenance_started_at is not None and restore.maintenance_ended_at is not None
        again = service.restore_in_place(backups.cp, session, row_tenant, row)  # idempotent: the same restore
        assert again.id == restore.id
    assert _lists(backups, "leiden", headers) == expected
    # The application made after the backup still works (credentials are the control plane's, not the backup's).
    assert httpx.get(f"{backups.api(tenant, 'zaken')}/zaken", headers=later_headers, timeout=10).status_code == 200
    download = httpx.get(filled.documents[1] + "/download", headers=headers, timeout=10)
    assert download.status_code == 200 and download.content == filled.contents[filled.documents[1]]
    assert backups.tenant(tenant.id).state is TenantState.ACTIVE


def test_backup_from_a_newer_schema_is_refused(backups: BackupWorld) -> None:
    tenant = backups.provision("leiden", "0546")
    # The tenant's database as a newer runtime would leave it: a revision this runtime does not know.
    engine = build_engine(TenantDatabases(backups.settings).database_url(credentials.spec_of(tenant)), pooled=False)
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO alembic_version (version_num) VALUES ('zrc9999')"))
    engine.dispose()
    backup = _backup(backups, tenant)
    assert "zrc9999" in backup.schema_heads
    with backups.session() as session:
        row = session.get(Backup, backup.id)
        assert row is not None
        with pytest.raises(Problem) as refused:
            service.start_restore(backups.cp, session, backups.operator, row, mode=RestoreMode.IN_PLACE)
        assert refused.value.status == 400
        assert [(p.name, p.code) for p in refused.value.invalid_params] == [("backup", "schema-newer")]
        session.rollback()
        # The job refuses too (e.g. a restore requested before the runtime was rolled back).
        tenant_row = session.get(Tenant, tenant.id)
        assert tenant_row is not None
        job = service._inline_job(session, JobKind.RESTORE, tenant.id, "newer-schema", "test")
        service._new_restore(backups.cp, session, backups.operator, row, tenant_row, RestoreMode.IN_PLACE, job, "")
        session.commit()
        job_id = job.id
    assert run_job(backups.cp, job_id) is JobStatus.FAILED
    failed = backups.job(job_id)
    assert failed.steps_done == [] and "newer than this runtime" in failed.error
    assert backups.tenant(tenant.id).state is TenantState.ACTIVE
