"""Zaakinformatieobjecten (zrc-003, zrc-004, zrc-017): a document related to a zaak, once per zaak.

The matching objectinformatieobject of a local document is implied by this row (the Documenten API derives it
through ``tenant_runtime.zaken.links``), so creating or deleting one keeps both sides in step (zrc-005)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from tenant_runtime.catalogi.models import InformatieObjectType
from tenant_runtime.core.auth import Client
from tenant_runtime.core.resolver import ResolveError, Resolver
from tenant_runtime.core.urls import TenantUrls
from tenant_runtime.documenten.models import InformatieObject
from tenant_runtime.zaken.access import require_open_or_forced, require_zaak
from tenant_runtime.zaken.catalog import zaaktype_of_zaak
from tenant_runtime.zaken.events import WriteContext, record_write
from tenant_runtime.zaken.models import Status, Zaak, ZaakInformatieObject
from tenant_runtime.zaken.schemas.common import given, require
from tenant_runtime.zaken.schemas.relaties import ZIO_REQUIRED, ZioData, serialize_zio
from tenant_runtime.zaken.scopes import SCOPES_RELATED_CREATE, SCOPES_RELATED_DELETE, SCOPES_UPDATE
from tenant_runtime.zaken.services.common import invalid, local_zaak, readable, type_condition, zaak_condition

RESOURCE = "zaakinformatieobject"


def list_query(session: Session, client: Client, urls: TenantUrls, params: dict[str, str]) -> Select[Any]:
    query = readable(session, client, urls, ZaakInformatieObject).options(
        selectinload(ZaakInformatieObject.zaak),
        selectinload(ZaakInformatieObject.informatieobject),
        selectinload(ZaakInformatieObject.status),
    )
    if params.get("zaak") is not None:
        query = query.where(zaak_condition(urls, ZaakInformatieObject, params["zaak"]))
    if params.get("informatieobject") is not None:
        query = query.where(
            type_condition(
                urls,
                ZaakInformatieObject.informatieobject_id,
                ZaakInformatieObject.informatieobject_url,
                InformatieObject,
                params["informatieobject"],
            )
        )
    return query.order_by(ZaakInformatieObject.id)


def _informatieobjecttype_omschrijving(
    session: Session, resolver: Resolver, io: InformatieObject | None, remote: dict[str, Any] | None
) -> tuple[str, str]:
    """(URL, omschrijving) of the document's informatieobjecttype."""
    if io is not None and io.informatieobjecttype_id is not None:
        iot = session.get(InformatieObjectType, io.informatieobjecttype_id)
        assert iot is not None
        return resolver.urls.resource("catalogi", "informatieobjecttypen", iot.uuid), iot.omschrijving
    url = io.informatieobjecttype_url if io is not None else str((remote or {}).get("informatieobjecttype", ""))
    ref = resolver.urls.parse_local(url)
    if ref is not None:
        iot = session.scalar(select(InformatieObjectType).where(InformatieObjectType.uuid == ref.uuid))
        return url, iot.omschrijving if iot is not None else ""
    try:
        return url, str(resolver.fetch(url).get("omschrijving", ""))
    except ResolveError:
        return url, ""


def _check_type(
    session: Session, resolver: Resolver, zaak: Zaak, io: InformatieObject | None, remote: dict[str, Any] | None
) -> None:
    """zrc-017: the document's informatieobjecttype is one of the zaaktype's."""
    url, omschrijving = _informatieobjecttype_omschrijving(session, resolver, io, remote)
    info = zaaktype_of_zaak(resolver, zaak)
    allowed = (
        omschrijving in info.informatieobjecttype_omschrijvingen
        if zaak.zaaktype_id is not None
        else url in info.informatieobjecttypen
    )
    if not allowed:
        raise invalid(
            "nonFieldErrors",
            "missing-zaaktype-informatieobjecttype-relation",
            "Het informatieobjecttype van het informatieobject hoort niet bij het zaaktype van de zaak.",
        )


def _status_of(session: Session, urls: TenantUrls, zaak: Zaak, url: str | None) -> Status | None:
    if not url:
        return None
    ref = urls.parse_local(url)
    status = (
        session.scalar(select(Status).where(Status.uuid == ref.uuid, Status.zaak_id == zaak.id))
        if ref is not None and (ref.component, ref.resource) == ("zaken", "statussen")
        else None
    )
    if status is None:
        raise invalid("status", "bad-url", "De URL verwijst niet naar een status van deze zaak.")
    return status


def create_zio(session: Session, ctx: WriteContext, resolver: Resolver, data: ZioData) -> ZaakInformatieObject:
    require(data, *ZIO_REQUIRED)
    assert data.zaak is not None and data.informatieobject is not None
    zaak = local_zaak(session, ctx.urls, data.zaak)
    require_zaak(ctx.client, ctx.urls, zaak, SCOPES_RELATED_CREATE)
    require_open_or_forced(ctx.client, ctx.urls, zaak)
    try:  # zrc-003
        found = resolver.resolve(
            data.informatieobject,
            "documenten",
            "enkelvoudiginformatieobjecten",
            check=lambda d: "informatieobjecttype" in d and "identificatie" in d,
        )
    except ResolveError as exc:
        raise invalid("informatieobject", exc.code, exc.reason) from None
    io: InformatieObject | None = found.local
    _check_type(session, resolver, zaak, io, found.remote)
    duplicate = select(ZaakInformatieObject.id).where(ZaakInformatieObject.zaak_id == zaak.id)
    duplicate = duplicate.where(
        ZaakInformatieObject.informatieobject_id == io.id
        if io is not None
        else ZaakInformatieObject.informatieobject_url == data.informatieobject
    )
    if session.scalar(duplicate) is not None:
        raise invalid("nonFieldErrors", "unique", "Dit informatieobject hoort al bij deze zaak.")
    zio = ZaakInformatieObject(
        zaak=zaak,
        informatieobject=io,
        informatieobject_url="" if io is not None else data.informatieobject,
        aard_relatie="hoort_bij",  # zrc-004
        titel=data.titel or "",
        beschrijving=data.beschrijving or "",
        vernietigingsdatum=data.vernietigingsdatum,
        status=_status_of(session, ctx.urls, zaak, data.status),
    )
    session.add(zio)
    session.flush()
    body = serialize_zio(ctx.urls, zio)
    record_write(session, ctx, zaak, resource=RESOURCE, resource_url=body["url"], actie="create", nieuw=body)
    session.commit()
    return zio


def update_zio(
    session: Session, ctx: WriteContext, zio: ZaakInformatieObject, data: ZioData, partial: bool
) -> ZaakInformatieObject:
    zaak = zio.zaak
    require_zaak(ctx.client, ctx.urls, zaak, SCOPES_UPDATE)
    require_open_or_forced(ctx.client, ctx.urls, zaak)
    if not partial:
        require(data, *ZIO_REQUIRED)
    old = serialize_zio(ctx.urls, zio)
    for name, current in (("zaak", old["zaak"]), ("informatieobject", old["informatieobject"])):
        value = getattr(data, name)
        if given(data, name) and value is not None and value != current:  # zrc-004
            raise invalid(name, "wijzigen-niet-toegelaten", "De relatie kan niet gewijzigd worden.")
    for name in ("titel", "beschrijving"):
        if given(data, name):
            setattr(zio, name, getattr(data, name) or "")
    if given(data, "vernietigingsdatum"):
        zio.vernietigingsdatum = data.vernietigingsdatum
    if given(data, "status"):
        zio.status = _status_of(session, ctx.urls, zaak, data.status)
    session.flush()
    new = serialize_zio(ctx.urls, zio)
    actie = "partial_update" if partial else "update"
    record_write(session, ctx, zaak, resource=RESOURCE, resource_url=new["url"], actie=actie, oud=old, nieuw=new)
    session.commit()
    return zio


def delete_zio(session: Session, ctx: WriteContext, zio: ZaakInformatieObject) -> None:
    zaak = zio.zaak
    require_zaak(ctx.client, ctx.urls, zaak, SCOPES_RELATED_DELETE)
    require_open_or_forced(ctx.client, ctx.urls, zaak)
    old = serialize_zio(ctx.urls, zio)
    record_write(session, ctx, zaak, resource=RESOURCE, resource_url=old["url"], actie="destroy", oud=old)
    session.delete(zio)
    session.commit()
