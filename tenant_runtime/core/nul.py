"""Refusing NUL characters in query parameters and JSON bodies of every API, before they reach the database.

PostgreSQL text cannot hold U+0000: a filter or a body field with one made the driver raise (a 500). This
middleware answers 400 with ``invalidParams`` (code ``null_characters_not_allowed``) instead. A JSON string can
carry NUL only escaped (``\\u0000``), so a body without that byte sequence passes after one substring search;
only a body with it is parsed to check where it occurs. Bodies are checked up to ``MAX_CHECKED_BODY`` bytes (every
resource's metadata); a larger one, such as a document with base64 ``inhoud`` that the Documenten API streams into
the content storage, passes unbuffered to its route.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tenant_runtime.core.problems import InvalidParam, validation_problem

CODE = "null_characters_not_allowed"
REASON = "Tekst mag geen NUL-tekens (\\x00) bevatten."
_ESCAPED_NUL = b"\\u0000"
MAX_CHECKED_BODY = 1024 * 1024


def has_nul(value: Any) -> bool:
    """Whether a JSON value holds a NUL character anywhere, keys included."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_nul(v) for v in value)
    return False


def _nul_query_param(query_string: bytes) -> str | None:
    if b"%00" not in query_string and b"\x00" not in query_string:
        return None
    for name, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
        if "\x00" in name or "\x00" in value:
            return name.replace("\x00", "") or "query"
    return None


def _checked_body(scope: Scope) -> bool:
    """A JSON body of a known size up to MAX_CHECKED_BODY."""
    json_body, length = False, -1
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            json_body = b"json" in value.lower()
        elif name == b"content-length":
            length = int(value) if value.isdigit() else -1
    return json_body and 0 <= length <= MAX_CHECKED_BODY


class NulGuardMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        name = _nul_query_param(scope.get("query_string", b""))
        if name is not None:
            await validation_problem([InvalidParam(name, CODE, REASON)]).response()(scope, receive, send)
            return
        if scope.get("method") not in ("POST", "PUT", "PATCH") or not _checked_body(scope):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        pending: list[Message] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                pending.append(message)  # a disconnect: the app sees it after the body
                break
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        del chunks
        if _ESCAPED_NUL in body:
            try:
                offending = has_nul(json.loads(body))
            except ValueError:
                offending = False  # not JSON: the route's parser answers that
            if offending:
                problem = validation_problem([InvalidParam("nonFieldErrors", CODE, REASON)])
                await problem.response()(scope, receive, send)
                return

        pending.insert(0, {"type": "http.request", "body": body, "more_body": False})

        async def replay() -> Message:
            return pending.pop(0) if pending else await receive()

        await self.app(scope, replay, send)
