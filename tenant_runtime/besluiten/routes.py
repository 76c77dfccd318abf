"""Routes of the Besluiten API 1.1 (``/besluiten/api/v1``). Thin: parse, call a service, serialize.

Every route demands its scope on component ``brc`` (for some besluittype); the services then check the
besluittype of the besluit at hand, and lists only contain besluiten of the client's besluittypen.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import JSONResponse, Response

from tenant_runtime.besluiten.access import require_besluit_access
from tenant_runtime.besluiten.filters import BesluitFilters, BesluitInformatieObjectFilters
from tenant_runtime.besluiten.http import audit_toelichting, cached_response
from tenant_runtime.besluiten.schemas import (
    BesluitIn,
    BesluitInformatieObjectIn,
    besluit_url,
    bio_url,
    serialize_besluit,
    serialize_bio,
)
from tenant_runtime.besluiten.scopes import (
    COMPONENT,
    SCOPE_AUDITTRAILS_LEZEN,
    SCOPE_BESLUITEN_AANMAKEN,
    SCOPE_BESLUITEN_ALLES_LEZEN,
    SCOPE_BESLUITEN_ALLES_VERWIJDEREN,
    SCOPE_BESLUITEN_BIJWERKEN,
)
from tenant_runtime.besluiten.services import besluiten, informatieobjecten
from tenant_runtime.besluiten.services.common import Context, get_besluit, not_found, parse_uuid
from tenant_runtime.core.audit import audit_entries, audit_entry, serialize_audit
from tenant_runtime.core.auth import Client
from tenant_runtime.core.deps import ResolverDep, SessionDep, UrlsDep, require_scopes
from tenant_runtime.core.pagination import paginate

Reader = Annotated[Client, Depends(require_scopes(COMPONENT, SCOPE_BESLUITEN_ALLES_LEZEN))]
Creator = Annotated[Client, Depends(require_scopes(COMPONENT, SCOPE_BESLUITEN_AANMAKEN))]
Updater = Annotated[Client, Depends(require_scopes(COMPONENT, SCOPE_BESLUITEN_BIJWERKEN))]
Deleter = Annotated[Client, Depends(require_scopes(COMPONENT, SCOPE_BESLUITEN_ALLES_VERWIJDEREN))]
AuditReader = Annotated[Client, Depends(require_scopes(COMPONENT, SCOPE_AUDITTRAILS_LEZEN))]

router = APIRouter(prefix="/besluiten/api/v1", tags=["besluiten"])


def _context(request: Request, session: SessionDep, urls: UrlsDep, resolver: ResolverDep, client: Client) -> Context:
    return Context(session, client, urls, resolver, audit_toelichting(request))


# --- besluiten -------------------------------------------------------------------------------------------------


@router.get("/besluiten", response_model=None)
def besluit_list(request: Request, session: SessionDep, urls: UrlsDep, client: Reader) -> dict[str, Any]:
    filters = BesluitFilters.from_query(urls, request.query_params)
    return paginate(
        session,
        besluiten.list_query(client, urls, filters),
        request,
        urls.base_url,
        lambda rows: [serialize_besluit(urls, b) for b in rows],
    )


@router.post("/besluiten", status_code=201, response_model=None)
def besluit_create(
    request: Request, data: BesluitIn, session: SessionDep, urls: UrlsDep, resolver: ResolverDep, client: Creator
) -> JSONResponse:
    besluit = besluiten.create_besluit(_context(request, session, urls, resolver, client), data)
    return JSONResponse(
        serialize_besluit(urls, besluit), status_code=201, headers={"Location": besluit_url(urls, besluit)}
    )


@router.api_route("/besluiten/{uuid}", methods=["GET", "HEAD"], response_model=None)
def besluit_read(uuid: str, request: Request, session: SessionDep, urls: UrlsDep, client: Reader) -> Response:
    besluit = get_besluit(session, uuid)
    require_besluit_access(client, urls, besluit, SCOPE_BESLUITEN_ALLES_LEZEN)
    return cached_response(request, serialize_besluit(urls, besluit))


@router.put("/besluiten/{uuid}", response_model=None)
def besluit_update(
    uuid: str,
    request: Request,
    data: BesluitIn,
    session: SessionDep,
    urls: UrlsDep,
    resolver: ResolverDep,
    client: Updater,
) -> dict[str, Any]:
    ctx = _context(request, session, urls, resolver, client)
    besluit = besluiten.update_besluit(ctx, get_besluit(session, uuid), data, partial=False)
    return serialize_besluit(urls, besluit)


@router.patch("/besluiten/{uuid}", response_model=None)
def besluit_partial_update(
    uuid: str,
    request: Request,
    data: BesluitIn,
    session: SessionDep,
    urls: UrlsDep,
    resolver: ResolverDep,
    client: Updater,
) -> dict[str, Any]:
    ctx = _context(request, session, urls, resolver, client)
    besluit = besluiten.update_besluit(ctx, get_besluit(session, uuid), data, partial=True)
    return serialize_besluit(urls, besluit)


@router.delete("/besluiten/{uuid}", status_code=204, response_model=None)
def besluit_delete(
    uuid: str, request: Request, session: SessionDep, urls: UrlsDep, resolver: ResolverDep, client: Deleter
) -> Response:
    besluiten.delete_besluit(_context(request, session, urls, resolver, client), get_besluit(session, uuid))
    return Response(status_code=204)


# --- audit trail -----------------------------------------------------------------------------------------------


@router.get("/besluiten/{besluit_uuid}/audittrail", response_model=None)
def audittrail_list(besluit_uuid: str, session: SessionDep, urls: UrlsDep, client: AuditReader) -> list[dict[str, Any]]:
    """The history of one besluit (empty for a besluit that does not exist (anymore): brc-009 removes it)."""
    identifier = parse_uuid(besluit_uuid)
    entries = audit_entries(session, identifier)
    if entries:
        require_besluit_access(client, urls, get_besluit(session, besluit_uuid), SCOPE_AUDITTRAILS_LEZEN)
    return [serialize_audit(entry) for entry in entries]


@router.get("/besluiten/{besluit_uuid}/audittrail/{uuid}", response_model=None)
def audittrail_read(
    besluit_uuid: str, uuid: str, request: Request, session: SessionDep, urls: UrlsDep, client: AuditReader
) -> Response:
    entry = audit_entry(session, parse_uuid(besluit_uuid), parse_uuid(uuid))
    if entry is None:
        raise not_found()
    require_besluit_access(client, urls, get_besluit(session, besluit_uuid), SCOPE_AUDITTRAILS_LEZEN)
    return cached_response(request, serialize_audit(entry))


# --- besluitinformatieobjecten ---------------------------------------------------------------------------------


@router.get("/besluitinformatieobjecten", response_model=None)
def bio_list(request: Request, session: SessionDep, urls: UrlsDep, client: Reader) -> list[dict[str, Any]]:
    filters = BesluitInformatieObjectFilters.from_query(urls, request.query_params)
    rows = session.scalars(informatieobjecten.list_query(client, urls, filters)).all()
    return [serialize_bio(urls, bio) for bio in rows]


@router.post("/besluitinformatieobjecten", status_code=201, response_model=None)
def bio_create(
    request: Request,
    data: BesluitInformatieObjectIn,
    session: SessionDep,
    urls: UrlsDep,
    resolver: ResolverDep,
    client: Creator,
) -> JSONResponse:
    bio = informatieobjecten.create_bio(_context(request, session, urls, resolver, client), data)
    return JSONResponse(serialize_bio(urls, bio), status_code=201, headers={"Location": bio_url(urls, bio)})


@router.api_route("/besluitinformatieobjecten/{uuid}", methods=["GET", "HEAD"], response_model=None)
def bio_read(uuid: str, request: Request, session: SessionDep, urls: UrlsDep, client: Reader) -> Response:
    bio = informatieobjecten.get_bio(session, uuid)
    require_besluit_access(client, urls, bio.besluit, SCOPE_BESLUITEN_ALLES_LEZEN)
    return cached_response(request, serialize_bio(urls, bio))


@router.delete("/besluitinformatieobjecten/{uuid}", status_code=204, response_model=None)
def bio_delete(
    uuid: str, request: Request, session: SessionDep, urls: UrlsDep, resolver: ResolverDep, client: Deleter
) -> Response:
    ctx = _context(request, session, urls, resolver, client)
    informatieobjecten.delete_bio(ctx, informatieobjecten.get_bio(session, uuid))
    return Response(status_code=204)
