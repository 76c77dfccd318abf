"""Routes of ``/zaakinformatieobjecten``, ``/zaken/{zaak_uuid}/zaakeigenschappen``, ``/klantcontacten``,
``/zaakcontactmomenten``, ``/zaakverzoeken`` and ``/zaken/{zaak_uuid}/audittrail``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.responses import JSONResponse, Response

from tenant_runtime.core.audit import audit_entries, audit_entry, serialize_audit
from tenant_runtime.core.deps import ResolverDep, SessionDep, UrlsDep
from tenant_runtime.core.problems import Problem
from tenant_runtime.zaken.access import require_zaak
from tenant_runtime.zaken.models import KlantContact, Zaak, ZaakContactMoment, ZaakInformatieObject, ZaakVerzoek
from tenant_runtime.zaken.routes.common import created, detail, page, readable_one
from tenant_runtime.zaken.routes.deps import (
    AuditReader,
    Bijwerker,
    Ctx,
    Reader,
    RelatedCreator,
    RelatedDeleter,
    Updater,
)
from tenant_runtime.zaken.schemas.relaties import (
    KlantContactData,
    ZaakContactMomentData,
    ZaakEigenschapData,
    ZaakVerzoekData,
    ZioData,
    serialize_klantcontact,
    serialize_zaakeigenschap,
    serialize_zio,
)
from tenant_runtime.zaken.scopes import SCOPE_AUDITTRAILS_LEZEN, SCOPE_ZAKEN_ALLES_LEZEN
from tenant_runtime.zaken.services import contacten, zaakeigenschappen, zaakinformatieobjecten
from tenant_runtime.zaken.services.common import get_or_404, invalid, not_found, parse_uuid

router = APIRouter(tags=["zaakinformatieobjecten", "zaakeigenschappen", "klantcontacten", "audittrails"])


def _zaak_or_none(session: Session, raw_uuid: str) -> Zaak | None:
    try:
        return get_or_404(session, Zaak, raw_uuid)
    except Problem:
        return None


# --- zaakinformatieobjecten -------------------------------------------------------------------------------------


@router.get("/zaakinformatieobjecten", response_model=None)
def zio_list(request: Request, session: SessionDep, urls: UrlsDep, client: Reader) -> list[dict[str, Any]]:
    query = zaakinformatieobjecten.list_query(session, client, urls, dict(request.query_params))
    return [serialize_zio(urls, z) for z in session.scalars(query)]


@router.post("/zaakinformatieobjecten", status_code=201, response_model=None)
def zio_create(
    data: ZioData, session: SessionDep, urls: UrlsDep, resolver: ResolverDep, _: RelatedCreator, ctx: Ctx
) -> JSONResponse:
    return created(serialize_zio(urls, zaakinformatieobjecten.create_zio(session, ctx, resolver, data)))


@router.api_route("/zaakinformatieobjecten/{uuid}", methods=["GET", "HEAD"], response_model=None)
def zio_read(uuid: str, request: Request, session: SessionDep, urls: UrlsDep, client: Reader) -> Response:
    return detail(request, serialize_zio(urls, readable_one(session, client, urls, ZaakInformatieObject, uuid)))


@router.put("/zaakinformatieobjecten/{uuid}", response_model=None)
def zio_update(uuid: str, data: ZioData, session: SessionDep, urls: UrlsDep, _: Updater, ctx: Ctx) -> dict[str, Any]:
    zio = get_or_404(session, ZaakInformatieObject, uuid)
    return serialize_zio(urls, zaakinformatieobjecten.update_zio(session, ctx, zio, data, False))


@router.patch("/zaakinformatieobjecten/{uuid}", response_model=None)
def zio_partial_update(
    uuid: str, data: ZioData, session: SessionDep, urls: UrlsDep, _: Updater, ctx: Ctx
) -> dict[str, Any]:
    zio = get_or_404(session, ZaakInformatieObject, uuid)
    return serialize_zio(urls, zaakinformatieobjecten.update_zio(session, ctx, zio, data, True))


@router.delete("/zaakinformatieobjecten/{uuid}", status_code=204, response_model=None)
def zio_delete(uuid: str, session: SessionDep, _: RelatedDeleter, ctx: Ctx) -> Response:
    zaakinformatieobjecten.delete_zio(session, ctx, get_or_404(session, ZaakInformatieObject, uuid))
    return Response(status_code=204)


# --- zaakeigenschappen (nested) -------------------------------------------------------------------------------


@router.get("/zaken/{zaak_uuid}/zaakeigenschappen", response_model=None)
def zaakeigenschap_list(zaak_uuid: str, session: SessionDep, urls: UrlsDep, client: Reader) -> list[dict[str, Any]]:
    zaak = _zaak_or_none(session, zaak_uuid)
    if zaak is None:
        return []  # the document lists no 404 for this list
    require_zaak(client, urls, zaak, [SCOPE_ZAKEN_ALLES_LEZEN])
    return [serialize_zaakeigenschap(urls, ze) for ze in zaakeigenschappen.list_for(session, zaak)]


@router.post("/zaken/{zaak_uuid}/zaakeigenschappen", status_code=201, response_model=None)
def zaakeigenschap_create(
    zaak_uuid: str,
    data: ZaakEigenschapData,
    session: SessionDep,
    urls: UrlsDep,
    resolver: ResolverDep,
    _: Updater,
    ctx: Ctx,
) -> JSONResponse:
    zaak = _zaak_or_none(session, zaak_uuid)
    if zaak is None:  # the document lists no 404 for this create
        raise invalid("zaak", "does_not_exist", "De zaak uit het pad bestaat niet.")
    ze = zaakeigenschappen.create_zaakeigenschap(session, ctx, resolver, zaak, data)
    return created(serialize_zaakeigenschap(urls, ze))


@router.api_route("/zaken/{zaak_uuid}/zaakeigenschappen/{uuid}", methods=["GET", "HEAD"], response_model=None)
def zaakeigenschap_read(
    zaak_uuid: str, uuid: str, request: Request, session: SessionDep, urls: UrlsDep, client: Reader
) -> Response:
    zaak = get_or_404(session, Zaak, zaak_uuid)
    require_zaak(client, urls, zaak, [SCOPE_ZAKEN_ALLES_LEZEN])
    return detail(request, serialize_zaakeigenschap(urls, zaakeigenschappen.get_for(session, zaak, uuid)))


def _update_zaakeigenschap(
    zaak_uuid: str, uuid: str, data: ZaakEigenschapData, session: Any, urls: Any, resolver: Any, ctx: Any, partial: bool
) -> dict[str, Any]:
    zaak = get_or_404(session, Zaak, zaak_uuid)
    ze = zaakeigenschappen.get_for(session, zaak, uuid)
    ze = zaakeigenschappen.update_zaakeigenschap(session, ctx, resolver, ze, data, partial)
    return serialize_zaakeigenschap(urls, ze)


@router.put("/zaken/{zaak_uuid}/zaakeigenschappen/{uuid}", response_model=None)
def zaakeigenschap_update(
    zaak_uuid: str,
    uuid: str,
    data: ZaakEigenschapData,
    session: SessionDep,
    urls: UrlsDep,
    resolver: ResolverDep,
    _: Updater,
    ctx: Ctx,
) -> dict[str, Any]:
    return _update_zaakeigenschap(zaak_uuid, uuid, data, session, urls, resolver, ctx, False)


@router.patch("/zaken/{zaak_uuid}/zaakeigenschappen/{uuid}", response_model=None)
def zaakeigenschap_partial_update(
    zaak_uuid: str,
    uuid: str,
    data: ZaakEigenschapData,
    session: SessionDep,
    urls: UrlsDep,
    resolver: ResolverDep,
    _: Updater,
    ctx: Ctx,
) -> dict[str, Any]:
    return _update_zaakeigenschap(zaak_uuid, uuid, data, session, urls, resolver, ctx, True)


@router.delete("/zaken/{zaak_uuid}/zaakeigenschappen/{uuid}", status_code=204, response_model=None)
def zaakeigenschap_delete(zaak_uuid: str, uuid: str, session: SessionDep, _: Updater, ctx: Ctx) -> Response:
    zaak = get_or_404(session, Zaak, zaak_uuid)
    zaakeigenschappen.delete_zaakeigenschap(session, ctx, zaakeigenschappen.get_for(session, zaak, uuid))
    return Response(status_code=204)


# --- klantcontacten, zaakcontactmomenten, zaakverzoeken --------------------------------------------------------


@router.get("/klantcontacten", response_model=None)
def klantcontact_list(request: Request, session: SessionDep, urls: UrlsDep, client: Reader) -> dict[str, Any]:
    query = contacten.list_query(session, client, urls, KlantContact, dict(request.query_params), ())
    return page(session, request, urls, query, lambda rows: [serialize_klantcontact(urls, k) for k in rows])


@router.post("/klantcontacten", status_code=201, response_model=None)
def klantcontact_create(
    data: KlantContactData, session: SessionDep, urls: UrlsDep, _: Updater, ctx: Ctx
) -> JSONResponse:
    return created(serialize_klantcontact(urls, contacten.create_klantcontact(session, ctx, data)))


@router.get("/klantcontacten/{uuid}", response_model=None)
def klantcontact_read(uuid: str, session: SessionDep, urls: UrlsDep, client: Reader) -> dict[str, Any]:
    return serialize_klantcontact(urls, readable_one(session, client, urls, KlantContact, uuid))


@router.get("/zaakcontactmomenten", response_model=None)
def zaakcontactmoment_list(
    request: Request, session: SessionDep, urls: UrlsDep, client: Reader
) -> list[dict[str, Any]]:
    params = dict(request.query_params)
    query = contacten.list_query(session, client, urls, ZaakContactMoment, params, ("contactmoment",))
    return [contacten.serialize_relation(urls, z) for z in session.scalars(query)]


@router.post("/zaakcontactmomenten", status_code=201, response_model=None)
def zaakcontactmoment_create(
    data: ZaakContactMomentData, session: SessionDep, urls: UrlsDep, _: Bijwerker, ctx: Ctx
) -> JSONResponse:
    return created(contacten.serialize_relation(urls, contacten.create_relation(session, ctx, data)))


@router.get("/zaakcontactmomenten/{uuid}", response_model=None)
def zaakcontactmoment_read(uuid: str, session: SessionDep, urls: UrlsDep, client: Reader) -> dict[str, Any]:
    return contacten.serialize_relation(urls, readable_one(session, client, urls, ZaakContactMoment, uuid))


@router.delete("/zaakcontactmomenten/{uuid}", status_code=204, response_model=None)
def zaakcontactmoment_delete(uuid: str, session: SessionDep, _: Bijwerker, ctx: Ctx) -> Response:
    contacten.delete_relation(session, ctx, get_or_404(session, ZaakContactMoment, uuid))
    return Response(status_code=204)


@router.get("/zaakverzoeken", response_model=None)
def zaakverzoek_list(request: Request, session: SessionDep, urls: UrlsDep, client: Reader) -> list[dict[str, Any]]:
    query = contacten.list_query(session, client, urls, ZaakVerzoek, dict(request.query_params), ("verzoek",))
    return [contacten.serialize_relation(urls, z) for z in session.scalars(query)]


@router.post("/zaakverzoeken", status_code=201, response_model=None)
def zaakverzoek_create(
    data: ZaakVerzoekData, session: SessionDep, urls: UrlsDep, _: Bijwerker, ctx: Ctx
) -> JSONResponse:
    return created(contacten.serialize_relation(urls, contacten.create_relation(session, ctx, data)))


@router.get("/zaakverzoeken/{uuid}", response_model=None)
def zaakverzoek_read(uuid: str, session: SessionDep, urls: UrlsDep, client: Reader) -> dict[str, Any]:
    return contacten.serialize_relation(urls, readable_one(session, client, urls, ZaakVerzoek, uuid))


@router.delete("/zaakverzoeken/{uuid}", status_code=204, response_model=None)
def zaakverzoek_delete(uuid: str, session: SessionDep, _: Bijwerker, ctx: Ctx) -> Response:
    contacten.delete_relation(session, ctx, get_or_404(session, ZaakVerzoek, uuid))
    return Response(status_code=204)


# --- audit trail ----------------------------------------------------------------------------------------------


@router.get("/zaken/{zaak_uuid}/audittrail", response_model=None)
def audittrail_list(zaak_uuid: str, session: SessionDep, urls: UrlsDep, client: AuditReader) -> list[dict[str, Any]]:
    zaak = _zaak_or_none(session, zaak_uuid)
    if zaak is None:
        return []  # the document lists no 404 here: an unknown (or destroyed) zaak has no audit trail
    require_zaak(client, urls, zaak, [SCOPE_AUDITTRAILS_LEZEN])
    return [serialize_audit(e) for e in audit_entries(session, zaak.uuid)]


@router.get("/zaken/{zaak_uuid}/audittrail/{uuid}", response_model=None)
def audittrail_read(
    zaak_uuid: str, uuid: str, session: SessionDep, urls: UrlsDep, client: AuditReader
) -> dict[str, Any]:
    zaak = get_or_404(session, Zaak, zaak_uuid)
    require_zaak(client, urls, zaak, [SCOPE_AUDITTRAILS_LEZEN])
    entry = audit_entry(session, zaak.uuid, parse_uuid(uuid))
    if entry is None:
        raise not_found()
    return serialize_audit(entry)
