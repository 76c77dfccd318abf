"""The backups world (MinIO for document content and for backups/exports, a runtime over HTTP) for the
offboarding tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import S3Bucket
from tests.controlplane.backups.conftest import BackupWorld, build_backup_world
from tests.fixtures.services import PostgresServer


@pytest.fixture
def backups(
    tmp_path: Path, postgres_server: PostgresServer, s3_bucket: S3Bucket, monkeypatch: pytest.MonkeyPatch
) -> Iterator[BackupWorld]:
    yield from build_backup_world(tmp_path, postgres_server, s3_bucket, monkeypatch)
