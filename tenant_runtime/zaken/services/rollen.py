"""Rollen: betrokkenen of a zaak in a roltype of its zaaktype (zrc-019), with their identificatie."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from tenant_runtime.catalogi.models import RolType
from tenant_runtime.core.auth import Client
from tenant_runtime.core.resolver import Resolver
from tenant_runtime.core.urls import TenantUrls
from tenant_runtime.zaken.access import require_open_or_forced, require_zaak
from tenant_runtime.zaken.catalog import resolve_roltype
from tenant_runtime.zaken.events import WriteContext, record_write
from tenant_runtime.zaken.filters import rol_conditions
from tenant_runtime.zaken.models import Rol, Status
from tenant_runtime.zaken.schemas.common import require
from tenant_runtime.zaken.schemas.rol import ROL_REQUIRED, RolData, serialize_rol
from tenant_runtime.zaken.scopes import SCOPES_UPDATE
from tenant_runtime.zaken.services.common import invalid, local_zaak, readable, type_condition, zaak_condition
from tenant_runtime.zaken.spec_schemas import betrokkene_schemas, validate_identificatie

RESOURCE = "rol"

# betrokkeneIdentificatie key → Rol column holding it for the filters
_KEYS = {
    "natuurlijk_persoon": {"inpBsn": "inp_bsn", "anpIdentificatie": "anp_identificatie", "inpA_nummer": "inp_a_nummer"},
    "niet_natuurlijk_persoon": {"innNnpId": "inn_nnp_id", "annIdentificatie": "ann_identificatie"},
    "vestiging": {"vestigingsNummer": "vestigings_nummer"},
    "organisatorische_eenheid": {"identificatie": "identificatie"},
    "medewerker": {"identificatie": "identificatie"},
}


def serialize_rollen(session: Session, urls: TenantUrls, rollen: Sequence[Rol]) -> list[dict[str, Any]]:
    statussen: dict[int | None, list[str]] = defaultdict(list)
    if rollen:
        for rol_id, uuid in session.execute(
            select(Status.gezetdoor_id, Status.uuid).where(Status.gezetdoor_id.in_([r.id for r in rollen]))
        ):
            statussen[rol_id].append(urls.resource("zaken", "statussen", uuid))
    return [serialize_rol(urls, rol, statussen.get(rol.id, [])) for rol in rollen]


def list_query(session: Session, client: Client, urls: TenantUrls, params: dict[str, str]) -> Select[Any]:
    query = readable(session, client, urls, Rol).options(selectinload(Rol.zaak), selectinload(Rol.roltype))
    if params.get("zaak") is not None:
        query = query.where(zaak_condition(urls, Rol, params["zaak"]))
    if params.get("roltype") is not None:
        query = query.where(type_condition(urls, Rol.roltype_id, Rol.roltype_url, RolType, params["roltype"]))
    if params.get("omschrijving") is not None:
        query = query.where(Rol.omschrijving == params["omschrijving"])
    conditions = rol_conditions("", params)
    return (query.where(*conditions) if conditions else query).order_by(Rol.id)


def create_rol(session: Session, ctx: WriteContext, resolver: Resolver, data: RolData) -> Rol:
    require(data, *ROL_REQUIRED)
    assert data.zaak is not None and data.roltype is not None and data.betrokkene_type is not None
    zaak = local_zaak(session, ctx.urls, data.zaak)
    require_zaak(ctx.client, ctx.urls, zaak, SCOPES_UPDATE)
    require_open_or_forced(ctx.client, ctx.urls, zaak)
    roltype = resolve_roltype(resolver, data.roltype)
    same_type = (
        roltype.local.zaaktype_id == zaak.zaaktype_id
        if roltype.local is not None
        else zaak.zaaktype_id is None and roltype.info.zaaktype == zaak.zaaktype_url
    )
    if not same_type:  # zrc-019
        raise invalid("roltype", "zaaktype-mismatch", "Het roltype hoort niet bij het zaaktype van de zaak.")
    identificatie = data.betrokkene_identificatie
    if not data.betrokkene and not identificatie:
        raise invalid(
            "nonFieldErrors", "invalid-betrokkene", "Geef de betrokkene op als URL of met betrokkeneIdentificatie."
        )
    rol = Rol(
        zaak=zaak,
        betrokkene=data.betrokkene or "",
        betrokkene_type=data.betrokkene_type,
        afwijkende_naam_betrokkene=data.afwijkende_naam_betrokkene or "",
        roltype_id=roltype.local.id if roltype.local is not None else None,
        roltype_url="" if roltype.local is not None else roltype.url,
        omschrijving=roltype.info.omschrijving[:100],
        omschrijving_generiek=roltype.info.omschrijving_generiek[:80],
        roltoelichting=data.roltoelichting or "",
        indicatie_machtiging=data.indicatie_machtiging or "",
        contactpersoon_rol=data.contactpersoon_rol.model_dump(by_alias=True) if data.contactpersoon_rol else None,
        betrokkene_identificatie=identificatie,
    )
    rol.roltype = roltype.local
    if identificatie is not None:
        validate_identificatie("betrokkeneIdentificatie", betrokkene_schemas()[data.betrokkene_type], identificatie)
        for key, column in _KEYS[data.betrokkene_type].items():
            value = identificatie.get(key)
            if isinstance(value, str):
                setattr(rol, column, value[: getattr(Rol, column).type.length])
    session.add(rol)
    session.flush()
    body = serialize_rollen(session, ctx.urls, [rol])[0]
    record_write(session, ctx, zaak, resource=RESOURCE, resource_url=body["url"], actie="create", nieuw=body)
    session.commit()
    return rol


def delete_rol(session: Session, ctx: WriteContext, rol: Rol) -> None:
    zaak = rol.zaak
    require_zaak(ctx.client, ctx.urls, zaak, SCOPES_UPDATE)
    require_open_or_forced(ctx.client, ctx.urls, zaak)
    old = serialize_rollen(session, ctx.urls, [rol])[0]
    record_write(session, ctx, zaak, resource=RESOURCE, resource_url=old["url"], actie="destroy", oud=old)
    session.delete(rol)
    session.commit()
