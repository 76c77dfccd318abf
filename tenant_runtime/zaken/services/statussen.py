"""Statussen: setting a status, closing a zaak with its eindstatus (zrc-007, zrc-021) and reopening it (zrc-008)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from tenant_runtime.catalogi.models import StatusType
from tenant_runtime.core.auth import Client
from tenant_runtime.core.resolver import Resolver
from tenant_runtime.core.urls import TenantUrls
from tenant_runtime.documenten.models import InformatieObject, InformatieObjectVersie
from tenant_runtime.zaken.access import forbidden, zaak_access
from tenant_runtime.zaken.catalog import _remote_resultaattype, resolve_statustype, resultaattype_info
from tenant_runtime.zaken.events import WriteContext, record_write
from tenant_runtime.zaken.filters import _bool
from tenant_runtime.zaken.models import Resultaat, Rol, Status, Zaak, ZaakInformatieObject
from tenant_runtime.zaken.schemas.common import require
from tenant_runtime.zaken.schemas.status import STATUS_REQUIRED, StatusData, serialize_status
from tenant_runtime.zaken.scopes import SCOPE_ZAKEN_HEROPENEN, SCOPES_STATUS_CREATE
from tenant_runtime.zaken.services.archief import derive_archiving
from tenant_runtime.zaken.services.common import invalid, local_zaak, readable, type_condition, zaak_condition

RESOURCE = "status"


def serialize_statussen(session: Session, urls: TenantUrls, statussen: Sequence[Status]) -> list[dict[str, Any]]:
    """Batch: the latest status per zaak and the zaakinformatieobjecten per status, one query each."""
    if not statussen:
        return []
    zaak_ids = {s.zaak_id for s in statussen}
    latest: dict[int, int] = {}
    for zaak_id, status_id in session.execute(
        select(Status.zaak_id, Status.id)
        .where(Status.zaak_id.in_(zaak_ids))
        .order_by(Status.zaak_id, Status.datum_status_gezet, Status.id)
    ):
        latest[zaak_id] = status_id
    zios: dict[int | None, list[str]] = defaultdict(list)
    for owner_id, uuid in session.execute(
        select(ZaakInformatieObject.status_id, ZaakInformatieObject.uuid)
        .where(ZaakInformatieObject.status_id.in_([s.id for s in statussen]))
        .order_by(ZaakInformatieObject.id)
    ):
        zios[owner_id].append(urls.resource("zaken", "zaakinformatieobjecten", uuid))
    return [serialize_status(urls, s, latest.get(s.zaak_id) == s.id, zios.get(s.id, [])) for s in statussen]


def list_query(session: Session, client: Client, urls: TenantUrls, params: dict[str, str]) -> Select[Any]:
    query = readable(session, client, urls, Status).options(
        selectinload(Status.zaak), selectinload(Status.statustype), selectinload(Status.gezetdoor)
    )
    if params.get("zaak") is not None:
        query = query.where(zaak_condition(urls, Status, params["zaak"]))
    if params.get("statustype") is not None:
        query = query.where(
            type_condition(urls, Status.statustype_id, Status.statustype_url, StatusType, params["statustype"])
        )
    if params.get("indicatieLaatstGezetteStatus") is not None:
        wanted = _bool("indicatieLaatstGezetteStatus", params["indicatieLaatstGezetteStatus"])
        newest = (
            select(Status.id)
            .where(Status.zaak_id == Zaak.id)
            .order_by(Status.datum_status_gezet.desc(), Status.id.desc())
            .limit(1)
            .correlate(Zaak)
            .scalar_subquery()
        )
        query = query.where(Status.id == newest if wanted else Status.id != newest)
    return query.order_by(Status.id)


def _check_closable(session: Session, zaak: Zaak) -> None:
    """zrc-007: closing needs a resultaat, and every document's indicatieGebruiksrecht must be set."""
    if session.scalar(select(Resultaat.id).where(Resultaat.zaak_id == zaak.id)) is None:
        raise invalid(
            "nonFieldErrors",
            "resultaat-does-not-exist",
            "De zaak heeft geen resultaat; een zaak kan pas afgesloten worden als er een resultaat is.",
        )
    latest_version = (
        select(func.max(InformatieObjectVersie.versie))
        .where(InformatieObjectVersie.informatieobject_id == InformatieObject.id)
        .correlate(InformatieObject)
        .scalar_subquery()
    )
    unset = session.scalar(
        select(func.count())
        .select_from(ZaakInformatieObject)
        .join(InformatieObject, InformatieObject.id == ZaakInformatieObject.informatieobject_id)
        .join(
            InformatieObjectVersie,
            (InformatieObjectVersie.informatieobject_id == InformatieObject.id)
            & (InformatieObjectVersie.versie == latest_version),
        )
        .where(ZaakInformatieObject.zaak_id == zaak.id, InformatieObjectVersie.indicatie_gebruiksrecht.is_(None))
    )
    if unset:
        raise invalid(
            "nonFieldErrors",
            "indicatiegebruiksrecht-unset",
            "Van alle informatieobjecten van de zaak moet indicatieGebruiksrecht gezet zijn.",
        )


def _close(session: Session, resolver: Resolver, zaak: Zaak, status: Status) -> None:
    _check_closable(session, zaak)
    zaak.einddatum = status.datum_status_gezet.date()
    resultaat = session.scalar(select(Resultaat).where(Resultaat.zaak_id == zaak.id))
    assert resultaat is not None
    if resultaat.resultaattype is not None:
        info = resultaattype_info(resolver.urls, resultaat.resultaattype)
    else:
        info = _remote_resultaattype(resultaat.resultaattype_url, resolver.fetch(resultaat.resultaattype_url))
    derive_archiving(session, resolver, zaak, info)


def _reopen(zaak: Zaak) -> None:
    """zrc-008: a zaak that leaves its eindstatus loses einddatum, archiefactiedatum and archiefnominatie."""
    zaak.einddatum = None
    zaak.archiefactiedatum = None
    zaak.archiefnominatie = None


def create_status(session: Session, ctx: WriteContext, resolver: Resolver, data: StatusData) -> Status:
    require(data, *STATUS_REQUIRED)
    assert data.zaak is not None and data.statustype is not None and data.datum_status_gezet is not None
    zaak = local_zaak(session, ctx.urls, data.zaak)
    if not zaak_access(ctx.client, ctx.urls, SCOPES_STATUS_CREATE).allows(zaak):
        raise forbidden()
    if zaak.einddatum is not None and not zaak_access(ctx.client, ctx.urls, [SCOPE_ZAKEN_HEROPENEN]).allows(zaak):
        raise forbidden("Het heropenen van een gesloten zaak vereist de scope zaken.heropenen.")
    statustype = resolve_statustype(resolver, data.statustype)
    same_type = (
        statustype.local.zaaktype_id == zaak.zaaktype_id
        if statustype.local is not None
        else zaak.zaaktype_id is None and statustype.info.zaaktype == zaak.zaaktype_url
    )
    if not same_type:  # zrc-016
        raise invalid("statustype", "zaaktype-mismatch", "Het statustype hoort niet bij het zaaktype van de zaak.")
    gezetdoor = None
    if data.gezetdoor:
        ref = ctx.urls.parse_local(data.gezetdoor)
        gezetdoor = (
            session.scalar(select(Rol).where(Rol.uuid == ref.uuid, Rol.zaak_id == zaak.id))
            if ref is not None and (ref.component, ref.resource) == ("zaken", "rollen")
            else None
        )
        if gezetdoor is None:
            raise invalid("gezetdoor", "bad-url", "De URL verwijst niet naar een rol van deze zaak.")
    gezet = data.datum_status_gezet if data.datum_status_gezet.tzinfo else data.datum_status_gezet.replace(tzinfo=UTC)
    status = Status(
        zaak=zaak,
        statustype_id=statustype.local.id if statustype.local is not None else None,
        statustype_url="" if statustype.local is not None else statustype.url,
        datum_status_gezet=gezet,
        statustoelichting=data.statustoelichting or "",
        gezetdoor=gezetdoor,
        is_eindstatus=statustype.info.is_eindstatus,
    )
    status.statustype = statustype.local
    session.add(status)
    if statustype.info.is_eindstatus:
        _close(session, resolver, zaak, status)
    elif zaak.einddatum is not None:
        _reopen(zaak)
    session.flush()
    body = serialize_statussen(session, ctx.urls, [status])[0]
    record_write(session, ctx, zaak, resource=RESOURCE, resource_url=body["url"], actie="create", nieuw=body)
    session.commit()
    return status
