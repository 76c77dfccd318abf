"""Routes of the Autorisaties API 1.0 (``/autorisaties/api/v1``). Thin: parse, call the service, serialize.

After every change the runtime's client cache of the tenant is dropped, so new or removed autorisaties apply to
the very next request (of this process; other processes pick them up within their cache time).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import JSONResponse, Response

from tenant_runtime.autorisaties import service
from tenant_runtime.autorisaties.schemas import (
    ApplicatieIn,
    ApplicatiePatch,
    applicatie_url,
    serialize_applicatie,
)
from tenant_runtime.autorisaties.scopes import COMPONENT, SCOPE_AUTORISATIES_BIJWERKEN, SCOPE_AUTORISATIES_LEZEN
from tenant_runtime.core.auth import Client
from tenant_runtime.core.deps import CurrentTenant, RuntimeDep, SessionDep, UrlsDep, require_scopes
from tenant_runtime.core.pagination import paginate
from tenant_runtime.core.problems import InvalidParam, Problem, validation_problem

Reader = Annotated[Client, Depends(require_scopes(COMPONENT, SCOPE_AUTORISATIES_LEZEN))]
Writer = Annotated[Client, Depends(require_scopes(COMPONENT, SCOPE_AUTORISATIES_BIJWERKEN))]

router = APIRouter(prefix="/autorisaties/api/v1", tags=["autorisaties"])


def _only_params(request: Request, *allowed: str) -> None:
    unknown = sorted(set(request.query_params) - set(allowed))
    if unknown:
        raise validation_problem(
            [InvalidParam("nonFieldErrors", "unknown-parameters", f"Onbekende query parameters: {', '.join(unknown)}")]
        )


def _invalidate_clients(runtime: RuntimeDep, tenant: CurrentTenant) -> None:
    runtime.clients.invalidate(tenant.slug)


@router.get("/applicaties", response_model=None)
def applicatie_list(request: Request, session: SessionDep, urls: UrlsDep, _: Reader) -> dict[str, Any]:
    _only_params(request, "clientIds", "page")
    raw = request.query_params.get("clientIds")
    wanted = [c.strip() for c in raw.split(",") if c.strip()] if raw else None
    return paginate(
        session,
        service.list_query(session, wanted),
        request,
        urls.base_url,
        lambda rows: [serialize_applicatie(urls, a) for a in rows],
    )


@router.post("/applicaties", status_code=201, response_model=None)
def applicatie_create(
    data: ApplicatieIn, session: SessionDep, urls: UrlsDep, runtime: RuntimeDep, tenant: CurrentTenant, _: Writer
) -> JSONResponse:
    applicatie = service.create_applicatie(session, urls, data)
    _invalidate_clients(runtime, tenant)
    return JSONResponse(
        serialize_applicatie(urls, applicatie), status_code=201, headers={"Location": applicatie_url(urls, applicatie)}
    )


@router.get("/applicaties/consumer", response_model=None)
def applicatie_consumer(request: Request, session: SessionDep, urls: UrlsDep, _: Reader) -> list[dict[str, Any]]:
    """The applicatie of one client id, as the one-element array the 1.0 specification describes."""
    _only_params(request, "clientId")
    client_id = request.query_params.get("clientId")
    if not client_id:
        # The operation documents no 400: no applicatie has an empty client id, so this is a 404.
        raise Problem(
            404,
            "Geef het client ID op waarvoor je de applicatie wil opvragen.",
            code="not_found",
            invalid_params=[InvalidParam("clientId", "required", "Dit veld is vereist.")],
        )
    return [serialize_applicatie(urls, service.consumer(session, client_id))]


@router.get("/applicaties/{uuid}", response_model=None)
def applicatie_read(uuid: str, session: SessionDep, urls: UrlsDep, _: Reader) -> dict[str, Any]:
    return serialize_applicatie(urls, service.get_applicatie(session, uuid))


@router.put("/applicaties/{uuid}", response_model=None)
def applicatie_update(
    uuid: str,
    data: ApplicatieIn,
    session: SessionDep,
    urls: UrlsDep,
    runtime: RuntimeDep,
    tenant: CurrentTenant,
    _: Writer,
) -> dict[str, Any]:
    applicatie = service.update_applicatie(session, urls, uuid, data, partial=False)
    _invalidate_clients(runtime, tenant)
    return serialize_applicatie(urls, applicatie)


@router.patch("/applicaties/{uuid}", response_model=None)
def applicatie_partial_update(
    uuid: str,
    data: ApplicatiePatch,
    session: SessionDep,
    urls: UrlsDep,
    runtime: RuntimeDep,
    tenant: CurrentTenant,
    _: Writer,
) -> dict[str, Any]:
    applicatie = service.update_applicatie(session, urls, uuid, data, partial=True)
    _invalidate_clients(runtime, tenant)
    return serialize_applicatie(urls, applicatie)


@router.delete("/applicaties/{uuid}", status_code=204, response_model=None)
def applicatie_delete(
    uuid: str, session: SessionDep, urls: UrlsDep, runtime: RuntimeDep, tenant: CurrentTenant, _: Writer
) -> Response:
    service.delete_applicatie(session, urls, uuid)
    _invalidate_clients(runtime, tenant)
    return Response(status_code=204)
