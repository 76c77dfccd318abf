"""Resultaten: one per zaak, of a resultaattype of the zaak's zaaktype (zrc-020)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from tenant_runtime.catalogi.models import ResultaatType
from tenant_runtime.core.auth import Client
from tenant_runtime.core.resolver import Resolver
from tenant_runtime.core.urls import TenantUrls
from tenant_runtime.zaken.access import require_open_or_forced, require_zaak
from tenant_runtime.zaken.catalog import resolve_resultaattype
from tenant_runtime.zaken.events import WriteContext, record_write
from tenant_runtime.zaken.models import Resultaat, Zaak
from tenant_runtime.zaken.schemas.common import given, require
from tenant_runtime.zaken.schemas.status import RESULTAAT_REQUIRED, ResultaatData, serialize_resultaat
from tenant_runtime.zaken.scopes import SCOPES_UPDATE
from tenant_runtime.zaken.services.common import invalid, local_zaak, readable, type_condition, zaak_condition

RESOURCE = "resultaat"


def list_query(session: Session, client: Client, urls: TenantUrls, params: dict[str, str]) -> Select[Any]:
    query = readable(session, client, urls, Resultaat).options(
        selectinload(Resultaat.zaak), selectinload(Resultaat.resultaattype)
    )
    if params.get("zaak") is not None:
        query = query.where(zaak_condition(urls, Resultaat, params["zaak"]))
    if params.get("resultaattype") is not None:
        query = query.where(
            type_condition(
                urls, Resultaat.resultaattype_id, Resultaat.resultaattype_url, ResultaatType, params["resultaattype"]
            )
        )
    return query.order_by(Resultaat.id)


def _set_type(resolver: Resolver, resultaat: Resultaat, zaak: Zaak, url: str) -> None:
    resultaattype = resolve_resultaattype(resolver, url)
    same_type = (
        resultaattype.local.zaaktype_id == zaak.zaaktype_id
        if resultaattype.local is not None
        else zaak.zaaktype_id is None and resultaattype.info.zaaktype == zaak.zaaktype_url
    )
    if not same_type:
        raise invalid(
            "resultaattype", "zaaktype-mismatch", "Het resultaattype hoort niet bij het zaaktype van de zaak."
        )
    resultaat.resultaattype = resultaattype.local
    resultaat.resultaattype_id = resultaattype.local.id if resultaattype.local is not None else None
    resultaat.resultaattype_url = "" if resultaattype.local is not None else resultaattype.url


def _writable_zaak(ctx: WriteContext, zaak: Zaak) -> None:
    require_zaak(ctx.client, ctx.urls, zaak, SCOPES_UPDATE)
    require_open_or_forced(ctx.client, ctx.urls, zaak)


def create_resultaat(session: Session, ctx: WriteContext, resolver: Resolver, data: ResultaatData) -> Resultaat:
    require(data, *RESULTAAT_REQUIRED)
    assert data.zaak is not None and data.resultaattype is not None
    zaak = local_zaak(session, ctx.urls, data.zaak)
    _writable_zaak(ctx, zaak)
    if session.scalar(select(Resultaat.id).where(Resultaat.zaak_id == zaak.id)) is not None:
        raise invalid("zaak", "unique", "De zaak heeft al een resultaat.")
    resultaat = Resultaat(zaak=zaak, toelichting=data.toelichting or "")
    _set_type(resolver, resultaat, zaak, data.resultaattype)
    session.add(resultaat)
    session.flush()
    body = serialize_resultaat(ctx.urls, resultaat)
    record_write(session, ctx, zaak, resource=RESOURCE, resource_url=body["url"], actie="create", nieuw=body)
    session.commit()
    return resultaat


def update_resultaat(
    session: Session, ctx: WriteContext, resolver: Resolver, resultaat: Resultaat, data: ResultaatData, partial: bool
) -> Resultaat:
    zaak = resultaat.zaak
    _writable_zaak(ctx, zaak)
    if not partial:
        require(data, *RESULTAAT_REQUIRED)
    old = serialize_resultaat(ctx.urls, resultaat)
    if given(data, "zaak") and data.zaak is not None and data.zaak != old["zaak"]:
        raise invalid("zaak", "wijzigen-niet-toegelaten", "De zaak van een resultaat kan niet gewijzigd worden.")
    if given(data, "resultaattype") and data.resultaattype is not None:
        _set_type(resolver, resultaat, zaak, data.resultaattype)
    if given(data, "toelichting"):
        resultaat.toelichting = data.toelichting or ""
    session.flush()
    new = serialize_resultaat(ctx.urls, resultaat)
    actie = "partial_update" if partial else "update"
    record_write(session, ctx, zaak, resource=RESOURCE, resource_url=new["url"], actie=actie, oud=old, nieuw=new)
    session.commit()
    return resultaat


def delete_resultaat(session: Session, ctx: WriteContext, resultaat: Resultaat) -> None:
    zaak = resultaat.zaak
    _writable_zaak(ctx, zaak)
    old = serialize_resultaat(ctx.urls, resultaat)
    record_write(session, ctx, zaak, resource=RESOURCE, resource_url=old["url"], actie="destroy", oud=old)
    session.delete(resultaat)
    session.commit()
