"""Routes of ``/zaken``: list (filters, ordering, expand), _zoek, create, read (ETag), update, delete."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Request
from sqlalchemy import select
from starlette.responses import JSONResponse, Response

from tenant_runtime.core.deps import ResolverDep, SessionDep, UrlsDep
from tenant_runtime.core.pagination import paginate
from tenant_runtime.zaken.expand import Expander, parse_expand
from tenant_runtime.zaken.http import CRS_HEADERS, cached_response
from tenant_runtime.zaken.models import Zaak
from tenant_runtime.zaken.routes.deps import Creator, Crs, Ctx, Deleter, Reader, Updater
from tenant_runtime.zaken.schemas.zaak import ZaakData, serialize_zaken
from tenant_runtime.zaken.services import zaken as service
from tenant_runtime.zaken.services.common import get_or_404

router = APIRouter(tags=["zaken"])


def _page(
    request: Request,
    session: SessionDep,
    urls: UrlsDep,
    resolver: ResolverDep,
    client: Any,
    params: dict[str, Any],
    within: Any | None,
    expand_raw: str | None,
    status_on_bad_expand: int,
) -> JSONResponse:
    paths = parse_expand(expand_raw, status_on_bad_expand)
    found = service.search(session, client, urls, params, within)
    query = select(Zaak).where(*found.conditions).order_by(*found.order_by)

    def serialize(rows: Any) -> list[dict[str, Any]]:
        bodies = serialize_zaken(session, urls, list(rows))
        if paths:
            Expander(session, resolver, client).expand_zaken(list(rows), bodies, paths)
        return bodies

    return JSONResponse(paginate(session, query, request, urls.base_url, serialize), headers=CRS_HEADERS)


@router.get("/zaken", response_model=None)
def zaak_list(
    request: Request, session: SessionDep, urls: UrlsDep, resolver: ResolverDep, client: Reader, _crs: Crs
) -> JSONResponse:
    params = dict(request.query_params)
    return _page(request, session, urls, resolver, client, params, None, params.get("expand"), 400)


@router.post("/zaken/_zoek", response_model=None)
def zaak_zoek(
    request: Request,
    session: SessionDep,
    urls: UrlsDep,
    resolver: ResolverDep,
    client: Reader,
    _crs: Crs,
    body: dict[str, Any] = Body(default_factory=dict),
) -> JSONResponse:
    geometrie = body.get("zaakgeometrie")
    within = geometrie.get("within") if isinstance(geometrie, dict) else None
    if geometrie is not None and not isinstance(geometrie, dict):
        from tenant_runtime.zaken.services.common import invalid

        raise invalid("zaakgeometrie", "invalid", "Geef een object met 'within' op.")
    expand = body.get("expand")
    return _page(
        request, session, urls, resolver, client, body, within, expand if isinstance(expand, str) else None, 400
    )


@router.post("/zaken", status_code=201, response_model=None)
def zaak_create(
    data: ZaakData, session: SessionDep, urls: UrlsDep, resolver: ResolverDep, _: Creator, ctx: Ctx, _crs: Crs
) -> JSONResponse:
    zaak = service.create_zaak(session, ctx, resolver, data)
    body = service.serialize_one(session, urls, zaak)
    return JSONResponse(body, status_code=201, headers={"Location": body["url"], **CRS_HEADERS})


@router.api_route("/zaken/{uuid}", methods=["GET", "HEAD"], response_model=None)
def zaak_read(
    uuid: str,
    request: Request,
    session: SessionDep,
    urls: UrlsDep,
    resolver: ResolverDep,
    client: Reader,
    _crs: Crs,
    expand: str | None = None,
) -> Response:
    paths = parse_expand(expand, 404)
    zaak = service.read_zaak(session, client, urls, uuid)
    body = service.serialize_one(session, urls, zaak)
    if paths:
        Expander(session, resolver, client).expand_zaken([zaak], [body], paths)
    return cached_response(request, body, CRS_HEADERS)


@router.put("/zaken/{uuid}", response_model=None)
def zaak_update(
    uuid: str,
    data: ZaakData,
    session: SessionDep,
    urls: UrlsDep,
    resolver: ResolverDep,
    _: Updater,
    ctx: Ctx,
    _crs: Crs,
) -> JSONResponse:
    zaak = service.update_zaak(session, ctx, resolver, get_or_404(session, Zaak, uuid), data, partial=False)
    return JSONResponse(service.serialize_one(session, urls, zaak), headers=CRS_HEADERS)


@router.patch("/zaken/{uuid}", response_model=None)
def zaak_partial_update(
    uuid: str,
    data: ZaakData,
    session: SessionDep,
    urls: UrlsDep,
    resolver: ResolverDep,
    _: Updater,
    ctx: Ctx,
    _crs: Crs,
) -> JSONResponse:
    zaak = service.update_zaak(session, ctx, resolver, get_or_404(session, Zaak, uuid), data, partial=True)
    return JSONResponse(service.serialize_one(session, urls, zaak), headers=CRS_HEADERS)


@router.delete("/zaken/{uuid}", status_code=204, response_model=None)
def zaak_delete(uuid: str, session: SessionDep, _: Deleter, ctx: Ctx, _crs: Crs) -> Response:
    service.delete_zaak(session, ctx, get_or_404(session, Zaak, uuid))
    return Response(status_code=204, headers=CRS_HEADERS)
