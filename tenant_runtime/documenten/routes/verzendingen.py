"""Routes of ``/verzendingen``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import JSONResponse, Response

from tenant_runtime.core.deps import SessionDep, UrlsDep
from tenant_runtime.core.pagination import paginate
from tenant_runtime.core.problems import InvalidParam, validation_problem
from tenant_runtime.documenten import expand, filters
from tenant_runtime.documenten.models import Verzending
from tenant_runtime.documenten.routes.common import (
    Creator,
    Deleter,
    ExpanderDep,
    Reader,
    Updater,
    etag_response,
    local_uuid,
    only_params,
    url_param,
    write_context,
)
from tenant_runtime.documenten.schemas.verzendingen import VerzendingFields, VerzendingPatch, serialize_verzending
from tenant_runtime.documenten.scopes import SCOPE_DOCUMENTEN_LEZEN
from tenant_runtime.documenten.services import access
from tenant_runtime.documenten.services import verzendingen as service
from tenant_runtime.documenten.services.context import WriteContext

PATH = "/verzendingen"
router = APIRouter(tags=["verzendingen"])


@router.get(PATH, response_model=None)
def verzending_list(
    request: Request, session: SessionDep, urls: UrlsDep, client: Reader, expander: ExpanderDep
) -> dict[str, Any]:
    only_params(request, ("aardRelatie", "informatieobject", "betrokkene", "expand", "page"))
    paths = expand.parse(request.query_params.get("expand"), expand.RELATED_PATHS, detail=False)
    query = service.list_query(client, urls)
    if (aard := request.query_params.get("aardRelatie")) is not None:
        if aard not in ("afzender", "geadresseerde"):
            raise validation_problem([InvalidParam("aardRelatie", "invalid_choice", "Ongeldige keuze.")])
        query = query.where(Verzending.aard_relatie == aard)
    if (url := url_param(request, "informatieobject")) is not None:
        document_uuid = local_uuid(urls, url, "documenten", "enkelvoudiginformatieobjecten")
        query = filters.informatieobject(query, Verzending.informatieobject_id, document_uuid)
    if (betrokkene := url_param(request, "betrokkene")) is not None:
        query = query.where(Verzending.betrokkene == betrokkene)
    return paginate(
        session,
        query,
        request,
        urls.base_url,
        lambda rows: [expander.related(serialize_verzending(urls, v), v.informatieobject, paths) for v in rows],
    )


@router.post(PATH, status_code=201, response_model=None)
def verzending_create(
    data: VerzendingFields, session: SessionDep, _: Creator, ctx: WriteContext = Depends(write_context)
) -> JSONResponse:
    verzending = service.create(session, ctx, data)
    body = serialize_verzending(ctx.urls, verzending)
    return JSONResponse(body, status_code=201, headers={"Location": body["url"]})


@router.api_route(f"{PATH}/{{uuid}}", methods=["GET", "HEAD"], response_model=None)
def verzending_read(
    request: Request, uuid: str, session: SessionDep, urls: UrlsDep, client: Reader, expander: ExpanderDep
) -> Response:
    only_params(request, ("expand",))
    verzending = service.get(session, uuid)
    access.require(client, [SCOPE_DOCUMENTEN_LEZEN], urls, verzending.informatieobject)
    paths = expand.parse(request.query_params.get("expand"), expand.RELATED_PATHS, detail=True)
    body = expander.related(serialize_verzending(urls, verzending), verzending.informatieobject, paths)
    return etag_response(request, body)


@router.put(f"{PATH}/{{uuid}}", response_model=None)
def verzending_update(
    uuid: str, data: VerzendingFields, session: SessionDep, _: Updater, ctx: WriteContext = Depends(write_context)
) -> dict[str, Any]:
    return serialize_verzending(ctx.urls, service.update(session, ctx, service.get(session, uuid), data))


@router.patch(f"{PATH}/{{uuid}}", response_model=None)
def verzending_partial_update(
    uuid: str, data: VerzendingPatch, session: SessionDep, _: Updater, ctx: WriteContext = Depends(write_context)
) -> dict[str, Any]:
    return serialize_verzending(ctx.urls, service.update(session, ctx, service.get(session, uuid), data))


@router.delete(f"{PATH}/{{uuid}}", status_code=204, response_model=None)
def verzending_delete(
    uuid: str, session: SessionDep, _: Deleter, ctx: WriteContext = Depends(write_context)
) -> Response:
    service.delete(session, ctx, service.get(session, uuid))
    return Response(status_code=204)
