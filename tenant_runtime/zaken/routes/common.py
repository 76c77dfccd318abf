"""Route helpers: detail reads with access check and ETag, paginated and plain lists."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tenant_runtime.core.auth import Client
from tenant_runtime.core.pagination import paginate
from tenant_runtime.core.urls import TenantUrls
from tenant_runtime.zaken.access import require_zaak
from tenant_runtime.zaken.http import cached_response
from tenant_runtime.zaken.scopes import SCOPE_ZAKEN_ALLES_LEZEN
from tenant_runtime.zaken.services.common import get_or_404


def readable_one(session: Session, client: Client, urls: TenantUrls, model: type[Any], uuid: str) -> Any:
    obj = get_or_404(session, model, uuid)
    require_zaak(client, urls, obj.zaak, [SCOPE_ZAKEN_ALLES_LEZEN])
    return obj


def detail(request: Request, body: dict[str, Any], etag: bool = True) -> Response:
    return cached_response(request, body) if etag else JSONResponse(body)


def page(
    session: Session,
    request: Request,
    urls: TenantUrls,
    query: Select[Any],
    serialize: Callable[[Sequence[Any]], list[dict[str, Any]]],
) -> dict[str, Any]:
    return paginate(session, query, request, urls.base_url, serialize)


def created(body: dict[str, Any]) -> JSONResponse:
    return JSONResponse(body, status_code=201, headers={"Location": body["url"]})
