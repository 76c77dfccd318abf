"""The notifications outbox: every write puts its notification here in the same transaction.

Delivery (to the Notificaties API's abonnementen) drains this table; nothing is lost when a process dies
between the commit and the delivery.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import JSON, DateTime, Integer, String, Uuid
from sqlalchemy.orm import Mapped, Session, mapped_column

from tenant_runtime.db.base import TenantBase


class OutboxMessage(TenantBase):
    __tablename__ = "notificaties_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[UUID] = mapped_column(Uuid, unique=True, default=uuid4)
    kanaal: Mapped[str] = mapped_column(String(50), index=True)
    hoofd_object: Mapped[str] = mapped_column(String(1000))
    resource: Mapped[str] = mapped_column(String(100))
    resource_url: Mapped[str] = mapped_column(String(1000))
    actie: Mapped[str] = mapped_column(String(100))
    aanmaakdatum: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    kenmerken: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    # Set by the delivery worker once every matching abonnement has it (or it is dead-lettered).
    dispatched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None, index=True)


def publish(
    session: Session,
    *,
    kanaal: str,
    hoofd_object: str,
    resource: str,
    resource_url: str,
    actie: str,
    kenmerken: dict[str, Any] | None = None,
) -> OutboxMessage:
    """Queue a notification (the standard's kanaal/hoofdObject/resource/resourceUrl/actie/kenmerken)."""
    message = OutboxMessage(
        kanaal=kanaal,
        hoofd_object=hoofd_object,
        resource=resource,
        resource_url=resource_url,
        actie=actie,
        aanmaakdatum=datetime.now(UTC),
        kenmerken={k: "" if v is None else str(v) for k, v in (kenmerken or {}).items()},
    )
    session.add(message)
    return message


def message_body(message: OutboxMessage) -> dict[str, Any]:
    """The notification as POSTed to the Notificaties API / an abonnement's callback."""
    return {
        "kanaal": message.kanaal,
        "hoofdObject": message.hoofd_object,
        "resource": message.resource,
        "resourceUrl": message.resource_url,
        "actie": message.actie,
        "aanmaakdatum": message.aanmaakdatum.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "kenmerken": message.kenmerken,
    }
