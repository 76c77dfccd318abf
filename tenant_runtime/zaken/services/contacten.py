"""Klantcontacten, zaakcontactmomenten and zaakverzoeken: simple records and relations of a zaak."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from sqlalchemy import Select
from sqlalchemy.orm import Session, selectinload

from tenant_runtime.core.auth import Client
from tenant_runtime.core.urls import TenantUrls
from tenant_runtime.zaken.access import require_open_or_forced, require_zaak
from tenant_runtime.zaken.events import WriteContext, record_write
from tenant_runtime.zaken.models import KlantContact, ZaakContactMoment, ZaakVerzoek
from tenant_runtime.zaken.schemas.common import require
from tenant_runtime.zaken.schemas.relaties import (
    KLANTCONTACT_REQUIRED,
    KlantContactData,
    ZaakContactMomentData,
    ZaakVerzoekData,
    serialize_klantcontact,
    serialize_zaakcontactmoment,
    serialize_zaakverzoek,
)
from tenant_runtime.zaken.scopes import SCOPE_ZAKEN_BIJWERKEN, SCOPES_UPDATE
from tenant_runtime.zaken.services.common import local_zaak, readable, zaak_condition


def list_query(
    session: Session, client: Client, urls: TenantUrls, model: type[Any], params: dict[str, str], exact: tuple[str, ...]
) -> Select[Any]:
    """List of ``model`` the client may read, filtered on ``zaak`` and the ``exact`` URL fields."""
    query = readable(session, client, urls, model).options(selectinload(model.zaak))
    if params.get("zaak") is not None:
        query = query.where(zaak_condition(urls, model, params["zaak"]))
    for name in exact:
        if params.get(name) is not None:
            query = query.where(getattr(model, name) == params[name])
    return query.order_by(model.id)


def create_klantcontact(session: Session, ctx: WriteContext, data: KlantContactData) -> KlantContact:
    require(data, *KLANTCONTACT_REQUIRED)
    assert data.zaak is not None and data.datumtijd is not None
    zaak = local_zaak(session, ctx.urls, data.zaak)
    require_zaak(ctx.client, ctx.urls, zaak, SCOPES_UPDATE)
    require_open_or_forced(ctx.client, ctx.urls, zaak)
    moment = data.datumtijd if data.datumtijd.tzinfo else data.datumtijd.replace(tzinfo=UTC)
    kc = KlantContact(
        zaak=zaak,
        identificatie=data.identificatie or "",
        datumtijd=moment,
        kanaal=data.kanaal or "",
        onderwerp=data.onderwerp or "",
        toelichting=data.toelichting or "",
    )
    session.add(kc)
    session.flush()
    if not kc.identificatie:
        kc.identificatie = f"KC{kc.id:012d}"[:14]
    body = serialize_klantcontact(ctx.urls, kc)
    record_write(session, ctx, zaak, resource="klantcontact", resource_url=body["url"], actie="create", nieuw=body)
    session.commit()
    return kc


def create_relation(
    session: Session, ctx: WriteContext, data: ZaakContactMomentData | ZaakVerzoekData
) -> ZaakContactMoment | ZaakVerzoek:
    """A zaakcontactmoment or zaakverzoek: the zaak of this tenant and the URL of the other object."""
    field = "contactmoment" if isinstance(data, ZaakContactMomentData) else "verzoek"
    require(data, "zaak", field)
    assert data.zaak is not None
    zaak = local_zaak(session, ctx.urls, data.zaak)
    require_zaak(ctx.client, ctx.urls, zaak, [SCOPE_ZAKEN_BIJWERKEN])
    require_open_or_forced(ctx.client, ctx.urls, zaak)
    obj: ZaakContactMoment | ZaakVerzoek
    if isinstance(data, ZaakContactMomentData):
        assert data.contactmoment is not None
        obj = ZaakContactMoment(zaak=zaak, contactmoment=data.contactmoment)
    else:
        assert data.verzoek is not None
        obj = ZaakVerzoek(zaak=zaak, verzoek=data.verzoek)
    session.add(obj)
    session.flush()
    body = serialize_relation(ctx.urls, obj)
    resource = "zaakcontactmoment" if field == "contactmoment" else "zaakverzoek"
    record_write(session, ctx, zaak, resource=resource, resource_url=body["url"], actie="create", nieuw=body)
    session.commit()
    return obj


def serialize_relation(urls: TenantUrls, obj: ZaakContactMoment | ZaakVerzoek) -> dict[str, Any]:
    if isinstance(obj, ZaakContactMoment):
        return serialize_zaakcontactmoment(urls, obj)
    return serialize_zaakverzoek(urls, obj)


def delete_relation(session: Session, ctx: WriteContext, obj: ZaakContactMoment | ZaakVerzoek) -> None:
    zaak = obj.zaak
    require_zaak(ctx.client, ctx.urls, zaak, [SCOPE_ZAKEN_BIJWERKEN])
    require_open_or_forced(ctx.client, ctx.urls, zaak)
    old = serialize_relation(ctx.urls, obj)
    resource = "zaakcontactmoment" if isinstance(obj, ZaakContactMoment) else "zaakverzoek"
    record_write(session, ctx, zaak, resource=resource, resource_url=old["url"], actie="destroy", oud=old)
    session.delete(obj)
    session.commit()
