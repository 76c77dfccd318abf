"""SHA-256 of document content in the layout it was stored, computed while the bytes stream past.

Content written in one go (``ContentWriter``) or assembled by the runtime itself (local parts) carries the plain
SHA-256 of its bytes. Content an object store assembled from bestandsdelen (S3 ``CompleteMultipartUpload``)
carries the *composite* SHA-256 S3 defines for multipart objects: the SHA-256 of the concatenated binary SHA-256
digests of its parts, all ``part_size`` bytes except a shorter last one. The composite follows from the parts'
digests, recorded as each part streamed in, so completing an upload never reads the assembled object back; a
download recomputes either form in one pass (``ContentDigest``).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable


def composite_sha256(part_digests: Iterable[str]) -> str:
    """The composite SHA-256 (hex) of parts with these SHA-256 digests (hex), in part order."""
    outer = hashlib.sha256()
    for digest in part_digests:
        outer.update(bytes.fromhex(digest))
    return outer.hexdigest()


def hex_to_base64(digest: str) -> str:
    """A hex digest in the base64 form S3's ``Checksum*`` headers use."""
    return base64.b64encode(bytes.fromhex(digest)).decode()


def base64_to_hex(value: str) -> str:
    """An S3 checksum value (``<base64>`` or composite ``<base64>-<parts>``) as hex."""
    return base64.b64decode(value.split("-", 1)[0]).hex()


class ContentDigest:
    """A running digest of content: plain SHA-256 (``part_size`` 0) or composite over parts of ``part_size``."""

    def __init__(self, part_size: int = 0) -> None:
        self._part_size = part_size
        self._whole = hashlib.sha256()
        self._part = hashlib.sha256()
        self._in_part = 0
        self.size = 0

    def update(self, data: bytes) -> None:
        self.size += len(data)
        if not self._part_size:
            self._whole.update(data)
            return
        view = memoryview(data)
        while view:
            take = min(len(view), self._part_size - self._in_part)
            self._part.update(view[:take])
            self._in_part += take
            view = view[take:]
            if self._in_part == self._part_size:
                self._close_part()

    def _close_part(self) -> None:
        self._whole.update(self._part.digest())
        self._part = hashlib.sha256()
        self._in_part = 0

    def hexdigest(self) -> str:
        whole = self._whole.copy()
        if self._part_size and self._in_part:  # the last, shorter part
            whole.update(self._part.digest())
        return whole.hexdigest()
