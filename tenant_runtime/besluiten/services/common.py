"""What the besluiten services share: the request context, lookups, audit and notifications."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from pydantic.alias_generators import to_camel
from sqlalchemy import select
from sqlalchemy.orm import Session

from tenant_runtime.besluiten.models import Besluit
from tenant_runtime.besluiten.schemas import besluit_url, besluittype_url
from tenant_runtime.besluiten.scopes import BRON, KANAAL
from tenant_runtime.core.audit import record_audit
from tenant_runtime.core.auth import Client
from tenant_runtime.core.outbox import publish
from tenant_runtime.core.problems import InvalidParam, Problem
from tenant_runtime.core.resolver import Resolver
from tenant_runtime.core.urls import TenantUrls


@dataclass(frozen=True, slots=True)
class Context:
    """One request's unit of work: the tenant session, the client, URL building and reference resolution."""

    session: Session
    client: Client
    urls: TenantUrls
    resolver: Resolver
    toelichting: str = ""


def not_found() -> Problem:
    return Problem(404, "Niet gevonden.", code="not_found")


def parse_uuid(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise not_found() from None


def get_besluit(session: Session, raw_uuid: str) -> Besluit:
    besluit = session.scalar(select(Besluit).where(Besluit.uuid == parse_uuid(raw_uuid)))
    if besluit is None:
        raise not_found()
    return besluit


def required(name: str) -> InvalidParam:
    return InvalidParam(to_camel(name), "required", "Dit veld is vereist.")


def audit(
    ctx: Context,
    besluit: Besluit,
    *,
    actie: str,
    resultaat: int,
    resource: str,
    resource_url: str,
    oud: dict[str, Any] | None = None,
    nieuw: dict[str, Any] | None = None,
) -> None:
    record_audit(
        ctx.session,
        client=ctx.client,
        bron=BRON,
        actie=actie,
        resultaat=resultaat,
        hoofd_object=besluit_url(ctx.urls, besluit),
        hoofd_object_uuid=besluit.uuid,
        resource=resource,
        resource_url=resource_url,
        resource_weergave=besluit.identificatie if resource == "besluit" else resource_url.rsplit("/", 1)[-1],
        oud=oud,
        nieuw=nieuw,
        toelichting=ctx.toelichting,
    )


def notify(ctx: Context, besluit: Besluit, *, resource: str, resource_url: str, actie: str) -> None:
    """A notificatie on kanaal ``besluiten``: hoofdObject is the besluit, with its kenmerken."""
    publish(
        ctx.session,
        kanaal=KANAAL,
        hoofd_object=besluit_url(ctx.urls, besluit),
        resource=resource,
        resource_url=resource_url,
        actie=actie,
        kenmerken={
            "verantwoordelijkeOrganisatie": besluit.verantwoordelijke_organisatie,
            "besluittype": besluittype_url(ctx.urls, besluit),
        },
    )
