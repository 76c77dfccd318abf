"""What a write needs besides the session: the client, URLs, resolver, content storage and audit context."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy.orm import Session

from tenant_runtime.core.audit import record_audit
from tenant_runtime.core.auth import Client
from tenant_runtime.core.outbox import publish
from tenant_runtime.core.resolver import Resolver
from tenant_runtime.core.urls import TenantUrls
from tenant_runtime.documenten.scopes import COMPONENT, KANAAL
from tenant_runtime.storage import ContentStorage


@dataclass(frozen=True, slots=True)
class WriteContext:
    client: Client
    urls: TenantUrls
    resolver: Resolver
    storage: ContentStorage
    part_size: int
    toelichting: str = ""
    request_id: str = ""


def record(
    session: Session,
    ctx: WriteContext,
    *,
    actie: str,
    resultaat: int,
    hoofd_object: str,
    hoofd_object_uuid: UUID,
    resource: str,
    resource_url: str,
    resource_weergave: str,
    oud: dict[str, Any] | None,
    nieuw: dict[str, Any] | None,
    kenmerken: dict[str, Any] | None,
    notify: bool = True,
    audit: bool = True,
) -> None:
    """Audit trail entry and notification of one change, in the transaction of the change."""
    if audit:
        record_audit(
            session,
            client=ctx.client,
            bron=COMPONENT,
            actie=actie,
            resultaat=resultaat,
            hoofd_object=hoofd_object,
            hoofd_object_uuid=hoofd_object_uuid,
            resource=resource,
            resource_url=resource_url,
            resource_weergave=resource_weergave,
            oud=oud,
            nieuw=nieuw,
            toelichting=ctx.toelichting,
            request_id=ctx.request_id,
        )
    if notify:
        publish(
            session,
            kanaal=KANAAL,
            hoofd_object=hoofd_object,
            resource=resource,
            resource_url=resource_url,
            actie=actie,
            kenmerken=kenmerken,
        )
