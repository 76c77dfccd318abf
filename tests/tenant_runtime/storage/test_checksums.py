"""The content digests: plain SHA-256 and S3's composite over parts, fed in chunks that straddle part borders."""

from __future__ import annotations

import base64
import hashlib
import os

import pytest

from tenant_runtime.storage.checksums import ContentDigest, base64_to_hex, composite_sha256, hex_to_base64


@pytest.mark.parametrize("chunk", [1, 7, 10, 64, 1000])
def test_composite_over_parts_whatever_the_chunking(chunk: int) -> None:
    data = os.urandom(10 * 3 + 4)  # three full parts of 10 bytes and a short last one
    parts = [data[i : i + 10] for i in range(0, len(data), 10)]
    expected = hashlib.sha256(b"".join(hashlib.sha256(p).digest() for p in parts)).hexdigest()
    digest = ContentDigest(10)
    for start in range(0, len(data), chunk):
        digest.update(data[start : start + chunk])
    assert digest.hexdigest() == expected == composite_sha256(hashlib.sha256(p).hexdigest() for p in parts)
    assert digest.hexdigest() == expected, "reading the digest does not change it"
    assert digest.size == len(data)


def test_exact_multiple_of_the_part_size_and_plain_digest() -> None:
    data = os.urandom(20)
    composite = ContentDigest(10)
    composite.update(data)
    assert composite.hexdigest() == composite_sha256([hashlib.sha256(data[:10]).hexdigest(),
                                                      hashlib.sha256(data[10:]).hexdigest()])  # fmt: skip
    plain = ContentDigest()
    plain.update(data[:3])
    plain.update(data[3:])
    assert plain.hexdigest() == hashlib.sha256(data).hexdigest()


def test_s3_checksum_forms() -> None:
    digest = hashlib.sha256(b"abc").hexdigest()
    encoded = hex_to_base64(digest)
    assert encoded == base64.b64encode(hashlib.sha256(b"abc").digest()).decode()
    assert base64_to_hex(encoded) == digest
    assert base64_to_hex(f"{encoded}-3") == digest  # composite form: "<base64>-<parts>"
