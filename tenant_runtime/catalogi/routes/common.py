"""What every Catalogi route shares: scopes as dependencies, the request context, JSON bodies, ETags, and one
registration function that wires the operations of a resource to its service functions."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel
from sqlalchemy import Select
from starlette.responses import JSONResponse, Response

from tenant_runtime.catalogi import serializers
from tenant_runtime.catalogi.schemas import check_query, parse
from tenant_runtime.catalogi.scopes import (
    COMPONENT,
    SCOPE_CATALOGI_FORCED_DELETE,
    SCOPE_CATALOGI_FORCED_WRITE,
    SCOPE_CATALOGI_READ,
    SCOPE_CATALOGI_WRITE,
    SCOPE_DOCUMENTEN_READ,
    SCOPE_ZAKEN_READ,
)
from tenant_runtime.catalogi.services.common import Ctx, date_param, get_or_404
from tenant_runtime.core.auth import Client
from tenant_runtime.core.deps import CurrentClient, ResolverDep, RuntimeDep, SessionDep, UrlsDep, require_scopes
from tenant_runtime.core.pagination import paginate
from tenant_runtime.core.problems import InvalidParam, Problem, validation_problem
from tenant_runtime.referentielijsten.service import Selectielijst

ClientDependency = Callable[..., Client]

read_scope = require_scopes(COMPONENT, SCOPE_CATALOGI_READ)
write_scope = require_scopes(COMPONENT, SCOPE_CATALOGI_WRITE)
write_or_forced_scope = require_scopes(COMPONENT, SCOPE_CATALOGI_WRITE, SCOPE_CATALOGI_FORCED_WRITE, any_of=True)
delete_or_forced_scope = require_scopes(COMPONENT, SCOPE_CATALOGI_WRITE, SCOPE_CATALOGI_FORCED_DELETE, any_of=True)


def zaaktype_read_scope(client: CurrentClient) -> Client:
    """ztc-014: zaaktypen may also be read with zaken.lezen or documenten.lezen."""
    if (
        client.has_scopes(COMPONENT, [SCOPE_CATALOGI_READ])
        or client.has_scopes(SCOPE_ZAKEN_READ[0], [SCOPE_ZAKEN_READ[1]])
        or client.has_scopes(SCOPE_DOCUMENTEN_READ[0], [SCOPE_DOCUMENTEN_READ[1]])
    ):
        return client
    raise Problem(403, "Je hebt geen toestemming om deze actie uit te voeren.", code="permission_denied")


@dataclass(frozen=True, slots=True)
class Services:
    session: Any
    urls: Any
    resolver: Any
    selectielijst: Selectielijst

    def ctx(self, client: Client) -> Ctx:
        return Ctx(self.session, self.urls, client, self.resolver, self.selectielijst)

    def out(self, moment: Any = None) -> serializers.Out:
        return serializers.Out(self.session, self.urls, moment)


def get_services(session: SessionDep, urls: UrlsDep, resolver: ResolverDep, runtime: RuntimeDep) -> Services:
    selectielijst = Selectielijst(urls, resolver, runtime.settings.selectielijst_api_root)
    return Services(session, urls, resolver, selectielijst)


ServicesDep = Annotated[Services, Depends(get_services)]


async def json_body(request: Request) -> Any:
    raw = await request.body()
    try:
        return json.loads(raw or b"null")
    except ValueError:
        raise validation_problem([InvalidParam("nonFieldErrors", "parse_error", "Ongeldige JSON.")]) from None


JsonBody = Annotated[Any, Depends(json_body)]


def etag_of(body: dict[str, Any]) -> str:
    digest = hashlib.md5(json.dumps(body, sort_keys=True).encode(), usedforsecurity=False).hexdigest()
    return f'"{digest}"'


def detail_response(request: Request, body: dict[str, Any], head: bool = False) -> Response:
    """200 with an ETag (HEAD: headers only); 304 when If-None-Match holds the current ETag."""
    etag = etag_of(body)
    wanted = {tag.strip() for tag in request.headers.get("if-none-match", "").split(",") if tag.strip()}
    if etag in wanted:
        return Response(status_code=304, headers={"ETag": etag})
    if head:
        return Response(status_code=200, headers={"ETag": etag}, media_type="application/json")
    return JSONResponse(body, headers={"ETag": etag})


def retrieve_moment(request: Request) -> date | None:
    """``datumGeldigheid`` of a retrieve; the document lists no 400 there, so an unreadable date means today."""
    try:
        return date_param("datumGeldigheid", request.query_params.get("datumGeldigheid"))
    except Problem:
        return None


@dataclass(frozen=True)
class Resource:
    """How one Catalogi resource maps onto its service functions."""

    path: str
    model: type[Any]
    schema: type[BaseModel]
    serialize: Callable[[serializers.Out, Any], dict[str, Any]]
    state: Callable[[Ctx, Any], dict[str, Any]]
    create: Callable[[Ctx, Any], Any]
    update: Callable[[Ctx, Any, Any, set[str] | None], Any]
    delete: Callable[[Ctx, Any], None]
    query: Callable[[Ctx, dict[str, str | None]], Select[Any]]
    filters: Sequence[str]
    create_scope: ClientDependency = write_or_forced_scope
    read_scope: ClientDependency = read_scope
    create_status: int = 201
    delete_status: int = 204
    publish: Callable[[Ctx, Any], Any] | None = None
    list_moment: str | None = "datumGeldigheid"
    retrieve_moment: bool = False


def register(router: APIRouter, res: Resource) -> None:
    """list, create, retrieve, headers, update, partial_update, destroy (and publish) of ``res``."""
    # Dependencies as defaults: the annotations of these local functions are resolved against module globals.
    reader = Depends(res.read_scope)
    creator = Depends(res.create_scope)
    updater = Depends(write_or_forced_scope)
    deleter = Depends(delete_or_forced_scope)
    publisher = Depends(write_scope)
    detail = f"/{res.path}/{{uuid}}"

    def list_(request: Request, services: ServicesDep, client: Client = reader) -> dict[str, Any]:
        params = {name: request.query_params.get(name) for name in res.filters}
        check_query(params)
        ctx = services.ctx(client)
        query = res.query(ctx, params)
        moment = date_param(res.list_moment, params.get(res.list_moment)) if res.list_moment else None
        out = services.out(moment)
        return paginate(
            services.session,
            query,
            request,
            services.urls.base_url,
            lambda rows: [res.serialize(out, row) for row in rows],
        )

    def create(body: JsonBody, services: ServicesDep, client: Client = creator) -> JSONResponse:
        ctx = services.ctx(client)
        obj = res.create(ctx, parse(res.schema, body))
        payload = res.serialize(services.out(), obj)
        headers = {"Location": payload["url"]} if res.create_status == 201 else None
        return JSONResponse(payload, status_code=res.create_status, headers=headers)

    def retrieve(uuid: UUID, request: Request, services: ServicesDep, _client: Client = reader) -> Response:
        obj = get_or_404(services.session, res.model, uuid)
        moment = retrieve_moment(request) if res.retrieve_moment else None
        return detail_response(request, res.serialize(services.out(moment), obj))

    def headers(uuid: UUID, request: Request, services: ServicesDep, _client: Client = reader) -> Response:
        obj = get_or_404(services.session, res.model, uuid)
        return detail_response(request, res.serialize(services.out(), obj), head=True)

    def update(uuid: UUID, body: JsonBody, services: ServicesDep, client: Client = updater) -> dict[str, Any]:
        ctx = services.ctx(client)
        obj = get_or_404(services.session, res.model, uuid)
        obj = res.update(ctx, obj, parse(res.schema, body), None)
        return res.serialize(services.out(), obj)

    def partial_update(uuid: UUID, body: JsonBody, services: ServicesDep, client: Client = updater) -> dict[str, Any]:
        ctx = services.ctx(client)
        obj = get_or_404(services.session, res.model, uuid)
        if not isinstance(body, dict):
            raise validation_problem([InvalidParam("nonFieldErrors", "invalid", "Verwacht een JSON object.")])
        merged = {**res.state(ctx, obj), **body}
        obj = res.update(ctx, obj, parse(res.schema, merged), set(body))
        return res.serialize(services.out(), obj)

    def destroy(uuid: UUID, services: ServicesDep, client: Client = deleter) -> Response:
        ctx = services.ctx(client)
        res.delete(ctx, get_or_404(services.session, res.model, uuid))
        if res.delete_status == 204:
            return Response(status_code=204)
        return JSONResponse({}, status_code=res.delete_status)

    name = res.path.replace("-", "_")
    router.add_api_route(f"/{res.path}", list_, methods=["GET"], response_model=None, name=f"{name}_list")
    router.add_api_route(f"/{res.path}", create, methods=["POST"], response_model=None, name=f"{name}_create")
    router.add_api_route(detail, retrieve, methods=["GET"], response_model=None, name=f"{name}_retrieve")
    router.add_api_route(detail, headers, methods=["HEAD"], response_model=None, name=f"{name}_headers")
    router.add_api_route(detail, update, methods=["PUT"], response_model=None, name=f"{name}_update")
    router.add_api_route(detail, partial_update, methods=["PATCH"], response_model=None, name=f"{name}_partial_update")
    router.add_api_route(detail, destroy, methods=["DELETE"], response_model=None, name=f"{name}_destroy")

    publish_fn = res.publish
    if publish_fn is not None:

        def publish(uuid: UUID, services: ServicesDep, client: Client = publisher) -> dict[str, Any]:
            ctx = services.ctx(client)
            obj = publish_fn(ctx, get_or_404(services.session, res.model, uuid))
            return res.serialize(services.out(), obj)

        router.add_api_route(
            f"{detail}/publish", publish, methods=["POST"], response_model=None, name=f"{name}_publish"
        )
