"""Routes: the Notificaties API 1.0 (``/notificaties/api/v1``) and the delivery log for the platform
(``/beheer/notificaties``, not part of the standard, protected by ``ZGW_RUNTIME_ADMIN_TOKEN``)."""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import JSONResponse, Response

from tenant_runtime.core.auth import Client
from tenant_runtime.core.deps import RuntimeDep, SessionDep, TenantEngine, UrlsDep, require_scopes
from tenant_runtime.core.pagination import page_number, page_url
from tenant_runtime.core.problems import InvalidParam, Problem, validation_problem
from tenant_runtime.notificaties import admin, service, signals
from tenant_runtime.notificaties.callbacks import verify_callback
from tenant_runtime.notificaties.schemas import (
    AbonnementIn,
    AbonnementPatch,
    KanaalIn,
    MessageIn,
    abonnement_url,
    kanaal_url,
    serialize_abonnement,
    serialize_kanaal,
)
from tenant_runtime.notificaties.scopes import (
    COMPONENT,
    SCOPE_NOTIFICATIES_CONSUMEREN,
    SCOPE_NOTIFICATIES_PUBLICEREN,
    SCOPES_READ,
)

Reader = Annotated[Client, Depends(require_scopes(COMPONENT, *SCOPES_READ, any_of=True))]
Consumer = Annotated[Client, Depends(require_scopes(COMPONENT, SCOPE_NOTIFICATIES_CONSUMEREN))]
Publisher = Annotated[Client, Depends(require_scopes(COMPONENT, SCOPE_NOTIFICATIES_PUBLICEREN))]


def get_verifier(runtime: RuntimeDep) -> service.CallbackVerifier:
    settings = runtime.settings
    return lambda url, auth: verify_callback(settings, url, auth)


VerifierDep = Annotated[service.CallbackVerifier, Depends(get_verifier)]

api = APIRouter(prefix="/notificaties/api/v1", tags=["notificaties"])


def _only_params(request: Request, *allowed: str) -> None:
    unknown = sorted(set(request.query_params) - set(allowed))
    if unknown:
        raise validation_problem(
            [InvalidParam("nonFieldErrors", "unknown-parameters", f"Onbekende query parameters: {', '.join(unknown)}")]
        )


@api.get("/kanaal", response_model=None)
def kanaal_list(
    request: Request, session: SessionDep, urls: UrlsDep, _: Reader, naam: str | None = None
) -> list[dict[str, Any]]:
    _only_params(request, "naam")
    return [serialize_kanaal(urls, k) for k in service.list_kanalen(session, naam)]


@api.post("/kanaal", status_code=201, response_model=None)
def kanaal_create(data: KanaalIn, session: SessionDep, urls: UrlsDep, _: Publisher) -> JSONResponse:
    kanaal = service.create_kanaal(session, data)
    return JSONResponse(serialize_kanaal(urls, kanaal), status_code=201, headers={"Location": kanaal_url(urls, kanaal)})


@api.get("/kanaal/{uuid}", response_model=None)
def kanaal_read(uuid: str, session: SessionDep, urls: UrlsDep, _: Reader) -> dict[str, Any]:
    return serialize_kanaal(urls, service.get_kanaal(session, uuid))


@api.get("/abonnement", response_model=None)
def abonnement_list(session: SessionDep, urls: UrlsDep, _: Reader) -> list[dict[str, Any]]:
    return [serialize_abonnement(urls, a) for a in service.list_abonnementen(session)]


@api.post("/abonnement", status_code=201, response_model=None)
def abonnement_create(
    data: AbonnementIn, session: SessionDep, urls: UrlsDep, client: Consumer, verifier: VerifierDep
) -> JSONResponse:
    abonnement = service.create_abonnement(session, client, data, verifier)
    return JSONResponse(
        serialize_abonnement(urls, abonnement),
        status_code=201,
        headers={"Location": abonnement_url(urls, abonnement)},
    )


@api.get("/abonnement/{uuid}", response_model=None)
def abonnement_read(uuid: str, session: SessionDep, urls: UrlsDep, _: Reader) -> dict[str, Any]:
    return serialize_abonnement(urls, service.get_abonnement(session, uuid))


@api.put("/abonnement/{uuid}", response_model=None)
def abonnement_update(
    uuid: str, data: AbonnementIn, session: SessionDep, urls: UrlsDep, _: Consumer, verifier: VerifierDep
) -> dict[str, Any]:
    abonnement = service.get_abonnement(session, uuid)
    return serialize_abonnement(urls, service.update_abonnement(session, abonnement, data, verifier))


@api.patch("/abonnement/{uuid}", response_model=None)
def abonnement_partial_update(
    uuid: str, data: AbonnementPatch, session: SessionDep, urls: UrlsDep, _: Consumer, verifier: VerifierDep
) -> dict[str, Any]:
    abonnement = service.get_abonnement(session, uuid)
    return serialize_abonnement(urls, service.update_abonnement(session, abonnement, data, verifier))


@api.delete("/abonnement/{uuid}", status_code=204, response_model=None)
def abonnement_delete(uuid: str, session: SessionDep, _: Consumer) -> Response:
    service.delete_abonnement(session, service.get_abonnement(session, uuid))
    return Response(status_code=204)


@api.post("/notificaties", response_model=None)
def notificaties_create(data: MessageIn, session: SessionDep, _: Publisher) -> dict[str, Any]:
    service.publish_notificatie(session, data)
    return data.model_dump(by_alias=True, mode="json")


# --- /beheer: the delivery log for the control plane ----------------------------------------------------------


def require_platform(request: Request, runtime: RuntimeDep) -> None:
    token = runtime.settings.admin_token
    if not token:
        raise Problem(403, "De beheer-API is niet ingeschakeld (ZGW_RUNTIME_ADMIN_TOKEN).", code="beheer_disabled")
    given = request.headers.get("authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        raise Problem(401, "Ongeldige of ontbrekende platform-credential.", code="not_authenticated")


beheer = APIRouter(prefix="/beheer/notificaties", tags=["beheer"], dependencies=[Depends(require_platform)])


def _wake(engine: TenantEngine) -> None:
    signals.wake(engine.url.render_as_string(hide_password=False))


@beheer.get("/subscriptions")
def subscriptions(session: SessionDep, runtime: RuntimeDep) -> list[dict[str, Any]]:
    return admin.subscription_health(session, runtime.settings)


@beheer.get("/deliveries")
def deliveries(
    request: Request,
    session: SessionDep,
    urls: UrlsDep,
    subscription: str | None = None,
    status: str | None = None,
) -> dict[str, Any]:
    page = page_number(request.query_params.get("page"))
    result = admin.list_deliveries(session, abonnement=subscription, status=status, page=page)
    return {
        "count": result.count,
        "next": page_url(request, urls.base_url, page + 1) if result.has_next else None,
        "previous": page_url(request, urls.base_url, page - 1) if page > 1 else None,
        "results": result.results,
    }


@beheer.get("/deliveries/{uuid}")
def delivery_detail(uuid: str, session: SessionDep) -> dict[str, Any]:
    delivery = admin.get_delivery(session, uuid)
    return admin.serialize_delivery(delivery, admin.delivery_log(session, delivery))


@beheer.post("/deliveries/{uuid}/resend", status_code=202)
def delivery_resend(uuid: str, session: SessionDep, engine: TenantEngine) -> dict[str, Any]:
    delivery = admin.resend(session, admin.get_delivery(session, uuid))
    _wake(engine)
    return admin.serialize_delivery(delivery)


@beheer.post("/subscriptions/{uuid}/resend-dead", status_code=202)
def subscription_resend_dead(uuid: str, session: SessionDep, engine: TenantEngine) -> dict[str, int]:
    count = admin.resend_dead(session, uuid)
    _wake(engine)
    return {"resent": count}


@beheer.post("/subscriptions/{uuid}/reset-circuit")
def subscription_reset_circuit(
    uuid: str, session: SessionDep, engine: TenantEngine, runtime: RuntimeDep
) -> dict[str, Any]:
    abonnement = admin.reset_circuit(session, uuid)
    _wake(engine)
    return next(s for s in admin.subscription_health(session, runtime.settings) if s["uuid"] == str(abonnement.uuid))


router = APIRouter()
router.include_router(api)
router.include_router(beheer)
