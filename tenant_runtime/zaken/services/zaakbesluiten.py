"""Zaakbesluiten (``/zaken/{zaak_uuid}/besluiten``): the besluiten taken in a zaak.

For a besluit of this tenant the relation follows ``Besluit.zaak`` (kept by the Besluiten API through
``links.py``); POST and DELETE are how a Besluiten API elsewhere registers and withdraws its besluiten. Either way
the relation must agree with the besluit's own ``zaak`` (code ``inconsistent-relation``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tenant_runtime.core.problems import Problem
from tenant_runtime.core.resolver import ResolveError, Resolver
from tenant_runtime.core.urls import TenantUrls
from tenant_runtime.zaken.access import require_open_or_forced, require_zaak
from tenant_runtime.zaken.events import WriteContext, record_write, zaak_url
from tenant_runtime.zaken.models import Zaak, ZaakBesluit
from tenant_runtime.zaken.schemas.common import require
from tenant_runtime.zaken.schemas.relaties import ZaakBesluitData
from tenant_runtime.zaken.scopes import SCOPE_ZAKEN_BIJWERKEN
from tenant_runtime.zaken.services.common import invalid, not_found, parse_uuid

RESOURCE = "zaakbesluit"


def besluit_url(urls: TenantUrls, zb: ZaakBesluit) -> str:
    if zb.besluit is not None:
        return urls.resource("besluiten", "besluiten", zb.besluit.uuid)
    return zb.besluit_url


def serialize_zaakbesluit(urls: TenantUrls, zb: ZaakBesluit) -> dict[str, Any]:
    return {
        "url": f"{urls.resource('zaken', 'zaken', zb.zaak.uuid)}/besluiten/{zb.uuid}",
        "uuid": str(zb.uuid),
        "besluit": besluit_url(urls, zb),
    }


def list_for(session: Session, zaak: Zaak) -> list[ZaakBesluit]:
    return list(session.scalars(select(ZaakBesluit).where(ZaakBesluit.zaak_id == zaak.id).order_by(ZaakBesluit.id)))


def get_for(session: Session, zaak: Zaak, raw_uuid: str) -> ZaakBesluit:
    zb = session.scalar(
        select(ZaakBesluit).where(ZaakBesluit.zaak_id == zaak.id, ZaakBesluit.uuid == parse_uuid(raw_uuid))
    )
    if zb is None:
        raise not_found()
    return zb


def _writable(ctx: WriteContext, zaak: Zaak) -> None:
    require_zaak(ctx.client, ctx.urls, zaak, [SCOPE_ZAKEN_BIJWERKEN])
    require_open_or_forced(ctx.client, ctx.urls, zaak)


def create_zaakbesluit(
    session: Session, ctx: WriteContext, resolver: Resolver, zaak: Zaak, data: ZaakBesluitData
) -> ZaakBesluit:
    _writable(ctx, zaak)
    require(data, "besluit")
    assert data.besluit is not None
    own_url = zaak_url(ctx.urls, zaak)
    try:
        found = resolver.resolve(data.besluit, "besluiten", "besluiten", check=lambda d: "besluittype" in d)
    except ResolveError as exc:
        raise invalid("besluit", exc.code, exc.reason) from None
    if found.local is not None:
        linked = found.local.zaak_id == zaak.id
        duplicate = select(ZaakBesluit).where(ZaakBesluit.zaak_id == zaak.id, ZaakBesluit.besluit_id == found.local.id)
    else:
        linked = (found.remote or {}).get("zaak") == own_url
        duplicate = select(ZaakBesluit).where(ZaakBesluit.zaak_id == zaak.id, ZaakBesluit.besluit_url == data.besluit)
    if not linked:
        raise invalid("besluit", "inconsistent-relation", "Het besluit verwijst niet naar deze zaak.")
    existing = session.scalar(duplicate)
    if existing is not None:
        if found.local is not None:
            return existing  # already registered when the besluit got this zaak
        raise invalid("besluit", "unique", "Dit besluit hoort al bij deze zaak.")
    zb = ZaakBesluit(
        zaak=zaak,
        besluit=found.local,
        besluit_id=found.local.id if found.local is not None else None,
        besluit_url="" if found.local is not None else data.besluit,
    )
    session.add(zb)
    session.flush()
    body = serialize_zaakbesluit(ctx.urls, zb)
    record_write(session, ctx, zaak, resource=RESOURCE, resource_url=body["url"], actie="create", nieuw=body)
    session.commit()
    return zb


def delete_zaakbesluit(session: Session, ctx: WriteContext, resolver: Resolver, zb: ZaakBesluit) -> None:
    """Only once the besluit no longer points to the zaak (else 409: the relation is still in force)."""
    zaak = zb.zaak
    _writable(ctx, zaak)
    if zb.besluit is not None:
        still_linked = zb.besluit.zaak_id == zaak.id
    else:
        try:
            still_linked = resolver.fetch(zb.besluit_url).get("zaak") == zaak_url(ctx.urls, zaak)
        except ResolveError:
            still_linked = False  # the besluit is gone: the relation may go too
    if still_linked:
        raise Problem(409, "Het besluit verwijst nog naar deze zaak.", code="inconsistent-relation")
    old = serialize_zaakbesluit(ctx.urls, zb)
    record_write(session, ctx, zaak, resource=RESOURCE, resource_url=old["url"], actie="destroy", oud=old)
    session.delete(zb)
    session.commit()
