"""Content on the local filesystem (the embedded default): one directory per tenant.

Every upload in progress is a directory ``.parts/<upload id>/`` holding a ``key`` file (the key it will be
committed under) and its bytes: ``content`` for a streaming write, ``<number>`` files for a multipart upload.
Commit renames the assembled file into place, so a reader never sees half a file, and removes the directory; an
interrupted upload stays listable (``list_uploads``) until the sweep aborts it.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from tenant_runtime.storage.checksums import ContentDigest
from tenant_runtime.storage.interfaces import (
    READ_CHUNK_SIZE,
    ContentCorrupt,
    ContentNotFound,
    PendingUpload,
    StoredContent,
    StoredObject,
    StoredPart,
)

COPY_CHUNK_SIZE = 1024 * 1024
UPLOADS_DIR = ".parts"
KEY_FILE = "key"
CONTENT_FILE = "content"


def _safe_name(value: str, what: str) -> str:
    parts = value.split("/")
    if not value or value.startswith("/") or any(p in ("", ".", "..") or p.startswith(".") for p in parts):
        raise ValueError(f"Ongeldige {what}: {value!r}")
    return value


def _mtime(path: Path) -> datetime:
    return datetime.fromtimestamp(path.stat().st_mtime, UTC)


class LocalWriter:
    def __init__(self, target: Path, upload_dir: Path, key: str) -> None:
        self._target = target
        self._dir = upload_dir
        upload_dir.mkdir(parents=True)
        (upload_dir / KEY_FILE).write_text(key)
        self._tmp = upload_dir / CONTENT_FILE
        self._file: BinaryIO | None = self._tmp.open("wb")
        self._hash = hashlib.sha256()
        self._size = 0

    def write(self, data: bytes) -> None:
        assert self._file is not None, "writer is closed"
        self._file.write(data)
        self._hash.update(data)
        self._size += len(data)

    def commit(self) -> StoredContent:
        assert self._file is not None, "writer is closed"
        self._file.close()
        self._file = None
        self._target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self._tmp, self._target)
        shutil.rmtree(self._dir, ignore_errors=True)
        return StoredContent(self._size, self._hash.hexdigest())

    def abort(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        shutil.rmtree(self._dir, ignore_errors=True)


class LocalStorage:
    """``ContentStorage`` on a directory (``<root>/<key>``)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / _safe_name(key, "sleutel")

    def _parts_dir(self, upload_id: str) -> Path:
        return self.root / UPLOADS_DIR / _safe_name(upload_id, "upload id")

    def writer(self, key: str) -> LocalWriter:
        return LocalWriter(self._path(key), self._parts_dir(f"w{secrets.token_hex(16)}"), key)

    def read(self, key: str, chunk_size: int = READ_CHUNK_SIZE) -> Iterator[bytes]:
        try:
            handle = self._path(key).open("rb")
        except FileNotFoundError:
            raise ContentNotFound(key) from None
        return self._chunks(handle, chunk_size)

    @staticmethod
    def _chunks(handle: BinaryIO, chunk_size: int) -> Iterator[bytes]:
        with handle:
            while chunk := handle.read(chunk_size):
                yield chunk

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def start_parts(self, key: str) -> str:
        self._path(key)  # validates the key
        upload_id = secrets.token_hex(16)
        directory = self._parts_dir(upload_id)
        directory.mkdir(parents=True)
        (directory / KEY_FILE).write_text(key)
        return upload_id

    def put_part(self, key: str, upload_id: str, number: int, data: BinaryIO, size: int) -> StoredPart:
        self._path(key)  # validates the key
        directory = self._parts_dir(upload_id)
        if not directory.is_dir():
            raise ContentNotFound(upload_id)
        target = directory / f"{number:08d}"
        tmp = directory / f".{number:08d}.{secrets.token_hex(4)}"
        digest = hashlib.sha256()
        written = 0
        with tmp.open("wb") as out:
            while written < size and (chunk := data.read(min(COPY_CHUNK_SIZE, size - written))):
                out.write(chunk)
                digest.update(chunk)
                written += len(chunk)
        if written != size:
            tmp.unlink(missing_ok=True)
            raise ValueError(f"Deel {number}: {written} bytes ontvangen, {size} verwacht.")
        os.replace(tmp, target)
        return StoredPart(number, target.name, size, digest.hexdigest())

    def complete_parts(self, key: str, upload_id: str, parts: Sequence[StoredPart]) -> StoredContent:
        """Copy the parts into ``key`` in one pass, re-hashing each against the digest recorded when it arrived
        (a part file changed on disk since is reported, not assembled); the result carries the plain SHA-256."""
        directory = self._parts_dir(upload_id)
        target = self._path(key)
        tmp = directory / f".{CONTENT_FILE}.{secrets.token_hex(4)}"
        whole = ContentDigest()
        corrupt: list[int] = []
        try:
            with tmp.open("wb") as out:
                for part in sorted(parts, key=lambda p: p.number):
                    digest = hashlib.sha256()
                    size = 0
                    try:
                        source = (directory / _safe_name(part.token, "deel")).open("rb")
                    except FileNotFoundError:
                        corrupt.append(part.number)
                        continue
                    with source:
                        while chunk := source.read(COPY_CHUNK_SIZE):
                            out.write(chunk)
                            digest.update(chunk)
                            whole.update(chunk)
                            size += len(chunk)
                    if size != part.size or digest.hexdigest() != part.sha256:
                        corrupt.append(part.number)
            if corrupt:
                raise ContentCorrupt(key, corrupt)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        shutil.rmtree(directory, ignore_errors=True)
        return StoredContent(whole.size, whole.hexdigest())

    def abort_parts(self, key: str, upload_id: str) -> None:
        if key:
            self._path(key)  # validates the key
        shutil.rmtree(self._parts_dir(upload_id), ignore_errors=True)

    def list_keys(self) -> Iterator[StoredObject]:
        """Files below the root outside the uploads directory, one directory read at a time."""
        if not self.root.is_dir():
            return
        for directory, subdirs, files in os.walk(self.root):
            subdirs[:] = sorted(d for d in subdirs if not d.startswith("."))
            base = Path(directory)
            for name in sorted(files):
                if name.startswith("."):
                    continue
                path = base / name
                try:
                    stat = path.stat()
                except FileNotFoundError:  # deleted meanwhile
                    continue
                key = path.relative_to(self.root).as_posix()
                yield StoredObject(key, stat.st_size, datetime.fromtimestamp(stat.st_mtime, UTC))

    def list_uploads(self, idle_since: datetime) -> Iterator[PendingUpload]:
        """Upload directories whose newest file (or the directory itself) is older than ``idle_since``."""
        uploads = self.root / UPLOADS_DIR
        if not uploads.is_dir():
            return
        for directory in sorted(uploads.iterdir()):
            try:
                if not directory.is_dir() or directory.name.startswith("."):
                    continue
                last = max([_mtime(directory), *(_mtime(p) for p in directory.iterdir())])
                key_file = directory / KEY_FILE
                key = key_file.read_text() if key_file.is_file() else ""
            except FileNotFoundError:  # committed or aborted meanwhile
                continue
            if last < idle_since:
                yield PendingUpload(key, directory.name, last)
