"""Besluitinformatieobjecten: a document recording (part of) a besluit (brc-003, brc-005, brc-008).

For a document of this tenant the Documenten API derives the objectinformatieobject from this row
(``tenant_runtime.besluiten.links``), so brc-005 holds within the installation by construction.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from tenant_runtime.besluiten import catalog
from tenant_runtime.besluiten.access import allowed_besluittypen, require_besluit_access
from tenant_runtime.besluiten.filters import BesluitInformatieObjectFilters
from tenant_runtime.besluiten.models import Besluit, BesluitInformatieObject
from tenant_runtime.besluiten.schemas import BesluitInformatieObjectIn, bio_url, serialize_bio
from tenant_runtime.besluiten.scopes import (
    SCOPE_BESLUITEN_AANMAKEN,
    SCOPE_BESLUITEN_ALLES_LEZEN,
    SCOPE_BESLUITEN_ALLES_VERWIJDEREN,
)
from tenant_runtime.besluiten.services.common import Context, audit, not_found, notify, parse_uuid
from tenant_runtime.core.auth import Client
from tenant_runtime.core.problems import InvalidParam, validation_problem
from tenant_runtime.core.resolver import ResolveError
from tenant_runtime.core.urls import TenantUrls
from tenant_runtime.logging import get_logger

log = get_logger(__name__)
RESOURCE = "besluitinformatieobject"


def list_query(client: Client, urls: TenantUrls, filters: BesluitInformatieObjectFilters) -> Select[Any]:
    allowed = allowed_besluittypen(client, urls, [SCOPE_BESLUITEN_ALLES_LEZEN])
    return (
        select(BesluitInformatieObject)
        .join(Besluit, BesluitInformatieObject.besluit_id == Besluit.id)
        .where(allowed.condition(), *filters.conditions())
        .order_by(BesluitInformatieObject.id)
    )


def get_bio(session: Session, raw_uuid: str) -> BesluitInformatieObject:
    query = select(BesluitInformatieObject).where(BesluitInformatieObject.uuid == parse_uuid(raw_uuid))
    bio = session.scalar(query)
    if bio is None:
        raise not_found()
    return bio


def _besluit_of(ctx: Context, url: str) -> Besluit:
    """The besluit must be one of this tenant (a besluitinformatieobject lives with its besluit)."""
    ref = ctx.urls.parse_local(url)
    if ref is None or (ref.component, ref.resource) != ("besluiten", "besluiten"):
        raise validation_problem(
            [InvalidParam("besluit", "no_match", "De URL verwijst niet naar een besluit van deze API.")]
        )
    query = select(Besluit).where(Besluit.uuid == ref.uuid)
    if ctx.session.get_bind().dialect.name == "postgresql":
        # Serialise the besluitinformatieobjecten of one besluit, so the uniqueness check below holds.
        query = query.with_for_update(of=Besluit)
    besluit = ctx.session.scalar(query)
    if besluit is None:
        raise validation_problem([InvalidParam("besluit", "does_not_exist", "Het besluit bestaat niet.")])
    return besluit


def _already_linked(ctx: Context, besluit: Besluit, informatieobject: Any | None, url: str) -> bool:
    column = (
        BesluitInformatieObject.informatieobject_id == informatieobject.id
        if informatieobject is not None
        else BesluitInformatieObject.informatieobject_url == url
    )
    existing = ctx.session.scalar(
        select(BesluitInformatieObject.id).where(BesluitInformatieObject.besluit_id == besluit.id, column)
    )
    return existing is not None


def _besluittype_of(ctx: Context, besluit: Besluit) -> catalog.TypeRef:
    if besluit.besluittype is not None:
        url = ctx.urls.resource("catalogi", "besluittypen", besluit.besluittype.uuid)
        return catalog.TypeRef(url=url, local=besluit.besluittype)
    return catalog.resolve_type(ctx.resolver, besluit.besluittype_url, "besluittypen")


def create_bio(ctx: Context, data: BesluitInformatieObjectIn) -> BesluitInformatieObject:
    besluit = _besluit_of(ctx, data.besluit)
    require_besluit_access(ctx.client, ctx.urls, besluit, SCOPE_BESLUITEN_AANMAKEN)
    try:
        informatieobject = catalog.resolve_informatieobject(ctx.resolver, data.informatieobject)
    except ResolveError as exc:
        raise validation_problem([exc.param("informatieobject")]) from None
    if _already_linked(ctx, besluit, informatieobject.local, data.informatieobject):
        raise validation_problem(
            [InvalidParam("nonFieldErrors", "unique", "Dit informatieobject is al aan dit besluit gekoppeld.")]
        )
    try:
        besluittype = _besluittype_of(ctx, besluit)
        informatieobjecttype = catalog.informatieobjecttype_of(ctx.resolver, informatieobject)
    except ResolveError as exc:
        raise validation_problem([InvalidParam("nonFieldErrors", exc.code, exc.reason)]) from None
    if not catalog.informatieobjecttype_of_besluittype(informatieobjecttype, besluittype):
        raise validation_problem(
            [
                InvalidParam(
                    "nonFieldErrors",
                    "missing-besluit-informatieobjecttype-relation",
                    "Het informatieobjecttype hoort niet bij het besluittype van het besluit.",
                )
            ]
        )
    bio = BesluitInformatieObject(
        besluit=besluit,
        informatieobject=informatieobject.local,
        informatieobject_url="" if informatieobject.local is not None else data.informatieobject,
    )
    ctx.session.add(bio)
    ctx.session.flush()
    url = bio_url(ctx.urls, bio)
    audit(
        ctx,
        besluit,
        actie="create",
        resultaat=201,
        resource=RESOURCE,
        resource_url=url,
        nieuw=serialize_bio(ctx.urls, bio),
    )
    notify(ctx, besluit, resource=RESOURCE, resource_url=url, actie="create")
    ctx.session.commit()
    log.info("besluitinformatieobject_created", besluitinformatieobject=str(bio.uuid), besluit=str(besluit.uuid))
    return bio


def delete_bio(ctx: Context, bio: BesluitInformatieObject) -> None:
    besluit = bio.besluit
    require_besluit_access(ctx.client, ctx.urls, besluit, SCOPE_BESLUITEN_ALLES_VERWIJDEREN)
    url = bio_url(ctx.urls, bio)
    audit(
        ctx,
        besluit,
        actie="destroy",
        resultaat=204,
        resource=RESOURCE,
        resource_url=url,
        oud=serialize_bio(ctx.urls, bio),
    )
    notify(ctx, besluit, resource=RESOURCE, resource_url=url, actie="destroy")
    ctx.session.delete(bio)
    ctx.session.commit()
    log.info("besluitinformatieobject_deleted", besluitinformatieobject=str(bio.uuid))
