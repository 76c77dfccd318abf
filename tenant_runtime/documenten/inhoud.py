"""Reading a document's JSON body without holding its ``inhoud`` in memory.

The standard sends a document's content base64-encoded in the ``inhoud`` string of the JSON body (up to ~3 GB of
content). ``DocumentBodyParser`` is fed the body chunk by chunk: it keeps the (small) metadata as JSON text,
with ``"inhoud": "<base64>"`` replaced by ``"inhoud": null``, and returns the decoded content bytes as they
arrive so they can be written to the content storage straight away. The content part is scanned with
``re``/``binascii`` over whole slices, so throughput is that of C code, not of a per-byte Python loop.
"""

from __future__ import annotations

import binascii
import json
import re
from typing import Any

CONTENT_FIELD = "inhoud"
MAX_METADATA_BYTES = 1024 * 1024

_SPECIAL = re.compile(rb'["\\]')
_WHITESPACE = b" \t\r\n"
_BASE64_ALPHABET = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")


class BodyError(ValueError):
    """The body is not a JSON object, or ``inhoud`` is not valid base64. ``field`` names the culprit."""

    def __init__(self, field: str, code: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.code = code
        self.reason = reason


def _invalid_base64() -> BodyError:
    return BodyError(CONTENT_FIELD, "invalid", "De inhoud is geen geldige base64-gecodeerde tekst.")


class Base64StreamDecoder:
    """Decodes base64 fed in arbitrary pieces (whitespace ignored, padding only at the very end)."""

    def __init__(self) -> None:
        self._pending = b""
        self._padded = False

    def feed(self, text: bytes) -> bytes:
        text = self._pending + text.translate(None, _WHITESPACE)
        usable = len(text) - len(text) % 4
        self._pending = text[usable:]
        if not usable:
            return b""
        if self._padded:
            raise _invalid_base64()
        block = text[:usable]
        try:
            decoded = binascii.a2b_base64(block, strict_mode=True)
        except binascii.Error:
            raise _invalid_base64() from None
        self._padded = block.endswith(b"=")
        return decoded

    def finish(self) -> None:
        if self._pending:
            raise _invalid_base64()


class DocumentBodyParser:
    """Splits a streamed JSON object into its metadata and the decoded content of its ``inhoud`` string."""

    def __init__(self, max_metadata_bytes: int = MAX_METADATA_BYTES) -> None:
        self._max = max_metadata_bytes
        self._meta = bytearray()
        self._depth = 0
        self._started = False
        self._in_string = False
        self._escape = False
        self._expect_key = False
        self._key_start: int | None = None
        self._last_key = ""
        self._after_colon = False
        # Content mode: inside the inhoud string.
        self._in_content = False
        self._content_escape = b""
        self._decoder: Base64StreamDecoder | None = None
        self.content_present = False

    def feed(self, chunk: bytes) -> bytes:
        """Consume the next piece of the body; returns the content bytes decoded from it (possibly empty)."""
        out: list[bytes] = []
        position = 0
        length = len(chunk)
        while position < length:
            if self._in_content:
                position = self._feed_content(chunk, position, out)
            else:
                position = self._feed_metadata(chunk, position)
        return b"".join(out)

    def finish(self) -> dict[str, Any]:
        """The metadata (with ``inhoud`` null when it was streamed); raises ``BodyError`` for a broken body."""
        if self._in_content or self._depth != 0 or not self._started:
            raise BodyError("nonFieldErrors", "parse_error", "De JSON body is onvolledig.")
        try:
            document = json.loads(bytes(self._meta))
        except ValueError as exc:
            raise BodyError("nonFieldErrors", "parse_error", f"Ongeldige JSON: {exc}.") from None
        if not isinstance(document, dict):
            raise BodyError("nonFieldErrors", "invalid", "De body moet een JSON object zijn.")
        return document

    # --- metadata: a small JSON tokenizer that only tracks what is needed to find the top-level key --------

    def _feed_metadata(self, chunk: bytes, position: int) -> int:
        meta = self._meta
        while position < len(chunk):
            c = chunk[position]
            position += 1
            if self._in_string:
                meta.append(c)
                if self._escape:
                    self._escape = False
                elif c == 0x5C:  # backslash
                    self._escape = True
                elif c == 0x22:  # end of string
                    self._in_string = False
                    if self._key_start is not None:
                        try:
                            self._last_key = json.loads(bytes(meta[self._key_start :]))
                        except ValueError:
                            self._last_key = ""
                        self._key_start = None
                        self._expect_key = False
                continue
            if c in _WHITESPACE:
                continue
            if not self._started:
                if c != 0x7B:  # {
                    raise BodyError("nonFieldErrors", "invalid", "De body moet een JSON object zijn.")
                self._started = True
            elif self._depth == 0:
                raise BodyError("nonFieldErrors", "parse_error", "Ongeldige JSON: gegevens na het object.")
            if c == 0x22:  # start of a string
                if self._depth == 1 and self._after_colon and self._last_key == CONTENT_FIELD:
                    if self.content_present:
                        raise BodyError(CONTENT_FIELD, "invalid", "De inhoud is meer dan één keer opgegeven.")
                    self._after_colon = False
                    self._in_content = True
                    self.content_present = True
                    self._decoder = Base64StreamDecoder()
                    meta += b"null"
                    return position
                if self._depth == 1 and self._expect_key:
                    self._key_start = len(meta)
                self._after_colon = False
                self._in_string = True
            elif c in (0x7B, 0x5B):  # { [
                self._depth += 1
                self._after_colon = False
                if self._depth == 1:
                    self._expect_key = True
            elif c in (0x7D, 0x5D):  # } ]
                self._depth -= 1
            elif self._depth == 1 and c == 0x3A:  # :
                self._after_colon = True
                self._expect_key = False
            elif self._depth == 1 and c == 0x2C:  # ,
                self._expect_key = True
                self._after_colon = False
            else:
                self._after_colon = False
            meta.append(c)
            if len(meta) > self._max:
                raise BodyError("nonFieldErrors", "max_length", "De metadata van het document is te groot.")
        return position

    # --- content: bulk slices through the base64 decoder ---------------------------------------------------

    def _feed_content(self, chunk: bytes, position: int, out: list[bytes]) -> int:
        decoder = self._decoder
        assert decoder is not None
        length = len(chunk)
        while position < length:
            if self._content_escape:
                position = self._feed_escape(chunk, position, out)
                continue
            match = _SPECIAL.search(chunk, position)
            end = match.start() if match else length
            if end > position:
                out.append(decoder.feed(chunk[position:end]))
            if match is None:
                return length
            if chunk[end] == 0x22:  # closing quote: the content is complete
                decoder.finish()
                self._in_content = False
                self._decoder = None
                return end + 1
            self._content_escape = b"\\"
            position = end + 1
        return position

    def _feed_escape(self, chunk: bytes, position: int, out: list[bytes]) -> int:
        decoder = self._decoder
        assert decoder is not None
        while position < len(chunk):
            self._content_escape += chunk[position : position + 1]
            position += 1
            escape = self._content_escape
            kind = escape[1:2]
            if kind == b"u":
                if len(escape) < 6:
                    continue
                try:
                    value = int(escape[2:6], 16)
                except ValueError:
                    raise _invalid_base64() from None
                self._content_escape = b""
                if value in _BASE64_ALPHABET:
                    out.append(decoder.feed(bytes([value])))
                elif value not in _WHITESPACE:
                    raise _invalid_base64()
                return position
            self._content_escape = b""
            if kind == b"/":
                out.append(decoder.feed(b"/"))
            elif kind not in (b"n", b"r", b"t"):
                raise _invalid_base64()
            return position
        return position
