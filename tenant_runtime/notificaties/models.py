"""Kanalen, abonnementen and the delivery of outbox messages to them (per tenant database).

Delivery state lives next to the outbox (``tenant_runtime.core.outbox``): fanning out a message creates one
``Delivery`` per matching abonnement; every HTTP attempt appends a ``DeliveryAttempt`` (the delivery log).
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from uuid import UUID, uuid4

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, foreign, mapped_column, relationship

from tenant_runtime.core.outbox import OutboxMessage
from tenant_runtime.db.base import TenantBase


def utcnow() -> datetime:
    return datetime.now(UTC)


class Kanaal(TenantBase):
    __tablename__ = "notificaties_kanaal"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[UUID] = mapped_column(Uuid, unique=True, default=uuid4)
    naam: Mapped[str] = mapped_column(String(50), unique=True)
    documentatie_link: Mapped[str] = mapped_column(String(200), default="")
    filters: Mapped[list[str]] = mapped_column(JSON, default=list)


class Abonnement(TenantBase):
    __tablename__ = "notificaties_abonnement"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[UUID] = mapped_column(Uuid, unique=True, default=uuid4)
    callback_url: Mapped[str] = mapped_column(String(200))
    auth: Mapped[str] = mapped_column(String(1000))
    client_id: Mapped[str] = mapped_column(String(255), default="")  # the application that subscribed
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    # Circuit breaker: open while circuit_open_until lies ahead, after `threshold` consecutive failures.
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    circuit_opens: Mapped[int] = mapped_column(Integer, default=0)
    circuit_open_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    last_success_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    last_failure_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    # One sender at a time per abonnement (across workers): a lease, so a crashed sender frees it by itself.
    sender_lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    sender_lease_token: Mapped[UUID | None] = mapped_column(Uuid, default=None)

    kanalen: Mapped[list[AbonnementKanaal]] = relationship(
        back_populates="abonnement", cascade="all, delete-orphan", order_by="AbonnementKanaal.id", lazy="selectin"
    )


class AbonnementKanaal(TenantBase):
    """One entry of an abonnement's ``kanalen``: a kanaal with the filters on its kenmerken."""

    __tablename__ = "notificaties_abonnement_kanaal"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    abonnement_id: Mapped[int] = mapped_column(ForeignKey("notificaties_abonnement.id", ondelete="CASCADE"), index=True)
    kanaal_id: Mapped[int] = mapped_column(ForeignKey("notificaties_kanaal.id", ondelete="CASCADE"), index=True)
    filters: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)

    abonnement: Mapped[Abonnement] = relationship(back_populates="kanalen")
    kanaal: Mapped[Kanaal] = relationship(lazy="joined")


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for its (next) attempt
    DELIVERED = "delivered"  # the callback answered 2xx
    DEAD = "dead"  # dead-lettered after the maximum number of attempts; resend by hand


class Delivery(TenantBase):
    """One outbox message for one abonnement."""

    __tablename__ = "notificaties_delivery"
    __table_args__ = (
        UniqueConstraint("message_id", "abonnement_id", name="uq_notificaties_delivery_message_abonnement"),
        Index("ix_notificaties_delivery_queue", "abonnement_id", "status", "id"),
        Index("ix_notificaties_delivery_due", "abonnement_id", "status", "next_attempt_at"),
        Index("ix_notificaties_delivery_order", "abonnement_id", "status", "hoofd_object"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[UUID] = mapped_column(Uuid, unique=True, default=uuid4)
    # The core outbox row (no foreign key: the outbox belongs to the core migration branch, and this branch must
    # not pin the core branch's head; retention removes both together, see delivery.purge_old).
    message_id: Mapped[int] = mapped_column(Integer, index=True)
    abonnement_id: Mapped[int] = mapped_column(ForeignKey("notificaties_abonnement.id", ondelete="CASCADE"))
    # Deliveries of one hoofdObject reach one abonnement in outbox order.
    hoofd_object: Mapped[str] = mapped_column(String(1000))
    status: Mapped[str] = mapped_column(String(10), default=DeliveryStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    leased_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    lease_token: Mapped[UUID | None] = mapped_column(Uuid, default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    dead_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    last_status_code: Mapped[int | None] = mapped_column(Integer, default=None)
    last_error: Mapped[str] = mapped_column(Text, default="")
    resends: Mapped[int] = mapped_column(Integer, default=0)

    message: Mapped[OutboxMessage] = relationship(
        OutboxMessage, primaryjoin=lambda: foreign(Delivery.message_id) == OutboxMessage.id, lazy="joined"
    )
    abonnement: Mapped[Abonnement] = relationship()


class DeliveryAttempt(TenantBase):
    """The delivery log: one row per HTTP attempt."""

    __tablename__ = "notificaties_delivery_attempt"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("notificaties_delivery.id", ondelete="CASCADE"), index=True)
    abonnement_id: Mapped[int] = mapped_column(ForeignKey("notificaties_abonnement.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    duration_ms: Mapped[int] = mapped_column(Integer)
    status_code: Mapped[int | None] = mapped_column(Integer, default=None)
    success: Mapped[bool] = mapped_column(Boolean)
    error: Mapped[str] = mapped_column(Text, default="")


def as_utc(moment: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes; everything here is stored in UTC."""
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def iso(moment: datetime | None) -> str | None:
    aware = as_utc(moment)
    return aware.isoformat().replace("+00:00", "Z") if aware else None
