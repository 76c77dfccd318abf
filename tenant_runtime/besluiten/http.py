"""HTTP details of the Besluiten API 1.1: ``ETag`` with ``If-None-Match`` and ``HEAD`` on the detail resources,
and the ``X-Audit-Toelichting`` header."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response


def etag_of(body: dict[str, Any]) -> str:
    """A strong ETag over the JSON representation (URLs included, so other hosts give other tags)."""
    rendered = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return '"' + hashlib.md5(rendered.encode(), usedforsecurity=False).hexdigest() + '"'


def _matches(if_none_match: str, etag: str) -> bool:
    candidates = [c.strip() for c in if_none_match.split(",")]
    return "*" in candidates or any(c.removeprefix("W/") == etag for c in candidates)


def cached_response(request: Request, body: dict[str, Any]) -> Response:
    """200 with an ``ETag``; 304 when ``If-None-Match`` names it; headers only for ``HEAD``."""
    etag = etag_of(body)
    headers = {"ETag": etag}
    if_none_match = request.headers.get("if-none-match")
    if if_none_match and _matches(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    if request.method == "HEAD":
        return Response(status_code=200, headers=headers, media_type="application/json")
    return JSONResponse(body, headers=headers)


def audit_toelichting(request: Request) -> str:
    return request.headers.get("x-audit-toelichting", "")
