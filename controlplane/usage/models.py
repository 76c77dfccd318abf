"""The usage ledger (append-only) and the runtime service accounts that may write to it.

A ledger row is one usage event of a tenant runtime (``kind='usage'``) or a compensating entry recorded by an
operator (``kind='correction'``, signed ``quantity``, ``corrects_event_id`` naming the entry it corrects). Rows
are never updated or deleted: the ORM refuses it here and the database refuses it with triggers (migration
cpus0001). The value of a meter for a tenant and hour is the sum of the quantities of its rows.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Uuid,
    event,
    text,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from controlplane.accounts.models import utcnow
from controlplane.db import Base, UtcDateTime
from tenant_runtime.metering.events import COMPONENTS, Meter, Operation


class EntryKind(enum.StrEnum):
    USAGE = "usage"
    CORRECTION = "correction"


def _in(column: str, values: Iterable[str]) -> str:
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"


CORRECTIONS = text("corrects_event_id IS NOT NULL")


class UsageEntry(Base):
    __tablename__ = "usage_ledger"
    __table_args__ = (
        CheckConstraint(_in("meter", list(Meter)), name="meter"),
        CheckConstraint(_in("kind", list(EntryKind)), name="kind"),
        CheckConstraint(_in("operation", ["", *Operation]), name="operation"),
        CheckConstraint(_in("component", ["", *COMPONENTS]), name="component"),
        CheckConstraint("(kind = 'correction') = (corrects_event_id IS NOT NULL)", name="correction_target"),
        Index("ix_usage_ledger_tenant_hour", "tenant_id", "hour"),
        # Only corrections have a target: a partial index costs the (many) usage rows nothing.
        Index(
            "ix_usage_ledger_corrections", "corrects_event_id", postgresql_where=CORRECTIONS, sqlite_where=CORRECTIONS
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    event_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="RESTRICT"))
    meter: Mapped[str] = mapped_column(String(20))
    component: Mapped[str] = mapped_column(String(32), default="")
    operation: Mapped[str] = mapped_column(String(8), default="")
    client_id: Mapped[str] = mapped_column(String(255), default="")
    hour: Mapped[datetime] = mapped_column(UtcDateTime())  # UTC start of the hour
    quantity: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(12), default=EntryKind.USAGE.value)
    corrects_event_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    reason: Mapped[str] = mapped_column(Text, default="")  # why a correction was made
    recorded_by: Mapped[str] = mapped_column(String(254), default="")  # runtime account or operator e-mail
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class RuntimeAccount(Base):
    """Which tenants a runtime service account (a user with role ``runtime``) may submit usage for: every
    shared-tier tenant (``tenant_id`` empty: a shared runtime pool) or one tenant (its dedicated runtime)."""

    __tablename__ = "usage_runtime_accounts"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    tenant_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class LedgerIsAppendOnly(RuntimeError):
    pass


@event.listens_for(Session, "before_flush")
def _refuse_changes(session: Session, _context: object, _instances: object) -> None:
    """The ORM never updates or deletes a ledger row (the database refuses it too, see migration cpus0001)."""
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, UsageEntry) and (obj in session.deleted or session.is_modified(obj)):
            raise LedgerIsAppendOnly("usage ledger entries cannot be changed or deleted; record a correction")
