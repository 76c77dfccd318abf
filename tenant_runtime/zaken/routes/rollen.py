"""Routes of ``/rollen`` and ``/zaakobjecten``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, Response

from tenant_runtime.core.deps import ResolverDep, SessionDep, UrlsDep
from tenant_runtime.zaken.models import Rol, ZaakObject
from tenant_runtime.zaken.routes.common import created, detail, page, readable_one
from tenant_runtime.zaken.routes.deps import Ctx, Reader, RelatedCreator, RelatedDeleter, Updater
from tenant_runtime.zaken.schemas.rol import RolData, ZaakObjectData, serialize_zaakobject
from tenant_runtime.zaken.services import rollen, zaakobjecten
from tenant_runtime.zaken.services.common import get_or_404

router = APIRouter(tags=["rollen", "zaakobjecten"])


@router.get("/rollen", response_model=None)
def rol_list(request: Request, session: SessionDep, urls: UrlsDep, client: Reader) -> dict[str, Any]:
    query = rollen.list_query(session, client, urls, dict(request.query_params))
    return page(session, request, urls, query, lambda rows: rollen.serialize_rollen(session, urls, rows))


@router.post("/rollen", status_code=201, response_model=None)
def rol_create(
    data: RolData, session: SessionDep, urls: UrlsDep, resolver: ResolverDep, _: Updater, ctx: Ctx
) -> JSONResponse:
    rol = rollen.create_rol(session, ctx, resolver, data)
    return created(rollen.serialize_rollen(session, urls, [rol])[0])


@router.api_route("/rollen/{uuid}", methods=["GET", "HEAD"], response_model=None)
def rol_read(uuid: str, request: Request, session: SessionDep, urls: UrlsDep, client: Reader) -> Response:
    rol = readable_one(session, client, urls, Rol, uuid)
    return detail(request, rollen.serialize_rollen(session, urls, [rol])[0])


@router.delete("/rollen/{uuid}", status_code=204, response_model=None)
def rol_delete(uuid: str, session: SessionDep, _: Updater, ctx: Ctx) -> Response:
    rollen.delete_rol(session, ctx, get_or_404(session, Rol, uuid))
    return Response(status_code=204)


@router.get("/zaakobjecten", response_model=None)
def zaakobject_list(request: Request, session: SessionDep, urls: UrlsDep, client: Reader) -> dict[str, Any]:
    query = zaakobjecten.list_query(session, client, urls, dict(request.query_params))
    return page(session, request, urls, query, lambda rows: [serialize_zaakobject(urls, z) for z in rows])


@router.post("/zaakobjecten", status_code=201, response_model=None)
def zaakobject_create(
    data: ZaakObjectData, session: SessionDep, urls: UrlsDep, resolver: ResolverDep, _: RelatedCreator, ctx: Ctx
) -> JSONResponse:
    return created(serialize_zaakobject(urls, zaakobjecten.create_zaakobject(session, ctx, resolver, data)))


@router.api_route("/zaakobjecten/{uuid}", methods=["GET", "HEAD"], response_model=None)
def zaakobject_read(uuid: str, request: Request, session: SessionDep, urls: UrlsDep, client: Reader) -> Response:
    return detail(request, serialize_zaakobject(urls, readable_one(session, client, urls, ZaakObject, uuid)))


@router.put("/zaakobjecten/{uuid}", response_model=None)
def zaakobject_update(
    uuid: str, data: ZaakObjectData, session: SessionDep, urls: UrlsDep, resolver: ResolverDep, _: Updater, ctx: Ctx
) -> dict[str, Any]:
    obj = get_or_404(session, ZaakObject, uuid)
    return serialize_zaakobject(urls, zaakobjecten.update_zaakobject(session, ctx, resolver, obj, data, False))


@router.patch("/zaakobjecten/{uuid}", response_model=None)
def zaakobject_partial_update(
    uuid: str, data: ZaakObjectData, session: SessionDep, urls: UrlsDep, resolver: ResolverDep, _: Updater, ctx: Ctx
) -> dict[str, Any]:
    obj = get_or_404(session, ZaakObject, uuid)
    return serialize_zaakobject(urls, zaakobjecten.update_zaakobject(session, ctx, resolver, obj, data, True))


@router.delete("/zaakobjecten/{uuid}", status_code=204, response_model=None)
def zaakobject_delete(uuid: str, session: SessionDep, _: RelatedDeleter, ctx: Ctx) -> Response:
    zaakobjecten.delete_zaakobject(session, ctx, get_or_404(session, ZaakObject, uuid))
    return Response(status_code=204)
