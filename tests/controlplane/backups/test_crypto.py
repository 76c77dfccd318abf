"""Envelope encryption and the streamed authenticated encryption of stored backup objects."""

from __future__ import annotations

import io
import os

import pytest

from controlplane.backups import crypto

CHUNK = 1024


def _encrypt(data: bytes, key: bytes, chunk: int = CHUNK) -> bytes:
    out = io.BytesIO()
    writer = crypto.EncryptingWriter(out, key, chunk)
    for start in range(0, len(data), 333):  # writes of any size
        writer.write(data[start : start + 333])
    writer.close()
    assert writer.size == len(data)
    return out.getvalue()


def _decrypt(stored: bytes, key: bytes, piece: int = 500) -> bytes:
    return b"".join(crypto.decrypt(iter(stored[i : i + piece] for i in range(0, len(stored), piece)), key))


@pytest.mark.parametrize("size", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 10 * CHUNK + 7])
def test_round_trip_and_size(size: int) -> None:
    key = crypto.new_data_key()
    data = os.urandom(size)
    stored = _encrypt(data, key)
    assert len(stored) == crypto.encrypted_size(size, CHUNK)
    assert _decrypt(stored, key) == data
    assert data[:32] not in stored or size < 32


def test_any_change_is_detected() -> None:
    key = crypto.new_data_key()
    data = os.urandom(5 * CHUNK + 100)
    stored = _encrypt(data, key)
    record = CHUNK + crypto.TAG_SIZE
    header = crypto.HEADER.size
    cases = {
        "flipped byte": stored[:2000] + bytes([stored[2000] ^ 1]) + stored[2001:],
        "truncated at a record boundary": stored[: header + 2 * record],
        "last record dropped": stored[: header + 5 * record],
        "records swapped": stored[:header] + stored[header + record : header + 2 * record]
        + stored[header : header + record] + stored[header + 2 * record :],
        "appended": stored + stored[header : header + record],
        "header changed": stored[:9] + bytes([stored[9] ^ 1]) + stored[10:],
    }  # fmt: skip
    for name, broken in cases.items():
        with pytest.raises(crypto.DecryptionError):
            _decrypt(broken, key)
        assert name
    with pytest.raises(crypto.DecryptionError):
        _decrypt(stored, crypto.new_data_key())


def test_envelope_wrap_unwrap_and_rotation() -> None:
    old, new = os.urandom(32), os.urandom(32)
    data_key = crypto.new_data_key()
    wrapped = crypto.wrap(data_key, old, "tenant-1")
    assert wrapped.platform_key_id == crypto.key_id(old) and data_key.hex() not in wrapped.wrapped
    assert crypto.unwrap(wrapped, [new, old], "tenant-1") == data_key  # after a rotation: still readable
    with pytest.raises(crypto.DecryptionError, match="not configured"):
        crypto.unwrap(wrapped, [new], "tenant-1")
    with pytest.raises(crypto.DecryptionError, match="tampered"):
        crypto.unwrap(wrapped, [old], "tenant-2")  # bound to its tenant
