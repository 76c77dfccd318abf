"""Routes of ``/zaken/{zaak_uuid}/besluiten``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy.orm import Session
from starlette.responses import JSONResponse, Response

from tenant_runtime.core.deps import ResolverDep, SessionDep, UrlsDep
from tenant_runtime.core.problems import Problem
from tenant_runtime.zaken.access import require_zaak
from tenant_runtime.zaken.models import Zaak
from tenant_runtime.zaken.routes.common import created
from tenant_runtime.zaken.routes.deps import Bijwerker, Ctx, Reader
from tenant_runtime.zaken.schemas.relaties import ZaakBesluitData
from tenant_runtime.zaken.scopes import SCOPE_ZAKEN_ALLES_LEZEN
from tenant_runtime.zaken.services import zaakbesluiten
from tenant_runtime.zaken.services.common import get_or_404, invalid

router = APIRouter(tags=["zaakbesluiten"])


def _zaak_or_none(session: Session, raw_uuid: str) -> Zaak | None:
    try:
        return get_or_404(session, Zaak, raw_uuid)
    except Problem:
        return None


@router.get("/zaken/{zaak_uuid}/besluiten", response_model=None)
def zaakbesluit_list(zaak_uuid: str, session: SessionDep, urls: UrlsDep, client: Reader) -> list[dict[str, Any]]:
    zaak = _zaak_or_none(session, zaak_uuid)
    if zaak is None:
        return []  # the document lists no 404 for this list
    require_zaak(client, urls, zaak, [SCOPE_ZAKEN_ALLES_LEZEN])
    return [zaakbesluiten.serialize_zaakbesluit(urls, zb) for zb in zaakbesluiten.list_for(session, zaak)]


@router.post("/zaken/{zaak_uuid}/besluiten", status_code=201, response_model=None)
def zaakbesluit_create(
    zaak_uuid: str,
    data: ZaakBesluitData,
    session: SessionDep,
    urls: UrlsDep,
    resolver: ResolverDep,
    _: Bijwerker,
    ctx: Ctx,
) -> JSONResponse:
    zaak = _zaak_or_none(session, zaak_uuid)
    if zaak is None:  # the document lists no 404 for this create
        raise invalid("zaak", "does_not_exist", "De zaak uit het pad bestaat niet.")
    zb = zaakbesluiten.create_zaakbesluit(session, ctx, resolver, zaak, data)
    return created(zaakbesluiten.serialize_zaakbesluit(urls, zb))


@router.get("/zaken/{zaak_uuid}/besluiten/{uuid}", response_model=None)
def zaakbesluit_read(zaak_uuid: str, uuid: str, session: SessionDep, urls: UrlsDep, client: Reader) -> dict[str, Any]:
    zaak = get_or_404(session, Zaak, zaak_uuid)
    require_zaak(client, urls, zaak, [SCOPE_ZAKEN_ALLES_LEZEN])
    return zaakbesluiten.serialize_zaakbesluit(urls, zaakbesluiten.get_for(session, zaak, uuid))


@router.delete("/zaken/{zaak_uuid}/besluiten/{uuid}", status_code=204, response_model=None)
def zaakbesluit_delete(
    zaak_uuid: str, uuid: str, session: SessionDep, resolver: ResolverDep, _: Bijwerker, ctx: Ctx
) -> Response:
    zaak = get_or_404(session, Zaak, zaak_uuid)
    zaakbesluiten.delete_zaakbesluit(session, ctx, resolver, zaakbesluiten.get_for(session, zaak, uuid))
    return Response(status_code=204)
