"""Routes of ``/gebruiksrechten``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import JSONResponse, Response

from tenant_runtime.core.deps import SessionDep, UrlsDep
from tenant_runtime.documenten import expand, filters
from tenant_runtime.documenten.models import Gebruiksrechten
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
from tenant_runtime.documenten.schemas.gebruiksrechten import (
    GebruiksrechtenIn,
    GebruiksrechtenPatch,
    serialize_gebruiksrechten,
)
from tenant_runtime.documenten.scopes import SCOPE_DOCUMENTEN_LEZEN
from tenant_runtime.documenten.services import access
from tenant_runtime.documenten.services import gebruiksrechten as service
from tenant_runtime.documenten.services.context import WriteContext

PATH = "/gebruiksrechten"
DATE_FILTERS = [f"{name}__{op}" for name in ("startdatum", "einddatum") for op in ("lt", "lte", "gt", "gte")]
router = APIRouter(tags=["gebruiksrechten"])


@router.get(PATH, response_model=None)
def gebruiksrechten_list(
    request: Request, session: SessionDep, urls: UrlsDep, client: Reader, expander: ExpanderDep
) -> list[dict[str, Any]]:
    only_params(request, ("informatieobject", "expand", *DATE_FILTERS))
    paths = expand.parse(request.query_params.get("expand"), expand.RELATED_PATHS, detail=False)
    query = service.list_query(client, urls)
    if (url := url_param(request, "informatieobject")) is not None:
        document_uuid = local_uuid(urls, url, "documenten", "enkelvoudiginformatieobjecten")
        query = filters.informatieobject(query, Gebruiksrechten.informatieobject_id, document_uuid)
    query = filters.datetime_range(query, Gebruiksrechten.startdatum, "startdatum", request)
    query = filters.datetime_range(query, Gebruiksrechten.einddatum, "einddatum", request)
    return [
        expander.related(serialize_gebruiksrechten(urls, recht), recht.informatieobject, paths)
        for recht in session.scalars(query)
    ]


@router.post(PATH, status_code=201, response_model=None)
def gebruiksrechten_create(
    data: GebruiksrechtenIn, session: SessionDep, _: Creator, ctx: WriteContext = Depends(write_context)
) -> JSONResponse:
    recht = service.create(session, ctx, data)
    body = serialize_gebruiksrechten(ctx.urls, recht)
    return JSONResponse(body, status_code=201, headers={"Location": body["url"]})


@router.api_route(f"{PATH}/{{uuid}}", methods=["GET", "HEAD"], response_model=None)
def gebruiksrechten_read(
    request: Request, uuid: str, session: SessionDep, urls: UrlsDep, client: Reader, expander: ExpanderDep
) -> Response:
    only_params(request, ("expand",))
    recht = service.get(session, uuid)
    access.require(client, [SCOPE_DOCUMENTEN_LEZEN], urls, recht.informatieobject)
    paths = expand.parse(request.query_params.get("expand"), expand.RELATED_PATHS, detail=True)
    body = expander.related(serialize_gebruiksrechten(urls, recht), recht.informatieobject, paths)
    return etag_response(request, body)


@router.put(f"{PATH}/{{uuid}}", response_model=None)
def gebruiksrechten_update(
    uuid: str, data: GebruiksrechtenIn, session: SessionDep, _: Updater, ctx: WriteContext = Depends(write_context)
) -> dict[str, Any]:
    return serialize_gebruiksrechten(ctx.urls, service.update(session, ctx, service.get(session, uuid), data))


@router.patch(f"{PATH}/{{uuid}}", response_model=None)
def gebruiksrechten_partial_update(
    uuid: str, data: GebruiksrechtenPatch, session: SessionDep, _: Updater, ctx: WriteContext = Depends(write_context)
) -> dict[str, Any]:
    return serialize_gebruiksrechten(ctx.urls, service.update(session, ctx, service.get(session, uuid), data))


@router.delete(f"{PATH}/{{uuid}}", status_code=204, response_model=None)
def gebruiksrechten_delete(
    uuid: str, session: SessionDep, _: Deleter, ctx: WriteContext = Depends(write_context)
) -> Response:
    service.delete(session, ctx, service.get(session, uuid))
    return Response(status_code=204)
