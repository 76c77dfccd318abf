"""The embedded default: SQLite tenant databases (the online backup API), document content and backups on the
local filesystem. A backup restores in place (the staged copy written into the live file through SQLite, while
the runtime keeps its connections) and into a new tenant, with identical ZGW answers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from controlplane.accounts.actors import SYSTEM
from controlplane.backups import service
from controlplane.backups.models import Backup, RestoreMode
from controlplane.backups.schemas import CloneTarget
from controlplane.jobs.models import JobStatus
from controlplane.tenants.models import Tenant, TenantState
from tenant_runtime.config import RuntimeSettings
from tenant_runtime.main import create_app as create_runtime
from tests.controlplane.backups.conftest import BackupWorld, comparable, run_job
from tests.controlplane.conftest import build_world, make_settings
from tests.fixtures.services import PostgresServer
from tests.tenant_runtime.live import serve

pytestmark = pytest.mark.slow


@pytest.fixture
def embedded(tmp_path: Path, postgres_server: PostgresServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[BackupWorld]:
    for name in ("ZGW_RUNTIME_STORAGE_BACKEND", "ZGW_RUNTIME_STORAGE_LOCAL_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ZGW_RUNTIME_REGISTRY_CACHE_SECONDS", "0")
    registry = f"sqlite:///{(tmp_path / 'runtime' / 'registry.db').as_posix()}"
    settings = make_settings(tmp_path, postgres_server, runtime_registry_url=registry, backup_chunk_size=64 * 1024)
    assert settings.backup_target == "local" and settings.tenant_database_server_url == ""
    runtime = create_runtime(RuntimeSettings(environment="test", data_dir=tmp_path / "runtime", registry_url=registry))
    with serve(runtime) as runtime_url:
        settings = settings.model_copy(update={"runtime_public_url": runtime_url})
        for world in build_world(settings):
            yield BackupWorld(world, settings, runtime_url, None)  # type: ignore[arg-type]


def _lists(world: BackupWorld, slug: str, headers: dict[str, str]) -> list[object]:
    paths = ("zaken/api/v1/zaken", "documenten/api/v1/enkelvoudiginformatieobjecten", "besluiten/api/v1/besluiten")
    return [httpx.get(f"{world.runtime_url}/t/{slug}/{p}", headers=headers, timeout=10).json() for p in paths]


def test_backup_and_restores_on_sqlite_and_files(embedded: BackupWorld, tmp_path: Path) -> None:
    tenant = embedded.provision("leiden", "0546")
    headers = embedded.app_headers(tenant)
    filled = embedded.fill(tenant, headers, zaken=3, documents=2)
    with embedded.session() as session:
        row = session.get(Tenant, tenant.id)
        assert row is not None
        backup, job, _ = service.start_backup(embedded.cp, session, SYSTEM, row)
        session.commit()
        backup_id, job_id = backup.id, job.id
    assert run_job(embedded.cp, job_id) is JobStatus.SUCCEEDED, embedded.job(job_id).error
    with embedded.session() as session:
        saved = session.get(Backup, backup_id)
        assert saved is not None and saved.manifest is not None
        assert saved.manifest["database"]["format"] == "sqlite3" and saved.target == str(tmp_path / "cp" / "backups")
    stored = sorted(p.name for p in (tmp_path / "cp" / "backups").rglob("*") if p.is_file())
    assert stored == ["database.zgwenc", "documents-0001.tar.zgwenc", "manifest.json"]
    expected = _lists(embedded, "leiden", headers)

    # Changes after the backup, then in place: the runtime keeps its SQLite connections open throughout.
    with httpx.Client(headers=headers, timeout=10) as http:
        assert http.delete(filled.documents[1]).status_code == 204
        assert http.delete(filled.besluiten[0]).status_code == 204
    assert _lists(embedded, "leiden", headers) != expected
    with embedded.session() as session:
        row = session.get(Tenant, tenant.id)
        saved = session.get(Backup, backup_id)
        assert row is not None and saved is not None
        service.restore_in_place(embedded.cp, session, row, saved)
    assert _lists(embedded, "leiden", headers) == expected
    download = httpx.get(filled.documents[1] + "/download", headers=headers, timeout=10)
    assert download.status_code == 200 and download.content == filled.contents[filled.documents[1]]

    with embedded.session() as session:
        saved = session.get(Backup, backup_id)
        assert saved is not None
        restore, job, _ = service.start_restore(
            embedded.cp, session, embedded.operator, saved, mode=RestoreMode.NEW_TENANT,
            target=CloneTarget(name="Leiden test", gemeentecode="0999", slug="leiden-test"),
        )  # fmt: skip
        session.commit()
        job_id, clone_id = job.id, restore.target_tenant_id
    assert run_job(embedded.cp, job_id) is JobStatus.SUCCEEDED, embedded.job(job_id).error
    clone = embedded.tenant(clone_id)
    assert clone.state is TenantState.ACTIVE
    clone_headers = embedded.app_headers(clone, "testomgeving")
    assert comparable(_lists(embedded, "leiden-test", clone_headers), "leiden", "leiden-test") == expected
    for url, content in filled.contents.items():
        copied = httpx.get(
            url.replace("/t/leiden/", "/t/leiden-test/") + "/download", headers=clone_headers, timeout=10
        )
        assert copied.content == content
