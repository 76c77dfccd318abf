"""Routes of ``/statussen`` and ``/resultaten``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, Response

from tenant_runtime.core.deps import ResolverDep, SessionDep, UrlsDep
from tenant_runtime.zaken.models import Resultaat, Status
from tenant_runtime.zaken.routes.common import created, detail, page, readable_one
from tenant_runtime.zaken.routes.deps import Ctx, Reader, StatusCreator, Updater
from tenant_runtime.zaken.schemas.status import ResultaatData, StatusData, serialize_resultaat
from tenant_runtime.zaken.services import resultaten, statussen
from tenant_runtime.zaken.services.common import get_or_404

router = APIRouter(tags=["statussen", "resultaten"])


@router.get("/statussen", response_model=None)
def status_list(request: Request, session: SessionDep, urls: UrlsDep, client: Reader) -> dict[str, Any]:
    query = statussen.list_query(session, client, urls, dict(request.query_params))
    return page(session, request, urls, query, lambda rows: statussen.serialize_statussen(session, urls, rows))


@router.post("/statussen", status_code=201, response_model=None)
def status_create(
    data: StatusData, session: SessionDep, urls: UrlsDep, resolver: ResolverDep, _: StatusCreator, ctx: Ctx
) -> JSONResponse:
    status = statussen.create_status(session, ctx, resolver, data)
    return created(statussen.serialize_statussen(session, urls, [status])[0])


@router.api_route("/statussen/{uuid}", methods=["GET", "HEAD"], response_model=None)
def status_read(uuid: str, request: Request, session: SessionDep, urls: UrlsDep, client: Reader) -> Response:
    status = readable_one(session, client, urls, Status, uuid)
    return detail(request, statussen.serialize_statussen(session, urls, [status])[0])


@router.get("/resultaten", response_model=None)
def resultaat_list(request: Request, session: SessionDep, urls: UrlsDep, client: Reader) -> dict[str, Any]:
    query = resultaten.list_query(session, client, urls, dict(request.query_params))
    return page(session, request, urls, query, lambda rows: [serialize_resultaat(urls, r) for r in rows])


@router.post("/resultaten", status_code=201, response_model=None)
def resultaat_create(
    data: ResultaatData, session: SessionDep, urls: UrlsDep, resolver: ResolverDep, _: Updater, ctx: Ctx
) -> JSONResponse:
    return created(serialize_resultaat(urls, resultaten.create_resultaat(session, ctx, resolver, data)))


@router.api_route("/resultaten/{uuid}", methods=["GET", "HEAD"], response_model=None)
def resultaat_read(uuid: str, request: Request, session: SessionDep, urls: UrlsDep, client: Reader) -> Response:
    return detail(request, serialize_resultaat(urls, readable_one(session, client, urls, Resultaat, uuid)))


@router.put("/resultaten/{uuid}", response_model=None)
def resultaat_update(
    uuid: str, data: ResultaatData, session: SessionDep, urls: UrlsDep, resolver: ResolverDep, _: Updater, ctx: Ctx
) -> dict[str, Any]:
    resultaat = resultaten.update_resultaat(session, ctx, resolver, get_or_404(session, Resultaat, uuid), data, False)
    return serialize_resultaat(urls, resultaat)


@router.patch("/resultaten/{uuid}", response_model=None)
def resultaat_partial_update(
    uuid: str, data: ResultaatData, session: SessionDep, urls: UrlsDep, resolver: ResolverDep, _: Updater, ctx: Ctx
) -> dict[str, Any]:
    resultaat = resultaten.update_resultaat(session, ctx, resolver, get_or_404(session, Resultaat, uuid), data, True)
    return serialize_resultaat(urls, resultaat)


@router.delete("/resultaten/{uuid}", status_code=204, response_model=None)
def resultaat_delete(uuid: str, session: SessionDep, _: Updater, ctx: Ctx) -> Response:
    resultaten.delete_resultaat(session, ctx, get_or_404(session, Resultaat, uuid))
    return Response(status_code=204)
