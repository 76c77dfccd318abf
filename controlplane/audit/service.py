"""Writing and querying the audit log. Every change made through a service writes one entry."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from controlplane.accounts.actors import Actor
from controlplane.audit.models import AuditEntry

SECRET_FIELDS = frozenset({"secret", "password", "password_hash", "token", "token_hash", "platform_secret_encrypted"})


def _clean(values: dict[str, Any] | None) -> dict[str, Any] | None:
    """Drop secrets and make values JSON-safe."""
    if values is None:
        return None
    clean: dict[str, Any] = {}
    for key, value in values.items():
        if key in SECRET_FIELDS:
            continue
        if isinstance(value, uuid.UUID | datetime):
            value = str(value) if isinstance(value, uuid.UUID) else value.isoformat()
        elif hasattr(value, "isoformat"):
            value = value.isoformat()
        elif hasattr(value, "value") and not isinstance(value, str | int | float | bool):
            value = value.value
        clean[key] = value
    return clean


def record(
    session: Session,
    actor: Actor,
    action: str,
    *,
    target_type: str,
    target_id: object,
    tenant_id: uuid.UUID | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        actor=actor.label,
        actor_id=actor.user_id,
        actor_role=actor.role.value if actor.role else "",
        via=actor.via,
        tenant_id=tenant_id,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        before=_clean(before),
        after=_clean(after),
        request_id=actor.request_id,
    )
    session.add(entry)
    return entry


@dataclass(frozen=True)
class AuditFilter:
    tenant_id: uuid.UUID | None = None
    action: str | None = None
    actor: str | None = None
    target_type: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def query(filters: AuditFilter) -> Select[AuditEntry]:
    statement = select(AuditEntry).order_by(AuditEntry.id.desc())
    if filters.tenant_id is not None:
        statement = statement.where(AuditEntry.tenant_id == filters.tenant_id)
    if filters.action:
        statement = statement.where(AuditEntry.action == filters.action)
    if filters.actor:
        statement = statement.where(AuditEntry.actor == filters.actor)
    if filters.target_type:
        statement = statement.where(AuditEntry.target_type == filters.target_type)
    if filters.since is not None:
        statement = statement.where(AuditEntry.at >= filters.since)
    if filters.until is not None:
        statement = statement.where(AuditEntry.at < filters.until)
    return statement


def snapshot(obj: object, fields: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in fields}
