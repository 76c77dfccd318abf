"""Catalogussen: list, create, retrieve and headers (no changes or deletion in the standard)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from starlette.responses import JSONResponse, Response

from tenant_runtime.catalogi import serializers
from tenant_runtime.catalogi.models import Catalogus
from tenant_runtime.catalogi.routes.common import JsonBody, ServicesDep, detail_response, read_scope, write_scope
from tenant_runtime.catalogi.schemas import CatalogusIn, check_query, parse
from tenant_runtime.catalogi.services import catalogus as service
from tenant_runtime.catalogi.services.common import get_or_404
from tenant_runtime.core.auth import Client
from tenant_runtime.core.pagination import paginate

router = APIRouter()
Reader = Annotated[Client, Depends(read_scope)]
Writer = Annotated[Client, Depends(write_scope)]
FILTERS = ("domein", "domein__in", "rsin", "rsin__in")


@router.get("/catalogussen", response_model=None)
def catalogus_list(request: Request, services: ServicesDep, _: Reader) -> dict[str, Any]:
    params = {name: request.query_params.get(name) for name in FILTERS}
    check_query(params)
    query = service.list_query(params)
    out = services.out()
    return paginate(
        services.session,
        query,
        request,
        services.urls.base_url,
        lambda rows: [serializers.catalogus(out, row) for row in rows],
    )


@router.post("/catalogussen", status_code=201, response_model=None)
def catalogus_create(body: JsonBody, services: ServicesDep, client: Writer) -> JSONResponse:
    catalogus = service.create(services.ctx(client), parse(CatalogusIn, body))
    payload = serializers.catalogus(services.out(), catalogus)
    return JSONResponse(payload, status_code=201, headers={"Location": payload["url"]})


@router.get("/catalogussen/{uuid}", response_model=None)
def catalogus_retrieve(uuid: UUID, request: Request, services: ServicesDep, _: Reader) -> Response:
    catalogus = get_or_404(services.session, Catalogus, uuid)
    return detail_response(request, serializers.catalogus(services.out(), catalogus))


@router.head("/catalogussen/{uuid}", response_model=None)
def catalogus_headers(uuid: UUID, request: Request, services: ServicesDep, _: Reader) -> Response:
    catalogus = get_or_404(services.session, Catalogus, uuid)
    return detail_response(request, serializers.catalogus(services.out(), catalogus), head=True)
