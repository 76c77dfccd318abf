"""Content on the local filesystem (the embedded default): one directory per tenant.

Writes go to a temporary file in the tenant's directory and are renamed into place on commit, so a reader
never sees half a file. Parts of a multipart upload are files in ``.parts/<upload id>/`` until assembled.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

from tenant_runtime.storage.interfaces import READ_CHUNK_SIZE, ContentNotFound, StoredContent, StoredPart

COPY_CHUNK_SIZE = 1024 * 1024


def _safe_name(value: str, what: str) -> str:
    parts = value.split("/")
    if not value or value.startswith("/") or any(p in ("", ".", "..") or p.startswith(".") for p in parts):
        raise ValueError(f"Ongeldige {what}: {value!r}")
    return value


class LocalWriter:
    def __init__(self, target: Path, tmp_dir: Path) -> None:
        self._target = target
        tmp_dir.mkdir(parents=True, exist_ok=True)
        self._tmp = tmp_dir / f"{secrets.token_hex(16)}.part"
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
        return StoredContent(self._size, self._hash.hexdigest())

    def abort(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        self._tmp.unlink(missing_ok=True)


class LocalStorage:
    """``ContentStorage`` on a directory (``<root>/<key>``)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / _safe_name(key, "sleutel")

    def _parts_dir(self, upload_id: str) -> Path:
        return self.root / ".parts" / _safe_name(upload_id, "upload id")

    def writer(self, key: str) -> LocalWriter:
        return LocalWriter(self._path(key), self.root / ".tmp")

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
        self._parts_dir(upload_id).mkdir(parents=True)
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
        directory = self._parts_dir(upload_id)
        writer = self.writer(key)
        try:
            for part in sorted(parts, key=lambda p: p.number):
                with (directory / _safe_name(part.token, "deel")).open("rb") as source:
                    while chunk := source.read(COPY_CHUNK_SIZE):
                        writer.write(chunk)
        except BaseException:
            writer.abort()
            raise
        stored = writer.commit()
        shutil.rmtree(directory, ignore_errors=True)
        return stored

    def abort_parts(self, key: str, upload_id: str) -> None:
        self._path(key)  # validates the key
        shutil.rmtree(self._parts_dir(upload_id), ignore_errors=True)
