"""HTTP details of the Zaken API: CRS negotiation (``Accept-Crs``/``Content-Crs``), ETags with ``If-None-Match``
and the ``X-Audit-Toelichting`` header."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tenant_runtime.core.problems import Problem

CRS = "EPSG:4326"
CRS_HEADERS = {"Content-Crs": CRS}
_BODY_METHODS = ("POST", "PUT", "PATCH")


def negotiate_crs(request: Request) -> None:
    """The geometry-bearing zaak operations demand the CRS headers: only WGS84 (EPSG:4326) is supported.

    A missing header is a failed precondition (412), an unsupported CRS is not acceptable (406)."""
    if request.method in _BODY_METHODS:
        content_crs = request.headers.get("content-crs")
        if content_crs is None:
            raise Problem(412, "'Content-Crs' header ontbreekt", code="precondition_failed")
        if content_crs.strip() != CRS:
            raise Problem(406, f"CRS '{content_crs}' is niet ondersteund", code="not_acceptable")
    accept_crs = request.headers.get("accept-crs")
    if accept_crs is None:
        raise Problem(412, "'Accept-Crs' header ontbreekt", code="precondition_failed")
    if accept_crs.strip() != CRS:
        raise Problem(406, f"CRS '{accept_crs}' is niet ondersteund", code="not_acceptable")


def etag_of(body: dict[str, Any]) -> str:
    """A strong ETag over the JSON representation (URLs included, so other hosts give other tags)."""
    rendered = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return '"' + hashlib.md5(rendered.encode(), usedforsecurity=False).hexdigest() + '"'


def _matches(if_none_match: str, etag: str) -> bool:
    candidates = [c.strip() for c in if_none_match.split(",")]
    return "*" in candidates or any(c.removeprefix("W/") == etag for c in candidates)


def cached_response(request: Request, body: dict[str, Any], extra_headers: dict[str, str] | None = None) -> Response:
    """200 with an ``ETag``, 304 when ``If-None-Match`` names it, headers only for HEAD."""
    etag = etag_of(body)
    headers = {"ETag": etag, **(extra_headers or {})}
    if_none_match = request.headers.get("if-none-match")
    if if_none_match and _matches(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    if request.method == "HEAD":
        return Response(status_code=200, headers=headers, media_type="application/json")
    return JSONResponse(body, headers=headers)


def audit_toelichting(request: Request) -> str:
    return request.headers.get("x-audit-toelichting", "")[:1000]
