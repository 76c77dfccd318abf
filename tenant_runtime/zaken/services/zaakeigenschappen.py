"""Zaakeigenschappen (nested under a zaak): an eigenschap of the zaak's zaaktype (zrc-018) with a waarde that
fits the eigenschap's specificatie (formaat, lengte, waardenverzameling)."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from tenant_runtime.core.resolver import Resolver
from tenant_runtime.zaken.access import require_open_or_forced, require_zaak
from tenant_runtime.zaken.catalog import EigenschapInfo, resolve_eigenschap
from tenant_runtime.zaken.events import WriteContext, record_write
from tenant_runtime.zaken.models import Zaak, ZaakEigenschap
from tenant_runtime.zaken.schemas.common import given, require
from tenant_runtime.zaken.schemas.relaties import ZAAKEIGENSCHAP_REQUIRED, ZaakEigenschapData, serialize_zaakeigenschap
from tenant_runtime.zaken.scopes import SCOPES_UPDATE
from tenant_runtime.zaken.services.common import invalid, not_found, parse_uuid

RESOURCE = "zaakeigenschap"


def _fits_format(formaat: str, waarde: str) -> bool:
    if formaat == "getal":
        try:
            Decimal(waarde.replace(",", "."))
        except InvalidOperation:
            return False
        return True
    if formaat == "datum":
        for pattern in ("%Y%m%d", "%Y-%m-%d"):
            try:
                datetime.strptime(waarde, pattern)
                return True
            except ValueError:
                continue
        return False
    if formaat == "datum_tijd":
        for pattern in ("%Y%m%d%H%M%S",):
            try:
                datetime.strptime(waarde, pattern)
                return True
            except ValueError:
                continue
        try:
            datetime.fromisoformat(waarde.replace("Z", "+00:00"))
        except ValueError:
            return False
        return True
    return True


def validate_waarde(info: EigenschapInfo, waarde: str) -> None:
    """The waarde against the eigenschap's specificatie (as far as it can be checked)."""
    if info.waardenverzameling and waarde not in info.waardenverzameling:
        raise invalid("waarde", "invalid", f"De waarde moet één van {', '.join(info.waardenverzameling)} zijn.")
    if not _fits_format(info.formaat, waarde):
        raise invalid("waarde", "invalid", f"De waarde past niet bij het formaat '{info.formaat}'.")
    if info.formaat == "tekst" and re.fullmatch(r"\d+", info.lengte or "") and len(waarde) > int(info.lengte):
        raise invalid("waarde", "max_length", f"De waarde mag hooguit {info.lengte} tekens lang zijn.")


def list_for(session: Session, zaak: Zaak) -> list[ZaakEigenschap]:
    return list(
        session.scalars(select(ZaakEigenschap).where(ZaakEigenschap.zaak_id == zaak.id).order_by(ZaakEigenschap.id))
    )


def get_for(session: Session, zaak: Zaak, raw_uuid: str) -> ZaakEigenschap:
    ze = session.scalar(
        select(ZaakEigenschap).where(ZaakEigenschap.zaak_id == zaak.id, ZaakEigenschap.uuid == parse_uuid(raw_uuid))
    )
    if ze is None:
        raise not_found()
    return ze


def _set_eigenschap(resolver: Resolver, ze: ZaakEigenschap, zaak: Zaak, url: str) -> EigenschapInfo:
    eigenschap = resolve_eigenschap(resolver, url)
    same_type = (
        eigenschap.local.zaaktype_id == zaak.zaaktype_id
        if eigenschap.local is not None
        else zaak.zaaktype_id is None and eigenschap.info.zaaktype == zaak.zaaktype_url
    )
    if not same_type:  # zrc-018
        raise invalid("eigenschap", "zaaktype-mismatch", "De eigenschap hoort niet bij het zaaktype van de zaak.")
    ze.eigenschap = eigenschap.local
    ze.eigenschap_id = eigenschap.local.id if eigenschap.local is not None else None
    ze.eigenschap_url = "" if eigenschap.local is not None else eigenschap.url
    ze.naam = eigenschap.info.naam[:20]
    return eigenschap.info


def _check_zaak_url(ctx: WriteContext, zaak: Zaak, data: ZaakEigenschapData) -> None:
    if given(data, "zaak") and data.zaak is not None and data.zaak != ctx.urls.resource("zaken", "zaken", zaak.uuid):
        raise invalid("zaak", "wijzigen-niet-toegelaten", "De zaak moet de zaak uit het pad zijn.")


def create_zaakeigenschap(
    session: Session, ctx: WriteContext, resolver: Resolver, zaak: Zaak, data: ZaakEigenschapData
) -> ZaakEigenschap:
    require_zaak(ctx.client, ctx.urls, zaak, SCOPES_UPDATE)
    require_open_or_forced(ctx.client, ctx.urls, zaak)
    require(data, *ZAAKEIGENSCHAP_REQUIRED)
    assert data.eigenschap is not None and data.waarde is not None
    _check_zaak_url(ctx, zaak, data)
    ze = ZaakEigenschap(zaak=zaak, waarde=data.waarde)
    info = _set_eigenschap(resolver, ze, zaak, data.eigenschap)
    validate_waarde(info, data.waarde)
    session.add(ze)
    session.flush()
    body = serialize_zaakeigenschap(ctx.urls, ze)
    record_write(session, ctx, zaak, resource=RESOURCE, resource_url=body["url"], actie="create", nieuw=body)
    session.commit()
    return ze


def update_zaakeigenschap(
    session: Session, ctx: WriteContext, resolver: Resolver, ze: ZaakEigenschap, data: ZaakEigenschapData, partial: bool
) -> ZaakEigenschap:
    zaak = ze.zaak
    require_zaak(ctx.client, ctx.urls, zaak, SCOPES_UPDATE)
    require_open_or_forced(ctx.client, ctx.urls, zaak)
    if not partial:
        require(data, *ZAAKEIGENSCHAP_REQUIRED)
    _check_zaak_url(ctx, zaak, data)
    old = serialize_zaakeigenschap(ctx.urls, ze)
    if given(data, "eigenschap") and data.eigenschap is not None and data.eigenschap != old["eigenschap"]:
        raise invalid("eigenschap", "wijzigen-niet-toegelaten", "De eigenschap kan niet gewijzigd worden.")
    if given(data, "waarde") and data.waarde is not None:
        ze.waarde = data.waarde
    info = _set_eigenschap(resolver, ze, zaak, old["eigenschap"])
    validate_waarde(info, ze.waarde)
    session.flush()
    new = serialize_zaakeigenschap(ctx.urls, ze)
    actie = "partial_update" if partial else "update"
    record_write(session, ctx, zaak, resource=RESOURCE, resource_url=new["url"], actie=actie, oud=old, nieuw=new)
    session.commit()
    return ze


def delete_zaakeigenschap(session: Session, ctx: WriteContext, ze: ZaakEigenschap) -> None:
    zaak = ze.zaak
    require_zaak(ctx.client, ctx.urls, zaak, SCOPES_UPDATE)
    require_open_or_forced(ctx.client, ctx.urls, zaak)
    old = serialize_zaakeigenschap(ctx.urls, ze)
    record_write(session, ctx, zaak, resource=RESOURCE, resource_url=old["url"], actie="destroy", oud=old)
    session.delete(ze)
    session.commit()
