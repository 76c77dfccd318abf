"""The two backup targets: a local directory (embedded default) and an S3-compatible bucket (MinIO, AWS S3).

Both reuse the document content storages of the runtime (``tenant_runtime.storage``) for streaming writes that
appear only on commit and chunked reads, and add what backups need on top: listing, sizes and prefix deletes.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog
from botocore.exceptions import ClientError

from controlplane.backups.interfaces import READ_CHUNK_SIZE, BackupTarget
from controlplane.config import Settings
from tenant_runtime.storage.local import LocalStorage, LocalWriter
from tenant_runtime.storage.s3 import S3Storage, S3Writer

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

log = structlog.get_logger(__name__)


class LocalTarget:
    """Objects are files below ``root`` (written to ``.tmp`` and renamed into place on commit)."""

    kind = "local"

    def __init__(self, root: Path) -> None:
        self.root = root
        self._storage = LocalStorage(root)

    def describe(self) -> str:
        return str(self.root)

    def writer(self, key: str) -> LocalWriter:
        return self._storage.writer(key)

    def read(self, key: str, chunk_size: int = READ_CHUNK_SIZE) -> Iterator[bytes]:
        return self._storage.read(key, chunk_size)

    def size(self, key: str) -> int | None:
        path = self._storage._path(key)
        return path.stat().st_size if path.is_file() else None

    def list(self, prefix: str) -> list[str]:
        base = self.root / prefix.rstrip("/") if prefix else self.root
        if not base.exists():
            return []
        candidates = [base] if base.is_file() else base.rglob("*")
        keys = []
        for path in candidates:
            relative = path.relative_to(self.root).as_posix()
            if path.is_file() and not any(part.startswith(".") for part in relative.split("/")):
                keys.append(relative)
        return sorted(k for k in keys if k.startswith(prefix))

    def delete(self, key: str) -> None:
        self._storage.delete(key)

    def delete_prefix(self, prefix: str) -> int:
        keys = self.list(prefix)
        for key in keys:
            self.delete(key)
        # Leave no empty directories behind.
        base = self.root / prefix.rstrip("/")
        if base.is_dir():
            for directory in sorted((p for p in base.rglob("*") if p.is_dir()), reverse=True):
                if not any(directory.iterdir()):
                    directory.rmdir()
            if not any(base.iterdir()):
                base.rmdir()
        return len(keys)


def _missing(error: ClientError) -> bool:
    return str(error.response.get("Error", {}).get("Code", "")) in ("NoSuchKey", "404", "NotFound")


class S3Target:
    """Objects in one bucket below ``prefix``; written with multipart uploads (one part in memory)."""

    kind = "s3"

    def __init__(self, client: S3Client, bucket: str, prefix: str = "") -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix
        self._storage = S3Storage(client, bucket, prefix)

    def describe(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    def writer(self, key: str) -> S3Writer:
        return self._storage.writer(key)

    def read(self, key: str, chunk_size: int = READ_CHUNK_SIZE) -> Iterator[bytes]:
        return self._storage.read(key, chunk_size)

    def size(self, key: str) -> int | None:
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=self.prefix + key)
        except ClientError as error:
            if _missing(error):
                return None
            raise
        return int(head["ContentLength"])

    def list(self, prefix: str) -> list[str]:
        keys: list[str] = []
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + prefix):
            keys.extend(item["Key"][len(self.prefix) :] for item in page.get("Contents", []))
        return sorted(keys)

    def delete(self, key: str) -> None:
        self._storage.delete(key)

    def delete_prefix(self, prefix: str) -> int:
        """Also aborts unfinished multipart uploads below the prefix (what a killed writer leaves)."""
        uploads = self.client.get_paginator("list_multipart_uploads")
        for page in uploads.paginate(Bucket=self.bucket, Prefix=self.prefix + prefix):
            for upload in page.get("Uploads", []):
                self.client.abort_multipart_upload(Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"])
        keys = self.list(prefix)
        for start in range(0, len(keys), 1000):  # DeleteObjects takes at most 1000 keys
            batch = [{"Key": self.prefix + k} for k in keys[start : start + 1000]]
            self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True})  # type: ignore[typeddict-item]
        return len(keys)


_lock = threading.Lock()
_targets: dict[tuple[Any, ...], BackupTarget] = {}


def build_target(settings: Settings) -> BackupTarget:
    """The configured target (one per distinct configuration and process: boto3 clients are costly)."""
    if settings.backup_target == "local":
        return LocalTarget(settings.backup_local_dir)
    identity = (
        settings.backup_s3_endpoint_url,
        settings.backup_s3_region,
        settings.backup_s3_access_key,
        settings.backup_s3_secret_key,
        settings.backup_s3_bucket,
        settings.backup_s3_prefix,
    )
    with _lock:
        if (target := _targets.get(identity)) is not None:
            return target
        import boto3
        from botocore.config import Config

        client = boto3.client(
            "s3",
            endpoint_url=settings.backup_s3_endpoint_url or None,
            region_name=settings.backup_s3_region,
            aws_access_key_id=settings.backup_s3_access_key or None,
            aws_secret_access_key=settings.backup_s3_secret_key or None,
            config=Config(max_pool_connections=64, retries={"max_attempts": 5, "mode": "standard"}),
        )
        try:
            client.head_bucket(Bucket=settings.backup_s3_bucket)
        except ClientError:
            client.create_bucket(Bucket=settings.backup_s3_bucket)
            log.info("backup_bucket_created", bucket=settings.backup_s3_bucket)
        target = S3Target(client, settings.backup_s3_bucket, settings.backup_s3_prefix)
        _targets[identity] = target
        return target
