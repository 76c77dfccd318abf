"""``/api/v1/audit``: the audit log (operators: everything; municipality admins: their own tenant)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy import func, select

from controlplane.audit import service
from controlplane.audit.models import AuditEntry
from controlplane.deps import ManagerActor, SessionDep

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


class AuditOut(BaseModel):
    id: int
    at: datetime
    actor: str
    actor_role: str
    via: str
    tenant_id: uuid.UUID | None
    action: str
    target_type: str
    target_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    request_id: str


class AuditList(BaseModel):
    count: int
    results: list[AuditOut]


def to_out(entry: AuditEntry) -> AuditOut:
    return AuditOut.model_validate(entry, from_attributes=True)


@router.get("", response_model=AuditList)
def query_audit(
    actor: ManagerActor,
    session: SessionDep,
    tenant_id: uuid.UUID | None = None,
    action: Annotated[str | None, Query(max_length=100)] = None,
    by: Annotated[str | None, Query(max_length=254, description="Actor (e-mail or 'system').")] = None,
    target_type: Annotated[str | None, Query(max_length=50)] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> AuditList:
    if not actor.is_operator:
        tenant_id = actor.tenant_id  # a municipality admin only ever sees their own tenant's entries
    statement = service.query(service.AuditFilter(tenant_id, action, by, target_type, since, until))
    total = session.scalar(select(func.count()).select_from(statement.order_by(None).subquery())) or 0
    entries = session.scalars(statement.limit(limit).offset(offset))
    return AuditList(count=total, results=[to_out(e) for e in entries])
