"""Routes of ``/enkelvoudiginformatieobjecten``: CRUD with versions, download, lock/unlock, _zoek, audittrail."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response, StreamingResponse

from tenant_runtime.core.audit import audit_entries, audit_entry, serialize_audit
from tenant_runtime.core.deps import RuntimeDep, SessionDep, UrlsDep
from tenant_runtime.core.pagination import paginate
from tenant_runtime.core.problems import Problem
from tenant_runtime.documenten import expand, filters
from tenant_runtime.documenten.expand import Expander
from tenant_runtime.documenten.models import InformatieObject
from tenant_runtime.documenten.routes.body import parse_metadata, receive_document
from tenant_runtime.documenten.routes.common import (
    Creator,
    Deleter,
    ExpanderDep,
    Locker,
    Reader,
    StorageDep,
    Unlocker,
    Updater,
    datetime_param,
    etag_response,
    int_param,
    only_params,
    write_context,
)
from tenant_runtime.documenten.schemas.enkelvoudiginformatieobjecten import (
    DocumentCreate,
    DocumentPatch,
    DocumentUpdate,
    UnlockIn,
    ZoekIn,
    has_content,
    serialize_document,
)
from tenant_runtime.documenten.services import content
from tenant_runtime.documenten.services import enkelvoudiginformatieobjecten as service
from tenant_runtime.documenten.services.access import parse_uuid
from tenant_runtime.documenten.services.context import WriteContext
from tenant_runtime.storage import ContentNotFound

PATH = "/enkelvoudiginformatieobjecten"
router = APIRouter(tags=["enkelvoudiginformatieobjecten"])


@router.get(PATH, response_model=None)
def document_list(
    request: Request, session: SessionDep, urls: UrlsDep, client: Reader, expander: ExpanderDep
) -> dict[str, Any]:
    only_params(request, ("identificatie", "bronorganisatie", "trefwoorden", "expand", "page"))
    paths = expand.parse(request.query_params.get("expand"), expand.DOCUMENT_PATHS, detail=False)
    query = filters.documenten(service.list_query(client, urls), request)
    return paginate(
        session,
        query,
        request,
        urls.base_url,
        lambda documents: _serialize_page(session, urls, documents, expander, paths),
    )


def _serialize_page(
    session: SessionDep,
    urls: UrlsDep,
    documents: Sequence[InformatieObject],
    expander: Expander | None = None,
    paths: set[str] | None = None,
) -> list[dict[str, Any]]:
    versies = service.current_versies(session, documents)
    bodies = [serialize_document(urls, document, versies[document.id]) for document in documents]
    if expander is not None and paths:
        for body, document in zip(bodies, documents, strict=True):
            expander.document(body, document, paths)
    return bodies


@router.post(f"{PATH}/_zoek", response_model=None)
def document_search(
    request: Request, data: ZoekIn, session: SessionDep, urls: UrlsDep, client: Reader
) -> dict[str, Any]:
    only_params(request, ("page",))
    query = filters.by_uuids(service.list_query(client, urls), data.uuid__in)
    return paginate(
        session,
        query,
        request,
        urls.base_url,
        lambda documents: _serialize_page(session, urls, documents),
    )


@router.post(PATH, status_code=201, response_model=None)
async def document_create(
    request: Request, session: SessionDep, storage: StorageDep, _: Creator, ctx: WriteContext = Depends(write_context)
) -> JSONResponse:
    received = await receive_document(request, storage)
    try:
        data = parse_metadata(DocumentCreate, received.metadata)
        document, versie = await run_in_threadpool(service.create_document, session, ctx, data, received.content)
    except BaseException:
        if received.content is not None:  # the failed create leaves no content behind
            await run_in_threadpool(storage.delete, received.content.key)
        raise
    body = serialize_document(ctx.urls, document, versie, with_lock=bool(versie.upload_id))
    return JSONResponse(body, status_code=201, headers={"Location": body["url"]})


@router.api_route(f"{PATH}/{{uuid}}", methods=["GET", "HEAD"], response_model=None)
def document_read(
    request: Request, uuid: str, session: SessionDep, urls: UrlsDep, client: Reader, expander: ExpanderDep
) -> Response:
    only_params(request, ("versie", "registratieOp", "expand"))
    document = service.get_document(session, uuid)
    service.require_read(client, urls, document)
    paths = expand.parse(request.query_params.get("expand"), expand.DOCUMENT_PATHS, detail=True)
    versie = service.versie_of(
        session, document, int_param(request, "versie"), datetime_param(request, "registratieOp")
    )
    body = expander.document(serialize_document(urls, document, versie, parts_lock=True), document, paths)
    return etag_response(request, body)


async def _update(
    request: Request, uuid: str, session: SessionDep, storage: StorageDep, ctx: WriteContext, *, partial: bool
) -> dict[str, Any]:
    document = await run_in_threadpool(service.get_document, session, uuid)
    received = await receive_document(request, storage)
    try:
        data: DocumentUpdate | DocumentPatch = (
            parse_metadata(DocumentPatch, received.metadata)
            if partial
            else parse_metadata(DocumentUpdate, received.metadata)
        )
        document, versie = await run_in_threadpool(
            service.update_document, session, ctx, document, data, received.content, partial=partial
        )
    except BaseException:
        if received.content is not None:
            await run_in_threadpool(storage.delete, received.content.key)
        raise
    await run_in_threadpool(service.purge_content, session, storage)  # a replaced, unfinished upload
    return serialize_document(ctx.urls, document, versie)


@router.put(f"{PATH}/{{uuid}}", response_model=None)
async def document_update(
    request: Request,
    uuid: str,
    session: SessionDep,
    storage: StorageDep,
    _: Updater,
    ctx: WriteContext = Depends(write_context),
) -> dict[str, Any]:
    return await _update(request, uuid, session, storage, ctx, partial=False)


@router.patch(f"{PATH}/{{uuid}}", response_model=None)
async def document_partial_update(
    request: Request,
    uuid: str,
    session: SessionDep,
    storage: StorageDep,
    _: Updater,
    ctx: WriteContext = Depends(write_context),
) -> dict[str, Any]:
    return await _update(request, uuid, session, storage, ctx, partial=True)


@router.delete(f"{PATH}/{{uuid}}", status_code=204, response_model=None)
def document_delete(
    uuid: str, session: SessionDep, storage: StorageDep, _: Deleter, ctx: WriteContext = Depends(write_context)
) -> Response:
    service.delete_document(session, ctx, service.get_document(session, uuid))
    service.purge_content(session, storage)
    return Response(status_code=204)


@router.get(f"{PATH}/{{uuid}}/download", response_model=None)
def document_download(
    request: Request,
    uuid: str,
    session: SessionDep,
    urls: UrlsDep,
    storage: StorageDep,
    client: Reader,
    runtime: RuntimeDep,
) -> StreamingResponse:
    only_params(request, ("versie", "registratieOp"))
    document = service.get_document(session, uuid)
    service.require_read(client, urls, document)
    versie = service.versie_of(
        session, document, int_param(request, "versie"), datetime_param(request, "registratieOp")
    )
    if not has_content(versie):
        raise Problem(404, "Deze versie van het document heeft geen inhoud.", code="not_found")
    try:
        chunks = storage.read(versie.content_key)
    except ContentNotFound:
        raise Problem(404, "De inhoud van het document is niet gevonden.", code="not_found") from None
    if runtime.settings.document_verify_downloads:
        chunks = content.verified(chunks, versie, str(document.uuid))
    headers = {"Content-Length": str(versie.bestandsomvang or 0)}
    if versie.bestandsnaam:
        headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(versie.bestandsnaam)}"
    return StreamingResponse(chunks, media_type="application/octet-stream", headers=headers)


@router.post(f"{PATH}/{{uuid}}/lock", response_model=None)
def document_lock(uuid: str, session: SessionDep, urls: UrlsDep, client: Locker) -> dict[str, str]:
    return {"lock": service.lock_document(session, client, urls, service.get_document(session, uuid))}


@router.post(f"{PATH}/{{uuid}}/unlock", status_code=204, response_model=None)
def document_unlock(
    uuid: str, session: SessionDep, urls: UrlsDep, client: Unlocker, data: UnlockIn | None = None
) -> Response:
    document = service.get_document(session, uuid)
    service.unlock_document(session, client, urls, document, data.lock if data else "")
    return Response(status_code=204)


def _audit(entry: Any) -> dict[str, Any]:
    data = serialize_audit(entry)
    data["wijzigingen"] = {k: v for k, v in data["wijzigingen"].items() if v is not None}
    return data


@router.get(f"{PATH}/{{enkelvoudiginformatieobject_uuid}}/audittrail", response_model=None)
def audittrail_list(
    enkelvoudiginformatieobject_uuid: str, session: SessionDep, urls: UrlsDep, client: Reader
) -> list[dict[str, Any]]:
    # The operation documents no 404: the trail of an unknown (or deleted, drc-008) document is empty.
    try:
        document = service.get_document(session, enkelvoudiginformatieobject_uuid)
    except Problem:
        return []
    service.require_read(client, urls, document)
    return [_audit(entry) for entry in audit_entries(session, document.uuid)]


@router.get(f"{PATH}/{{enkelvoudiginformatieobject_uuid}}/audittrail/{{uuid}}", response_model=None)
def audittrail_read(
    enkelvoudiginformatieobject_uuid: str, uuid: str, session: SessionDep, urls: UrlsDep, client: Reader
) -> dict[str, Any]:
    document = service.get_document(session, enkelvoudiginformatieobject_uuid)
    service.require_read(client, urls, document)
    entry = audit_entry(session, document.uuid, parse_uuid(uuid))
    if entry is None:
        raise Problem(404, "Niet gevonden.", code="not_found")
    return _audit(entry)
