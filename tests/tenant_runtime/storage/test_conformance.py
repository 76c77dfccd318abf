"""One conformance suite every ``ContentStorage`` backend passes: the local directory and S3 (real MinIO)."""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tenant_runtime.config import RuntimeSettings
from tenant_runtime.storage import ContentCorrupt, ContentNotFound, ContentStorage, StoredPart, storage_for
from tenant_runtime.storage.checksums import ContentDigest, composite_sha256
from tenant_runtime.storage.interfaces import ContentStorage as ContentStorageProtocol
from tenant_runtime.storage.s3 import S3Storage
from tests.conftest import S3Bucket

MIB = 1024 * 1024


def _settings(tmp_path: Path, backend: str, request: pytest.FixtureRequest, **extra: object) -> RuntimeSettings:
    if backend == "local":
        return RuntimeSettings(environment="test", data_dir=tmp_path, **extra)  # type: ignore[arg-type]
    bucket: S3Bucket = request.getfixturevalue("s3_bucket")
    return RuntimeSettings(
        environment="test",
        data_dir=tmp_path,
        storage_backend="s3",
        storage_s3_endpoint_url=bucket.endpoint,
        storage_s3_access_key=bucket.access_key,
        storage_s3_secret_key=bucket.secret_key,
        storage_s3_bucket=bucket.bucket,
        document_part_size=5 * MIB,
        **extra,  # type: ignore[arg-type]
    )


@pytest.fixture(params=["local", "s3"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def settings(tmp_path: Path, backend: str, request: pytest.FixtureRequest) -> RuntimeSettings:
    return _settings(tmp_path, backend, request)


@pytest.fixture
def storage(settings: RuntimeSettings) -> ContentStorage:
    return storage_for(settings, "alpha")


def _read(storage: ContentStorage, key: str) -> bytes:
    return b"".join(storage.read(key))


def test_is_a_content_storage(storage: ContentStorage) -> None:
    assert isinstance(storage, ContentStorageProtocol)


def test_streaming_write_and_read_round_trip(storage: ContentStorage) -> None:
    data = os.urandom(11 * MIB + 123)  # more than one S3 write part
    writer = storage.writer("doc/one")
    for start in range(0, len(data), 777_777):
        writer.write(data[start : start + 777_777])
    assert not storage.exists("doc/one"), "nothing is visible before commit"
    stored = writer.commit()
    assert stored.size == len(data)
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert storage.exists("doc/one")
    assert _read(storage, "doc/one") == data
    chunks = list(storage.read("doc/one", chunk_size=MIB))
    assert max(len(c) for c in chunks) <= MIB


def test_empty_content(storage: ContentStorage) -> None:
    stored = storage.writer("empty").commit()
    assert stored.size == 0
    assert stored.sha256 == hashlib.sha256(b"").hexdigest()
    assert _read(storage, "empty") == b""


def test_aborted_write_leaves_nothing(storage: ContentStorage) -> None:
    writer = storage.writer("aborted")
    writer.write(os.urandom(9 * MIB))
    writer.abort()
    assert not storage.exists("aborted")
    with pytest.raises(ContentNotFound):
        storage.read("aborted")


def test_delete_is_idempotent(storage: ContentStorage) -> None:
    writer = storage.writer("gone")
    writer.write(b"abc")
    writer.commit()
    storage.delete("gone")
    assert not storage.exists("gone")
    storage.delete("gone")
    with pytest.raises(ContentNotFound):
        storage.read("gone")


def _part(data: bytes) -> io.BufferedRandom:
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - closed by the caller's with-block
    handle.write(data)
    handle.seek(0)
    return handle  # type: ignore[return-value]


def test_multipart_upload_out_of_order_with_resent_part(storage: ContentStorage) -> None:
    parts = [os.urandom(5 * MIB), os.urandom(5 * MIB), os.urandom(1234)]
    upload_id = storage.start_parts("big")
    stored: dict[int, StoredPart] = {}
    for number in (3, 1, 2):
        with _part(parts[number - 1]) as handle:
            stored[number] = storage.put_part("big", upload_id, number, handle, len(parts[number - 1]))
    with _part(parts[0]) as handle:  # a retried part replaces the first upload
        stored[1] = storage.put_part("big", upload_id, 1, handle, len(parts[0]))
    assert stored[2].sha256 == hashlib.sha256(parts[1]).hexdigest()
    assert not storage.exists("big")
    result = storage.complete_parts("big", upload_id, list(stored.values()))
    whole = b"".join(parts)
    assert result.size == len(whole)
    assert result.part_size in (0, 5 * MIB)  # plain SHA-256 (assembled here) or S3's composite over the parts
    digest = ContentDigest(result.part_size)
    digest.update(whole)
    assert result.sha256 == digest.hexdigest()
    if result.part_size:
        assert result.sha256 == composite_sha256(hashlib.sha256(p).hexdigest() for p in parts)
    else:
        assert result.sha256 == hashlib.sha256(whole).hexdigest()
    assert _read(storage, "big") == whole
    assert [u.upload_id for u in storage.list_uploads(datetime.now(UTC) + timedelta(hours=1))] == []


def test_short_part_is_refused(storage: ContentStorage) -> None:
    upload_id = storage.start_parts("short")
    with _part(b"x" * 10) as handle, pytest.raises(ValueError, match="verwacht"):
        storage.put_part("short", upload_id, 1, handle, 20)
    storage.abort_parts("short", upload_id)


def test_aborted_multipart_upload_leaves_nothing(storage: ContentStorage) -> None:
    upload_id = storage.start_parts("dropped")
    with _part(os.urandom(5 * MIB)) as handle:
        storage.put_part("dropped", upload_id, 1, handle, 5 * MIB)
    storage.abort_parts("dropped", upload_id)
    storage.abort_parts("dropped", upload_id)  # idempotent
    assert not storage.exists("dropped")
    with _part(b"late") as handle, pytest.raises((ContentNotFound, ValueError)):
        storage.put_part("dropped", upload_id, 2, handle, 4)


def test_keys_cannot_escape(storage: ContentStorage) -> None:
    for key in ("../other/x", "/abs", "a/../../b", ""):
        with pytest.raises(ValueError):
            storage.writer(key)


def test_tenants_are_isolated(settings: RuntimeSettings) -> None:
    alpha, beta = storage_for(settings, "alpha"), storage_for(settings, "beta")
    writer = alpha.writer("same/key")
    writer.write(b"alpha only")
    writer.commit()
    assert not beta.exists("same/key")
    with pytest.raises(ContentNotFound):
        beta.read("same/key")
    beta.delete("same/key")
    assert _read(alpha, "same/key") == b"alpha only"


def test_bucket_per_tenant(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    settings = _settings(tmp_path, "s3", request, storage_s3_bucket_per_tenant=True)
    storage = storage_for(settings, "gamma")
    writer = storage.writer("k")
    writer.write(b"in its own bucket")
    writer.commit()
    bucket: S3Bucket = request.getfixturevalue("s3_bucket")
    body = bucket.client().get_object(Bucket=f"{bucket.bucket}-gamma", Key="k")["Body"].read()
    assert body == b"in its own bucket"


def _write(storage: ContentStorage, key: str, data: bytes) -> None:
    writer = storage.writer(key)
    writer.write(data)
    writer.commit()


def test_list_keys_pages_through_committed_objects_only(settings: RuntimeSettings) -> None:
    storage, other = storage_for(settings, "alpha"), storage_for(settings, "beta")
    before = datetime.now(UTC) - timedelta(seconds=5)
    keys = sorted(f"{i:02x}/doc{i}" for i in range(5))
    for key in keys:
        _write(storage, key, key.encode())
    _write(other, "ff/beta-only", b"beta")
    pending = storage.writer("aa/in-flight")
    pending.write(b"not yet")
    upload_id = storage.start_parts("bb/parts")
    with _part(b"part") as handle:
        storage.put_part("bb/parts", upload_id, 1, handle, 4)
    if isinstance(storage, S3Storage):
        storage.client.list_objects_v2 = _paged(storage.client.list_objects_v2)  # type: ignore[method-assign]
    listed = list(storage.list_keys())
    assert sorted(o.key for o in listed) == keys, "neither uploads in progress nor another tenant's objects"
    assert {o.key: o.size for o in listed} == {k: len(k) for k in keys}
    assert all(before <= o.modified <= datetime.now(UTC) + timedelta(seconds=5) for o in listed)
    pending.abort()
    storage.abort_parts("bb/parts", upload_id)


def _paged(list_objects):  # type: ignore[no-untyped-def]
    """Force pages of two objects (the paginator follows the continuation tokens)."""

    def call(**kwargs):  # type: ignore[no-untyped-def]
        return list_objects(**{**kwargs, "MaxKeys": 2})

    return call


def test_list_uploads_finds_idle_unfinished_uploads(storage: ContentStorage) -> None:
    upload_id = storage.start_parts("cc/abandoned")
    with _part(b"x" * 10) as handle:
        storage.put_part("cc/abandoned", upload_id, 1, handle, 10)
    writer = storage.writer("dd/interrupted")
    writer.write(os.urandom(9 * MIB))  # a streaming write that never commits (S3: one part uploaded)
    now = datetime.now(UTC)
    assert list(storage.list_uploads(now - timedelta(minutes=5))) == [], "recent uploads are not idle"
    idle = {(u.key, u.upload_id) for u in storage.list_uploads(now + timedelta(minutes=5))}
    assert ("cc/abandoned", upload_id) in idle
    assert {key for key, _ in idle} == {"cc/abandoned", "dd/interrupted"}
    for key, found in idle:
        storage.abort_parts(key, found)
    assert list(storage.list_uploads(now + timedelta(minutes=5))) == []
    assert list(storage.list_keys()) == []


def test_corrupt_part_is_reported_not_assembled(storage: ContentStorage) -> None:
    parts = [os.urandom(5 * MIB), os.urandom(100)]
    upload_id = storage.start_parts("ee/corrupt")
    stored = []
    for number, data in enumerate(parts, 1):
        with _part(data) as handle:
            stored.append(storage.put_part("ee/corrupt", upload_id, number, handle, len(data)))
    wrong = StoredPart(2, stored[1].token, stored[1].size, hashlib.sha256(b"other bytes").hexdigest())
    with pytest.raises(ContentCorrupt):
        storage.complete_parts("ee/corrupt", upload_id, [stored[0], wrong])
    assert not storage.exists("ee/corrupt")
    result = storage.complete_parts("ee/corrupt", upload_id, stored)  # the upload stays open for a retry
    assert _read(storage, "ee/corrupt") == b"".join(parts)
    assert result.size == 5 * MIB + 100
