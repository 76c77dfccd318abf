"""Envelope encryption of backups: a per-tenant data key wrapped by the platform key, and a streamed
authenticated encryption of every stored object in fixed-size chunks (AES-256-GCM, ``cryptography``).

Stored object = header || record_0 || ... || record_n. The header is ``MAGIC``, a format byte, the chunk size
(4 bytes, big endian) and a random 7-byte nonce prefix. Record i is the AES-GCM encryption of plaintext chunk i
(``chunk_size`` bytes, the last one shorter or empty) with the nonce ``prefix || i (4 bytes) || last (1 byte)``
and the header as associated data. A reordered, dropped, appended or truncated record, or one changed byte,
fails authentication; only one chunk is ever in memory.
"""

from __future__ import annotations

import base64
import hashlib
import os
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"ZGWB"
FORMAT = 1
TAG_SIZE = 16
HEADER = struct.Struct(">4sBI7s")  # magic, format, chunk size, nonce prefix
ALGORITHM = "AES-256-GCM-STREAM"
KEY_WRAP = "AES-256-GCM"


class DecryptionError(Exception):
    """The stored bytes are not what was written (corrupted, truncated, or another key)."""


def key_id(key: bytes) -> str:
    """A short public name of a key (the platform key that wrapped a data key), never the key itself."""
    return hashlib.sha256(b"zgwcloud-key-id:" + key).hexdigest()[:16]


@dataclass(frozen=True)
class WrappedKey:
    wrapped: str  # urlsafe base64 of nonce || ciphertext || tag
    platform_key_id: str


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def wrap(data_key: bytes, platform_key: bytes, context: str) -> WrappedKey:
    """Encrypt a data key with the platform key; ``context`` (the tenant id) is bound as associated data."""
    nonce = os.urandom(12)
    sealed = AESGCM(platform_key).encrypt(nonce, data_key, b"zgwcloud-data-key:" + context.encode())
    return WrappedKey(base64.urlsafe_b64encode(nonce + sealed).decode(), key_id(platform_key))


def unwrap(wrapped: WrappedKey, platform_keys: Iterable[bytes], context: str) -> bytes:
    """The data key, unwrapped with whichever platform key (current or earlier) wrapped it."""
    raw = base64.urlsafe_b64decode(wrapped.wrapped.encode())
    for key in platform_keys:
        if key_id(key) != wrapped.platform_key_id:
            continue
        try:
            return AESGCM(key).decrypt(raw[:12], raw[12:], b"zgwcloud-data-key:" + context.encode())
        except InvalidTag:
            raise DecryptionError("the data key does not unwrap with the platform key (tampered)") from None
    raise DecryptionError(f"platform key {wrapped.platform_key_id} is not configured (ZGW_BACKUP_PLATFORM_KEY)")


def encrypted_size(plain_size: int, chunk_size: int) -> int:
    records = max(1, -(-plain_size // chunk_size))
    return HEADER.size + plain_size + records * TAG_SIZE


class Sink(Protocol):
    def write(self, data: bytes) -> None: ...


def _nonce(prefix: bytes, index: int, last: bool) -> bytes:
    return prefix + struct.pack(">IB", index, 1 if last else 0)


class EncryptingWriter:
    """Encrypts what is written to it chunk by chunk into ``sink``; ``close()`` writes the final record.
    Also counts and hashes the plaintext (``size``, ``sha256``)."""

    def __init__(self, sink: Sink, key: bytes, chunk_size: int) -> None:
        self._sink = sink
        self._aead = AESGCM(key)
        self._chunk_size = chunk_size
        self._prefix = os.urandom(7)
        self._header = HEADER.pack(MAGIC, FORMAT, chunk_size, self._prefix)
        self._buffer = bytearray()
        self._index = 0
        self._hash = hashlib.sha256()
        self.size = 0
        self._closed = False
        sink.write(self._header)

    def write(self, data: bytes | bytearray | memoryview) -> int:
        assert not self._closed, "writer is closed"
        self._hash.update(data)
        self.size += len(data)
        self._buffer += data
        # Keep at least one byte back: the last record is only known at close().
        while len(self._buffer) > self._chunk_size:
            self._seal(bytes(self._buffer[: self._chunk_size]), last=False)
            del self._buffer[: self._chunk_size]
        return len(data)

    def _seal(self, chunk: bytes, *, last: bool) -> None:
        if self._index >= 0xFFFFFFFF:
            raise ValueError("too many chunks for one stream")
        self._sink.write(self._aead.encrypt(_nonce(self._prefix, self._index, last), chunk, self._header))
        self._index += 1

    def close(self) -> None:
        if not self._closed:
            self._seal(bytes(self._buffer), last=True)
            self._buffer.clear()
            self._closed = True

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()


class _Reblock:
    """Turns chunks of any size into reads of exact sizes."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buffer = bytearray()

    def read(self, size: int) -> bytes:
        while len(self._buffer) < size:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._buffer += chunk
        out = bytes(self._buffer[:size])
        del self._buffer[:size]
        return out


def decrypt(chunks: Iterator[bytes], key: bytes) -> Iterator[bytes]:
    """The plaintext of a stored object, chunk by chunk; raises ``DecryptionError`` at the first bad record
    (so a consumer may already have seen earlier, authentic chunks — verify first where that matters)."""
    source = _Reblock(chunks)
    header = source.read(HEADER.size)
    if len(header) != HEADER.size:
        raise DecryptionError("stored object is shorter than its header")
    magic, fmt, chunk_size, prefix = HEADER.unpack(header)
    if magic != MAGIC or fmt != FORMAT:
        raise DecryptionError("not a zgw-cloud encrypted object (wrong header)")
    aead = AESGCM(key)
    record_size = chunk_size + TAG_SIZE
    index = 0
    current = source.read(record_size)
    while True:
        following = source.read(record_size) if len(current) == record_size else b""
        last = not following
        if len(current) < TAG_SIZE:
            raise DecryptionError("stored object is truncated")
        try:
            plain = aead.decrypt(_nonce(prefix, index, last), current, header)
        except InvalidTag:
            raise DecryptionError(f"chunk {index} does not authenticate (corrupted or truncated)") from None
        if plain:
            yield plain
        if last:
            return
        current, index = following, index + 1


class PlainReader:
    """A read-only file object over the decrypted plaintext (for ``tarfile`` in stream mode)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._source = _Reblock(chunks)

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            parts = []
            while piece := self._source.read(1 << 20):
                parts.append(piece)
            return b"".join(parts)
        return self._source.read(size)
