"""One conformance suite for every BackupTarget: the local directory and an S3 bucket on MinIO."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from controlplane.backups.interfaces import BackupTarget, ObjectNotFound
from controlplane.backups.targets import LocalTarget, build_target
from controlplane.config import Settings
from tests.conftest import S3Bucket


@pytest.fixture(params=["local", "s3"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BackupTarget]:
    if request.param == "local":
        yield LocalTarget(tmp_path / "backups")
        return
    bucket: S3Bucket = request.getfixturevalue("s3_bucket")
    settings = Settings(
        data_dir=tmp_path, backup_target="s3", backup_s3_endpoint_url=bucket.endpoint,
        backup_s3_access_key=bucket.access_key, backup_s3_secret_key=bucket.secret_key,
        backup_s3_bucket=f"{bucket.bucket}-target", backup_s3_prefix="prod/",
    )  # fmt: skip
    yield build_target(settings)


def _write(target: BackupTarget, key: str, data: bytes, piece: int = 1 << 20) -> None:
    writer = target.writer(key)
    for start in range(0, len(data), piece):
        writer.write(data[start : start + piece])
    writer.commit()


def test_conforms_to_the_protocol(target: BackupTarget) -> None:
    assert isinstance(target, BackupTarget)
    assert target.kind in ("local", "s3") and target.describe()


def test_write_read_size_list_delete(target: BackupTarget) -> None:
    big = os.urandom(12 * 1024 * 1024 + 17)  # more than one S3 part
    _write(target, "tenants/a/backups/1/database.zgwenc", big)
    _write(target, "tenants/a/backups/1/manifest.json", b"{}")
    _write(target, "tenants/a/backups/2/manifest.json", b"{}")
    _write(target, "tenants/b/backups/3/manifest.json", b"{}")
    assert b"".join(target.read("tenants/a/backups/1/database.zgwenc")) == big
    assert all(len(c) <= 64 * 1024 for c in target.read("tenants/a/backups/1/database.zgwenc", 64 * 1024))
    assert target.size("tenants/a/backups/1/database.zgwenc") == len(big)
    assert target.size("tenants/a/backups/9/manifest.json") is None
    assert target.list("tenants/a/backups/1/") == [
        "tenants/a/backups/1/database.zgwenc",
        "tenants/a/backups/1/manifest.json",
    ]
    assert len(target.list("tenants/a/")) == 3 and target.list("tenants/c/") == []
    assert target.delete_prefix("tenants/a/backups/1/") == 2
    assert target.list("tenants/a/") == ["tenants/a/backups/2/manifest.json"]
    target.delete("tenants/a/backups/2/manifest.json")
    target.delete("tenants/a/backups/2/manifest.json")  # absent: no error
    assert target.list("tenants/a/") == [] and target.list("tenants/b/") == ["tenants/b/backups/3/manifest.json"]
    with pytest.raises(ObjectNotFound):
        target.read("tenants/a/backups/2/manifest.json")


def test_nothing_is_visible_before_commit_and_abort_leaves_nothing(target: BackupTarget) -> None:
    writer = target.writer("tenants/a/x")
    writer.write(os.urandom(9 * 1024 * 1024))
    assert target.list("tenants/") == [] and target.size("tenants/a/x") is None
    writer.abort()
    assert target.list("tenants/") == []
    _write(target, "tenants/a/x", b"first")
    _write(target, "tenants/a/x", b"second")  # a rewrite replaces the object
    assert b"".join(target.read("tenants/a/x")) == b"second"
