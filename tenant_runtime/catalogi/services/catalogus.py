"""Catalogussen: create, read and list (the standard has no changes or deletion of a catalogus)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select

from tenant_runtime.catalogi.models import Catalogus
from tenant_runtime.catalogi.schemas import CatalogusIn
from tenant_runtime.catalogi.services.common import Ctx, filtered
from tenant_runtime.core.problems import InvalidParam, validation_problem
from tenant_runtime.logging import get_logger

log = get_logger(__name__)


def create(ctx: Ctx, data: CatalogusIn) -> Catalogus:
    existing = ctx.session.scalar(
        select(Catalogus.id).where(Catalogus.domein == data.domein, Catalogus.rsin == data.rsin).limit(1)
    )
    if existing is not None:
        raise validation_problem(
            [InvalidParam("nonFieldErrors", "unique", "Er bestaat al een catalogus met dit domein en RSIN.")]
        )
    catalogus = Catalogus(
        domein=data.domein,
        rsin=data.rsin,
        contactpersoon_beheer_naam=data.contactpersoon_beheer_naam,
        contactpersoon_beheer_telefoonnummer=data.contactpersoon_beheer_telefoonnummer,
        contactpersoon_beheer_emailadres=data.contactpersoon_beheer_emailadres,
        naam=data.naam,
        versie=data.versie,
        begindatum_versie=data.begindatum_versie,
    )
    ctx.session.add(catalogus)
    ctx.session.commit()
    log.info("catalogus_created", uuid=str(catalogus.uuid), client_id=ctx.client.client_id)
    return catalogus


def _in(raw: str | None) -> list[str] | None:
    if raw is None:
        return None
    return [part.strip() for part in raw.split(",") if part.strip()]


def list_query(params: dict[str, Any]) -> Select[Any]:
    domein_in = _in(params.get("domein__in"))
    rsin_in = _in(params.get("rsin__in"))
    return filtered(
        select(Catalogus).order_by(Catalogus.id),
        Catalogus.domein == params["domein"] if params.get("domein") is not None else None,
        Catalogus.rsin == params["rsin"] if params.get("rsin") is not None else None,
        Catalogus.domein.in_(domein_in) if domein_in is not None else None,
        Catalogus.rsin.in_(rsin_in) if rsin_in is not None else None,
    )
