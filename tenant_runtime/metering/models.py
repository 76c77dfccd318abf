"""The metering outbox of a tenant database (``metering_outbox``): the durable side of the runtime's metering.

Counts flushed from memory accumulate in one *open* row per (hour, meter, component, operation, client) — the
partial unique index ``uq_metering_outbox_open`` — until the hour is closed. Sealing gives the row its
deterministic event id (``tenant_runtime.metering.events.event_id``); from then on it never changes and is shipped
until the control plane has it (``shipped_at``). Counts that arrive for an hour already sealed open a new row with
the next sequence number. Gauge rows are written sealed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy import BigInteger, DateTime, Index, Integer, String, Text, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from tenant_runtime.db.base import TenantBase


def utcnow() -> datetime:
    return datetime.now(UTC)


OPEN = text("event_id IS NULL")


class MeteringRecord(TenantBase):
    __tablename__ = "metering_outbox"
    __table_args__ = (
        Index(
            "uq_metering_outbox_open",
            "hour",
            "meter",
            "component",
            "operation",
            "client_id",
            unique=True,
            sqlite_where=OPEN,
            postgresql_where=OPEN,
        ),
        Index("ix_metering_outbox_unshipped", "shipped_at", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    hour: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # UTC start of the hour
    meter: Mapped[str] = mapped_column(String(20))
    component: Mapped[str] = mapped_column(String(32), default="")
    operation: Mapped[str] = mapped_column(String(8), default="")
    client_id: Mapped[str] = mapped_column(String(255), default="")
    quantity: Mapped[int] = mapped_column(BigInteger, default=0)
    seq: Mapped[int] = mapped_column(Integer, default=0)  # > 0: a late addition to an hour already sealed
    event_id: Mapped[UUID | None] = mapped_column(Uuid, unique=True, default=None)  # set when sealed
    sealed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    shipped_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
