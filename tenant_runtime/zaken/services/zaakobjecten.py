"""Zaakobjecten: what a zaak is about, by URL or by an objectIdentificatie of its objectType."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select
from sqlalchemy.orm import Session, selectinload

from tenant_runtime.core.auth import Client
from tenant_runtime.core.resolver import Resolver
from tenant_runtime.core.urls import TenantUrls
from tenant_runtime.zaken.access import require_open_or_forced, require_zaak
from tenant_runtime.zaken.catalog import resolve_zaakobjecttype
from tenant_runtime.zaken.events import WriteContext, record_write
from tenant_runtime.zaken.filters import _choice
from tenant_runtime.zaken.models import Zaak, ZaakObject
from tenant_runtime.zaken.schemas.common import given, require
from tenant_runtime.zaken.schemas.rol import ZAAKOBJECT_REQUIRED, ZaakObjectData, serialize_zaakobject
from tenant_runtime.zaken.scopes import SCOPES_RELATED_CREATE, SCOPES_RELATED_DELETE, SCOPES_UPDATE
from tenant_runtime.zaken.services.common import invalid, local_zaak, readable, zaak_condition
from tenant_runtime.zaken.spec_schemas import object_schemas, validate_identificatie

RESOURCE = "zaakobject"


def list_query(session: Session, client: Client, urls: TenantUrls, params: dict[str, str]) -> Select[Any]:
    from typing import get_args

    from tenant_runtime.zaken.schemas.rol import ObjectType

    query = readable(session, client, urls, ZaakObject).options(
        selectinload(ZaakObject.zaak), selectinload(ZaakObject.zaakobjecttype)
    )
    if params.get("zaak") is not None:
        query = query.where(zaak_condition(urls, ZaakObject, params["zaak"]))
    if params.get("object") is not None:
        query = query.where(ZaakObject.object == params["object"])
    if params.get("objectType") is not None:
        query = query.where(ZaakObject.object_type == _choice("objectType", params["objectType"], get_args(ObjectType)))
    return query.order_by(ZaakObject.id)


def _apply(resolver: Resolver, zaakobject: ZaakObject, zaak: Zaak, data: ZaakObjectData) -> None:
    for name in ("object", "object_type_overige", "relatieomschrijving"):
        if given(data, name):
            setattr(zaakobject, name, getattr(data, name) or "")
    if given(data, "object_type") and data.object_type is not None:
        zaakobject.object_type = data.object_type
    if given(data, "object_type_overige_definitie"):
        definitie = data.object_type_overige_definitie
        zaakobject.object_type_overige_definitie = definitie.model_dump(by_alias=True) if definitie else None
    if given(data, "object_identificatie"):
        zaakobject.object_identificatie = data.object_identificatie
    if given(data, "zaakobjecttype"):
        zaakobjecttype = resolve_zaakobjecttype(resolver, data.zaakobjecttype) if data.zaakobjecttype else None
        if zaakobjecttype is not None:
            same_type = (
                zaakobjecttype.local.zaaktype_id == zaak.zaaktype_id
                if zaakobjecttype.local is not None
                else zaak.zaaktype_id is None and zaakobjecttype.info == zaak.zaaktype_url
            )
            if not same_type:
                raise invalid(
                    "zaakobjecttype", "zaaktype-mismatch", "Het zaakobjecttype hoort niet bij het zaaktype van de zaak."
                )
        zaakobject.zaakobjecttype = zaakobjecttype.local if zaakobjecttype is not None else None
        zaakobject.zaakobjecttype_id = zaakobject.zaakobjecttype.id if zaakobject.zaakobjecttype else None
        zaakobject.zaakobjecttype_url = (
            zaakobjecttype.url if zaakobjecttype is not None and zaakobjecttype.local is None else ""
        )
    _validate(zaakobject)


def _validate(zaakobject: ZaakObject) -> None:
    if zaakobject.object_type == "overige" and not zaakobject.object_type_overige:
        raise invalid(
            "objectTypeOverige", "missing-object-type-overige", "Bij objectType 'overige' is objectTypeOverige vereist."
        )
    if zaakobject.object_type != "overige" and zaakobject.object_type_overige:
        raise invalid(
            "objectTypeOverige", "invalid-object-type-overige-usage", "objectTypeOverige past alleen bij 'overige'."
        )
    if zaakobject.object_identificatie is not None:
        schema = object_schemas().get(zaakobject.object_type)
        if schema is None:
            raise invalid(
                "objectIdentificatie",
                "invalid",
                f"Objecten van type '{zaakobject.object_type}' worden alleen met een URL (object) aangeduid.",
            )
        validate_identificatie("objectIdentificatie", schema, zaakobject.object_identificatie)
    elif not zaakobject.object:
        raise invalid("nonFieldErrors", "invalid-zaakobject", "Geef het object op als URL of met objectIdentificatie.")


def create_zaakobject(session: Session, ctx: WriteContext, resolver: Resolver, data: ZaakObjectData) -> ZaakObject:
    require(data, *ZAAKOBJECT_REQUIRED)
    assert data.zaak is not None
    zaak = local_zaak(session, ctx.urls, data.zaak)
    require_zaak(ctx.client, ctx.urls, zaak, SCOPES_RELATED_CREATE)
    require_open_or_forced(ctx.client, ctx.urls, zaak)
    zaakobject = ZaakObject(zaak=zaak, object="", object_type_overige="", relatieomschrijving="")
    _apply(resolver, zaakobject, zaak, data)
    session.add(zaakobject)
    session.flush()
    body = serialize_zaakobject(ctx.urls, zaakobject)
    record_write(session, ctx, zaak, resource=RESOURCE, resource_url=body["url"], actie="create", nieuw=body)
    session.commit()
    return zaakobject


def update_zaakobject(
    session: Session, ctx: WriteContext, resolver: Resolver, zaakobject: ZaakObject, data: ZaakObjectData, partial: bool
) -> ZaakObject:
    zaak = zaakobject.zaak
    require_zaak(ctx.client, ctx.urls, zaak, SCOPES_UPDATE)
    require_open_or_forced(ctx.client, ctx.urls, zaak)
    if not partial:
        require(data, *ZAAKOBJECT_REQUIRED)
    old = serialize_zaakobject(ctx.urls, zaakobject)
    if given(data, "zaak") and data.zaak is not None and data.zaak != old["zaak"]:
        raise invalid("zaak", "wijzigen-niet-toegelaten", "De zaak van een zaakobject kan niet gewijzigd worden.")
    if given(data, "object_type") and data.object_type is not None and data.object_type != zaakobject.object_type:
        raise invalid("objectType", "wijzigen-niet-toegelaten", "Het objectType kan niet gewijzigd worden.")
    _apply(resolver, zaakobject, zaak, data)
    session.flush()
    new = serialize_zaakobject(ctx.urls, zaakobject)
    actie = "partial_update" if partial else "update"
    record_write(session, ctx, zaak, resource=RESOURCE, resource_url=new["url"], actie=actie, oud=old, nieuw=new)
    session.commit()
    return zaakobject


def delete_zaakobject(session: Session, ctx: WriteContext, zaakobject: ZaakObject) -> None:
    zaak = zaakobject.zaak
    require_zaak(ctx.client, ctx.urls, zaak, SCOPES_RELATED_DELETE)
    require_open_or_forced(ctx.client, ctx.urls, zaak)
    old = serialize_zaakobject(ctx.urls, zaakobject)
    record_write(session, ctx, zaak, resource=RESOURCE, resource_url=old["url"], actie="destroy", oud=old)
    session.delete(zaakobject)
    session.commit()
