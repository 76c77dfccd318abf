"""What the Documenten API needs from a content storage: streaming writes, reads and multipart uploads.

Content never passes through memory as a whole: writers take chunks, readers yield chunks, parts are handed
over as file objects. Keys are opaque strings chosen by the caller (``<document uuid>/<random>``); a backend
places them below its tenant's own bucket or prefix, so one tenant never sees another's content.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO, Protocol, runtime_checkable

READ_CHUNK_SIZE = 1024 * 1024


class ContentNotFound(Exception):
    """The key does not exist in the storage."""


class ContentCorrupt(Exception):
    """Stored bytes do not match the SHA-256 recorded for them (``parts``: the part numbers; empty: unknown)."""

    def __init__(self, key: str, parts: Sequence[int] = ()) -> None:
        super().__init__(f"Inhoud van {key!r} komt niet overeen met de checksum (delen: {list(parts) or '?'}).")
        self.key = key
        self.parts = tuple(parts)


@dataclass(frozen=True, slots=True)
class StoredContent:
    """Content that is complete in the storage: its size in bytes and SHA-256 (hex).

    ``part_size`` 0: the plain SHA-256 of the bytes; otherwise the composite SHA-256 over parts of ``part_size``
    bytes (``tenant_runtime.storage.checksums``)."""

    size: int
    sha256: str
    part_size: int = 0


@dataclass(frozen=True, slots=True)
class StoredObject:
    """A committed object in a listing: its key, size and when it was written (UTC)."""

    key: str
    size: int
    modified: datetime


@dataclass(frozen=True, slots=True)
class PendingUpload:
    """An unfinished upload (multipart, or a streaming write in progress) and when it last received bytes."""

    key: str
    upload_id: str
    last_activity: datetime


@dataclass(frozen=True, slots=True)
class StoredPart:
    """One uploaded part: what the backend needs to assemble it, its size and its SHA-256 (hex)."""

    number: int
    token: str
    size: int
    sha256: str


@runtime_checkable
class ContentWriter(Protocol):
    """A streaming single upload; nothing is visible under the key before ``commit``."""

    def write(self, data: bytes) -> None: ...

    def commit(self) -> StoredContent: ...

    def abort(self) -> None: ...


@runtime_checkable
class ContentStorage(Protocol):
    """A content store for one tenant."""

    def writer(self, key: str) -> ContentWriter:
        """Start writing ``key`` (replacing nothing: keys are never reused)."""
        ...

    def read(self, key: str, chunk_size: int = READ_CHUNK_SIZE) -> Iterator[bytes]:
        """The content of ``key`` in chunks; raises ``ContentNotFound`` before yielding when it is absent."""
        ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None:
        """Remove ``key``; removing an absent key is not an error."""
        ...

    def start_parts(self, key: str) -> str:
        """Begin a multipart upload of ``key``; returns its upload id."""
        ...

    def put_part(self, key: str, upload_id: str, number: int, data: BinaryIO, size: int) -> StoredPart:
        """Store part ``number`` (1-based) of exactly ``size`` bytes read from ``data``; a re-sent part replaces it.
        Raises ``ContentCorrupt`` when the storage received other bytes than were hashed."""
        ...

    def complete_parts(self, key: str, upload_id: str, parts: Sequence[StoredPart]) -> StoredContent:
        """Assemble the parts (in ``number`` order) into ``key``, checking each against its ``sha256``; raises
        ``ContentCorrupt`` (and leaves the upload open) when stored bytes differ. Never reads the result back."""
        ...

    def abort_parts(self, key: str, upload_id: str) -> None:
        """Drop an unfinished upload and its parts; an unknown upload is not an error."""
        ...

    def list_keys(self) -> Iterator[StoredObject]:
        """Every committed object of this tenant, fetched page by page as the iterator advances."""
        ...

    def list_uploads(self, idle_since: datetime) -> Iterator[PendingUpload]:
        """Unfinished uploads of this tenant that received no bytes since ``idle_since`` (multipart uploads and
        interrupted streaming writes); ``abort_parts(key, upload_id)`` drops one."""
        ...
