"""Routes of ``/objectinformatieobjecten`` (used by the Zaken/Besluiten APIs of other installations)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import JSONResponse, Response

from tenant_runtime.core.deps import SessionDep, UrlsDep
from tenant_runtime.core.problems import Problem
from tenant_runtime.documenten import expand
from tenant_runtime.documenten.routes.common import (
    Creator,
    Deleter,
    ExpanderDep,
    Reader,
    etag_response,
    local_uuid,
    only_params,
    url_param,
    write_context,
)
from tenant_runtime.documenten.schemas.objectinformatieobjecten import ObjectInformatieObjectIn
from tenant_runtime.documenten.scopes import SCOPE_DOCUMENTEN_LEZEN
from tenant_runtime.documenten.services import access, relations
from tenant_runtime.documenten.services.context import WriteContext
from tenant_runtime.documenten.services.enkelvoudiginformatieobjecten import get_document

PATH = "/objectinformatieobjecten"
router = APIRouter(tags=["objectinformatieobjecten"])


@router.get(PATH, response_model=None)
def objectinformatieobject_list(
    request: Request, session: SessionDep, urls: UrlsDep, client: Reader, expander: ExpanderDep
) -> list[dict[str, Any]]:
    only_params(request, ("object", "informatieobject", "expand"))
    paths = expand.parse(request.query_params.get("expand"), expand.RELATED_PATHS, detail=False)
    visible = access.visible_ids(client, [SCOPE_DOCUMENTEN_LEZEN], urls)
    document = None
    no_match = False
    if (url := url_param(request, "informatieobject")) is not None:
        document_uuid = local_uuid(urls, url, "documenten", "enkelvoudiginformatieobjecten")
        try:
            document = get_document(session, str(document_uuid)) if document_uuid else None
        except Problem:  # an unknown document simply has no relations
            document = None
        no_match = document is None
    found = relations.list_relations(
        session, urls, visible, object_url=url_param(request, "object"), document=document, no_match=no_match
    )
    return [
        expander.related(relations.serialize_relation(urls, relation), relation.document, paths) for relation in found
    ]


@router.post(PATH, status_code=201, response_model=None)
def objectinformatieobject_create(
    data: ObjectInformatieObjectIn, session: SessionDep, _: Creator, ctx: WriteContext = Depends(write_context)
) -> JSONResponse:
    relation = relations.create_relation(session, ctx, data.informatieobject, data.object, data.object_type)
    body = relations.serialize_relation(ctx.urls, relation)
    return JSONResponse(body, status_code=201, headers={"Location": body["url"]})


@router.api_route(f"{PATH}/{{uuid}}", methods=["GET", "HEAD"], response_model=None)
def objectinformatieobject_read(
    request: Request, uuid: str, session: SessionDep, urls: UrlsDep, client: Reader, expander: ExpanderDep
) -> Response:
    only_params(request, ("expand",))
    relation = relations.get_relation(session, urls, uuid)
    access.require(client, [SCOPE_DOCUMENTEN_LEZEN], urls, relation.document)
    paths = expand.parse(request.query_params.get("expand"), expand.RELATED_PATHS, detail=True)
    body = expander.related(relations.serialize_relation(urls, relation), relation.document, paths)
    return etag_response(request, body)


@router.delete(f"{PATH}/{{uuid}}", status_code=204, response_model=None)
def objectinformatieobject_delete(
    uuid: str, session: SessionDep, _: Deleter, ctx: WriteContext = Depends(write_context)
) -> Response:
    relations.delete_relation(session, ctx, relations.get_relation(session, ctx.urls, uuid))
    return Response(status_code=204)
