"""Every write on the Zaken API leaves an audit trail record and a notification on kanaal ``zaken`` in the same
transaction as the change (the caller commits)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from tenant_runtime.core.audit import record_audit
from tenant_runtime.core.auth import Client
from tenant_runtime.core.outbox import publish
from tenant_runtime.core.urls import TenantUrls
from tenant_runtime.zaken.models import Zaak
from tenant_runtime.zaken.scopes import COMPONENT

KANAAL = "zaken"

_STATUS_OF = {"create": 201, "destroy": 204}


@dataclass(frozen=True, slots=True)
class WriteContext:
    """Who writes, and how URLs are built, for one request."""

    client: Client
    urls: TenantUrls
    toelichting: str = ""


def zaak_url(urls: TenantUrls, zaak: Zaak) -> str:
    return urls.resource("zaken", "zaken", zaak.uuid)


def zaaktype_url(urls: TenantUrls, zaak: Zaak) -> str:
    if zaak.zaaktype_id is not None and zaak.zaaktype is not None:
        return urls.resource("catalogi", "zaaktypen", zaak.zaaktype.uuid)
    return zaak.zaaktype_url


def record_write(
    session: Session,
    ctx: WriteContext,
    zaak: Zaak,
    *,
    resource: str,
    resource_url: str,
    actie: str,
    oud: dict[str, Any] | None = None,
    nieuw: dict[str, Any] | None = None,
    weergave: str = "",
) -> None:
    """Audit trail entry (hoofdObject: the zaak) plus the notification with the zaak's kenmerken."""
    hoofd_object = zaak_url(ctx.urls, zaak)
    record_audit(
        session,
        client=ctx.client,
        bron=COMPONENT,
        actie=actie,
        resultaat=_STATUS_OF.get(actie, 200),
        hoofd_object=hoofd_object,
        hoofd_object_uuid=zaak.uuid,
        resource=resource,
        resource_url=resource_url,
        resource_weergave=weergave,
        oud=oud,
        nieuw=nieuw,
        toelichting=ctx.toelichting,
    )
    notify(session, ctx, zaak, resource=resource, resource_url=resource_url, actie=actie)


def notify(session: Session, ctx: WriteContext, zaak: Zaak, *, resource: str, resource_url: str, actie: str) -> None:
    """The notification on kanaal ``zaken`` with the zaak's kenmerken."""
    publish(
        session,
        kanaal=KANAAL,
        hoofd_object=zaak_url(ctx.urls, zaak),
        resource=resource,
        resource_url=resource_url,
        actie=actie,
        kenmerken={
            "bronorganisatie": zaak.bronorganisatie,
            "zaaktype": zaaktype_url(ctx.urls, zaak),
            "vertrouwelijkheidaanduiding": zaak.vertrouwelijkheidaanduiding,
        },
    )
