"""Where backups and exports are stored: a ``BackupTarget`` (local directory or S3-compatible bucket).

Objects are written as streams (nothing visible under a key before ``commit``), read as chunks, listed by
prefix and deleted. Keys are ``/``-separated relative names chosen by the backups service.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol, runtime_checkable

from tenant_runtime.storage.interfaces import READ_CHUNK_SIZE, ContentNotFound, ContentWriter, StoredContent

__all__ = ["READ_CHUNK_SIZE", "BackupTarget", "ContentWriter", "ObjectNotFound", "StoredContent"]

ObjectNotFound = ContentNotFound


@runtime_checkable
class BackupTarget(Protocol):
    kind: str

    def describe(self) -> str:
        """Where objects go, for manifests and logs (``s3://bucket/prefix``, a directory); never a secret."""
        ...

    def writer(self, key: str) -> ContentWriter:
        """Stream an object to ``key``; it appears (replacing an earlier one) only on ``commit``."""
        ...

    def read(self, key: str, chunk_size: int = READ_CHUNK_SIZE) -> Iterator[bytes]:
        """The object in chunks; raises ``ObjectNotFound`` before yielding when it is absent."""
        ...

    def size(self, key: str) -> int | None:
        """The object's size in bytes, or None when it does not exist."""
        ...

    def list(self, prefix: str) -> list[str]:
        """Keys of the objects below ``prefix`` (sorted)."""
        ...

    def delete(self, key: str) -> None:
        """Remove ``key``; removing an absent key is not an error."""
        ...

    def delete_prefix(self, prefix: str) -> int:
        """Remove every object below ``prefix``; returns how many."""
        ...
