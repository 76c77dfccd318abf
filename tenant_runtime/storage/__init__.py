"""Content storage of the Documenten API: one ``ContentStorage`` per tenant, backend chosen by settings."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from tenant_runtime.config import RuntimeSettings
from tenant_runtime.logging import get_logger
from tenant_runtime.storage.interfaces import (
    ContentCorrupt,
    ContentNotFound,
    ContentStorage,
    ContentWriter,
    PendingUpload,
    StoredContent,
    StoredObject,
    StoredPart,
)
from tenant_runtime.storage.local import LocalStorage

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

__all__ = [
    "ContentCorrupt",
    "ContentNotFound",
    "ContentStorage",
    "ContentWriter",
    "PendingUpload",
    "StoredContent",
    "StoredObject",
    "StoredPart",
    "storage_for",
]

log = get_logger(__name__)

_lock = threading.Lock()
# One boto3 client per settings object (creating one costs tens of milliseconds); settings are kept alive
# alongside so their id() is never reused while cached.
_s3_clients: dict[int, tuple[RuntimeSettings, Any]] = {}
_known_buckets: set[tuple[int, str]] = set()


def s3_client(settings: RuntimeSettings) -> S3Client:
    import boto3
    from botocore.config import Config

    with _lock:
        cached = _s3_clients.get(id(settings))
        if cached is not None:
            return cached[1]  # type: ignore[no-any-return]
        client = boto3.client(
            "s3",
            endpoint_url=settings.storage_s3_endpoint_url or None,
            region_name=settings.storage_s3_region,
            aws_access_key_id=settings.storage_s3_access_key or None,
            aws_secret_access_key=settings.storage_s3_secret_key or None,
            config=Config(max_pool_connections=32, retries={"max_attempts": 5, "mode": "standard"}),
        )
        _s3_clients[id(settings)] = (settings, client)
        return client


def _ensure_bucket(settings: RuntimeSettings, client: S3Client, bucket: str) -> None:
    from botocore.exceptions import ClientError

    key = (id(settings), bucket)
    if key in _known_buckets:
        return
    try:
        client.head_bucket(Bucket=bucket)
    except ClientError:
        client.create_bucket(Bucket=bucket)
        log.info("storage_bucket_created", bucket=bucket)
    _known_buckets.add(key)


def storage_for(settings: RuntimeSettings, tenant_slug: str) -> ContentStorage:
    """The content storage of one tenant: its own directory, bucket or prefix."""
    if settings.storage_backend == "s3":
        from tenant_runtime.storage.s3 import S3Storage

        client = s3_client(settings)
        if settings.storage_s3_bucket_per_tenant:
            bucket = f"{settings.storage_s3_bucket}-{tenant_slug}"
            _ensure_bucket(settings, client, bucket)
            return S3Storage(client, bucket)
        _ensure_bucket(settings, client, settings.storage_s3_bucket)
        return S3Storage(client, settings.storage_s3_bucket, prefix=f"tenants/{tenant_slug}/")
    root = settings.storage_local_dir or settings.data_dir / "documenten"
    return LocalStorage(root / tenant_slug)
