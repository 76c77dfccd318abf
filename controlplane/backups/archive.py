"""The stored form of a backup and of an export: encrypted objects in the backup target and a manifest.

A backup of tenant T with id B is stored below ``tenants/<T>/backups/<B>/``:

* ``database.zgwenc`` — the database dump (``pg_dump`` custom format, or a SQLite database file), encrypted;
* ``documents-0001.tar.zgwenc`` … — the tenant's document objects as a tar stream (member name = the object's
  key in the content storage), encrypted, a new segment after ``SEGMENT_BYTES``;
* ``manifest.json`` — plain JSON: sizes and SHA-256 of every part (plain and as stored) and of every document,
  runtime version, schema heads, record counts, the wrapped data key; authenticated with an HMAC keyed by the
  data key, so it cannot be changed unnoticed either.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import tarfile
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import structlog

from controlplane.backups import crypto
from controlplane.backups.interfaces import BackupTarget, ObjectNotFound
from tenant_runtime.storage import ContentNotFound, ContentStorage

log = structlog.get_logger(__name__)

MANIFEST = "manifest.json"
DATABASE_OBJECT = "database.zgwenc"
SEGMENT_BYTES = 8 * 1024**3
IN_MEMORY_LIMIT = 4 * 1024 * 1024  # documents up to this size are prefetched into memory, larger ones spooled
FORMAT_NAME = "zgw-cloud-backup"
FORMAT_VERSION = 1


class BackupCorrupt(Exception):
    """A stored part does not match its manifest (changed, truncated or missing): nothing may be restored."""


@dataclass(frozen=True)
class Document:
    key: str
    size: int | None  # as recorded in the database (None: unknown)
    sha256: str  # as recorded in the database ("" unknown)


@dataclass(frozen=True)
class StoredPart:
    object: str
    size: int  # plain bytes
    sha256: str  # of the plain bytes
    stored_size: int
    stored_sha256: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "object": self.object,
            "size": self.size,
            "sha256": self.sha256,
            "stored_size": self.stored_size,
            "stored_sha256": self.stored_sha256,
        }


def _mac_key(data_key: bytes) -> bytes:
    return hmac.new(data_key, b"zgwcloud-manifest-mac", hashlib.sha256).digest()


def _canonical(document: dict[str, Any]) -> bytes:
    return json.dumps({k: v for k, v in document.items() if k != "mac"}, sort_keys=True, separators=(",", ":")).encode()


def seal_manifest(document: dict[str, Any], data_key: bytes) -> dict[str, Any]:
    return {**document, "mac": hmac.new(_mac_key(data_key), _canonical(document), hashlib.sha256).hexdigest()}


def check_manifest(document: dict[str, Any], data_key: bytes) -> None:
    expected = hmac.new(_mac_key(data_key), _canonical(document), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, str(document.get("mac", ""))):
        raise BackupCorrupt("the manifest was changed (its MAC does not match)")


def encrypt_file(target: BackupTarget, key: str, source: Path, data_key: bytes, chunk_size: int) -> StoredPart:
    """Encrypt a local file into the target object ``key`` (streamed)."""
    writer = target.writer(key)
    try:
        encrypting = crypto.EncryptingWriter(writer, data_key, chunk_size)
        with source.open("rb") as handle:
            while chunk := handle.read(chunk_size):
                encrypting.write(chunk)
        encrypting.close()
        stored = writer.commit()
    except BaseException:
        writer.abort()
        raise
    return StoredPart(key.rsplit("/", 1)[-1], encrypting.size, encrypting.sha256, stored.size, stored.sha256)


def decrypt_to_file(target: BackupTarget, key: str, destination: Path, data_key: bytes, part: dict[str, Any]) -> None:
    """Decrypt a target object into a local file and check its size and SHA-256 against the manifest."""
    digest, size = hashlib.sha256(), 0
    partial = destination.with_name(destination.name + ".partial")
    destination.parent.mkdir(parents=True, exist_ok=True)
    try:
        with partial.open("wb") as out:
            for chunk in crypto.decrypt(target.read(key), data_key):
                out.write(chunk)
                digest.update(chunk)
                size += len(chunk)
    except (crypto.DecryptionError, ObjectNotFound) as exc:
        partial.unlink(missing_ok=True)
        raise BackupCorrupt(f"{key}: {exc}") from None
    if size != part["size"] or digest.hexdigest() != part["sha256"]:
        partial.unlink(missing_ok=True)
        raise BackupCorrupt(f"{key}: the decrypted content does not match the manifest")
    partial.replace(destination)


class _TarSource(io.RawIOBase):
    """A file object over an iterator of chunks (what ``tarfile.addfile`` reads a member from)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._pending = chunk
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


@dataclass
class _Fetched:
    document: Document
    data: bytes | None = None  # small documents
    spool: Path | None = None  # large documents
    size: int = 0
    sha256: str = ""
    missing: bool = False


def _fetch(storage: ContentStorage, document: Document, spool_dir: Path, chunk_size: int) -> _Fetched:
    digest = hashlib.sha256()
    size = 0
    try:
        chunks = storage.read(document.key, chunk_size)
        if document.size is not None and document.size <= IN_MEMORY_LIMIT:
            buffer = bytearray()
            for chunk in chunks:
                buffer += chunk
            digest.update(buffer)
            return _Fetched(document, data=bytes(buffer), size=len(buffer), sha256=digest.hexdigest())
        spool = spool_dir / hashlib.sha256(document.key.encode()).hexdigest()
        with spool.open("wb") as out:
            for chunk in chunks:
                out.write(chunk)
                digest.update(chunk)
                size += len(chunk)
        return _Fetched(document, spool=spool, size=size, sha256=digest.hexdigest())
    except ContentNotFound:
        return _Fetched(document, missing=True)


class SegmentWriter:
    """Writes documents as tar members into encrypted segments of the target."""

    def __init__(self, target: BackupTarget, prefix: str, data_key: bytes, chunk_size: int) -> None:
        self._target, self._prefix, self._key, self._chunk_size = target, prefix, data_key, chunk_size
        self.parts: list[dict[str, Any]] = []
        self._writer: Any = None
        self._encrypting: crypto.EncryptingWriter | None = None
        self._tar: tarfile.TarFile | None = None
        self._count = 0

    def _open(self) -> None:
        name = f"documents-{len(self.parts) + 1:04d}.tar.zgwenc"
        self._writer = self._target.writer(self._prefix + name)
        self._encrypting = crypto.EncryptingWriter(self._writer, self._key, self._chunk_size)
        self._tar = tarfile.open(fileobj=self._encrypting, mode="w|", format=tarfile.PAX_FORMAT)  # type: ignore[call-overload]  # noqa: SIM115
        self._count = 0
        self.parts.append({"object": name})

    def add(self, name: str, size: int, source: io.RawIOBase | io.BufferedIOBase) -> int:
        """Add one member; returns the segment number (1-based) it went into."""
        if self._tar is None or (self._encrypting is not None and self._encrypting.size >= SEGMENT_BYTES):
            self.close_segment()
            self._open()
        assert self._tar is not None
        info = tarfile.TarInfo(name)
        info.size, info.mode, info.mtime = size, 0o600, 0
        self._tar.addfile(info, source)
        self._count += 1
        return len(self.parts)

    def close_segment(self) -> None:
        if self._tar is None:
            return
        assert self._encrypting is not None
        self._tar.close()
        self._encrypting.close()
        stored = self._writer.commit()
        self.parts[-1].update(
            size=self._encrypting.size,
            sha256=self._encrypting.sha256,
            stored_size=stored.size,
            stored_sha256=stored.sha256,
            count=self._count,
        )
        self._tar = self._encrypting = self._writer = None

    def finish(self) -> list[dict[str, Any]]:
        self.close_segment()
        return self.parts

    def abort(self) -> None:
        if self._writer is not None:
            self._writer.abort()
        self._tar = self._encrypting = self._writer = None


class TarMembers:
    """Adds documents as ``<prefix><key>`` members to an open tar stream (an export: one archive)."""

    def __init__(self, tar: tarfile.TarFile, prefix: str, mtime: int) -> None:
        self._tar, self._prefix, self._mtime = tar, prefix, mtime

    def add(self, name: str, size: int, source: io.RawIOBase | io.BufferedIOBase) -> int:
        info = tarfile.TarInfo(self._prefix + name)
        info.size, info.mode, info.mtime = size, 0o600, self._mtime
        self._tar.addfile(info, source)
        return 1

    def finish(self) -> list[dict[str, Any]]:
        return []


class DocumentSink(Protocol):
    def add(self, name: str, size: int, source: io.RawIOBase | io.BufferedIOBase) -> int: ...

    def finish(self) -> list[dict[str, Any]]: ...


def write_documents(
    storage: ContentStorage,
    documents: list[Document],
    segments: DocumentSink,
    *,
    threads: int,
    spool_dir: Path,
    chunk_size: int,
    still_referenced: Callable[[str], bool],
) -> dict[str, Any]:
    """Copy every document object into the segments (read ``threads`` at a time, written in order).

    A document whose object is gone although the database still references it is listed as ``missing`` (the
    backup keeps what exists); one that was deleted after the snapshot raises ``ContentChanged``."""
    spool_dir.mkdir(parents=True, exist_ok=True)
    items: list[dict[str, Any]] = []
    missing: list[str] = []
    mismatched: list[str] = []
    total = 0
    window = max(2, threads * 2)
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="backup-read") as pool:
        pending: list[Future[_Fetched]] = []
        queue = iter(documents)

        def refill() -> None:
            while len(pending) < window and (document := next(queue, None)) is not None:
                pending.append(pool.submit(_fetch, storage, document, spool_dir, chunk_size))

        refill()
        try:
            while pending:
                fetched = pending.pop(0).result()
                refill()
                document = fetched.document
                if fetched.missing:
                    if not still_referenced(document.key):
                        raise ContentChanged(f"document object {document.key} was deleted during the backup")
                    log.warning("backup_document_missing", key=document.key)
                    missing.append(document.key)
                    continue
                if document.sha256 and document.sha256 != fetched.sha256:
                    log.warning("backup_document_checksum_differs", key=document.key)
                    mismatched.append(document.key)
                if fetched.data is not None:
                    segment = segments.add(document.key, fetched.size, io.BytesIO(fetched.data))
                else:
                    assert fetched.spool is not None
                    with fetched.spool.open("rb") as handle:
                        segment = segments.add(document.key, fetched.size, handle)
                    fetched.spool.unlink(missing_ok=True)
                items.append({"key": document.key, "size": fetched.size, "sha256": fetched.sha256, "segment": segment})
                total += fetched.size
        finally:
            for future in pending:
                future.cancel()
    parts = segments.finish()
    return {
        "count": len(items),
        "bytes": total,
        "segments": parts,
        "items": items,
        "missing": missing,
        "checksum_differs": mismatched,
    }


class ContentChanged(Exception):
    """The tenant's content changed under the backup (a document deleted after the snapshot): take it again."""


def verify_objects(target: BackupTarget, prefix: str, manifest: dict[str, Any]) -> None:
    """Stream every stored part and compare its size and SHA-256 with the manifest; raises ``BackupCorrupt``."""
    parts = [manifest["database"], *manifest["documents"]["segments"]]
    for part in parts:
        key = prefix + part["object"]
        digest, size = hashlib.sha256(), 0
        try:
            for chunk in target.read(key):
                digest.update(chunk)
                size += len(chunk)
        except ObjectNotFound:
            raise BackupCorrupt(f"{part['object']} is missing from the backup target") from None
        if size != part["stored_size"] or digest.hexdigest() != part["stored_sha256"]:
            raise BackupCorrupt(
                f"{part['object']}: SHA-256 {digest.hexdigest()[:16]}… ({size} bytes) does not match the manifest "
                f"({part['stored_sha256'][:16]}…, {part['stored_size']} bytes)"
            )


def read_manifest(target: BackupTarget, prefix: str) -> dict[str, Any]:
    try:
        raw = b"".join(target.read(prefix + MANIFEST))
    except ObjectNotFound:
        raise BackupCorrupt("the manifest is missing from the backup target") from None
    try:
        document = json.loads(raw)
    except ValueError:
        raise BackupCorrupt("the manifest is not valid JSON") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT_NAME:
        raise BackupCorrupt("the manifest is not a zgw-cloud backup manifest")
    return document


def write_manifest(target: BackupTarget, prefix: str, document: dict[str, Any]) -> int:
    raw = json.dumps(document, indent=1, sort_keys=True).encode()
    writer = target.writer(prefix + MANIFEST)
    try:
        writer.write(raw)
        writer.commit()
    except BaseException:
        writer.abort()
        raise
    return len(raw)


def iter_documents(
    target: BackupTarget, prefix: str, manifest: dict[str, Any], data_key: bytes
) -> Iterator[tuple[tarfile.TarInfo, tarfile.TarFile]]:
    """Every document member of the backup's segments, in order (decrypted and authenticated as read)."""
    for part in manifest["documents"]["segments"]:
        plain = crypto.PlainReader(crypto.decrypt(target.read(prefix + part["object"]), data_key))
        with tarfile.open(fileobj=plain, mode="r|") as archive:  # type: ignore[call-overload]
            for member in archive:
                if member.isfile():
                    yield member, archive


def summary(manifest: dict[str, Any]) -> dict[str, Any]:
    """The manifest without its per-document list (what the control-plane database keeps)."""
    documents = {k: v for k, v in manifest["documents"].items() if k != "items"}
    return {**{k: v for k, v in manifest.items() if k != "documents"}, "documents": documents}
