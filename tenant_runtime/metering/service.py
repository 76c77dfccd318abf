"""The metering outbox of one tenant database: flushing counts, sealing closed hours (with the hourly gauge
samples), the batches to ship and what the control plane confirmed, and retention.

Plain functions of a tenant session, used by the API process's metering thread and by the runtime's Celery
workers alike. All state is in the tenant database, so any process can pick up where another stopped.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Table, delete, func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from tenant_runtime.documenten.models import InformatieObject, InformatieObjectVersie
from tenant_runtime.metering.events import GAUGES, Meter, event_id, wire
from tenant_runtime.metering.meter import TenantCounts
from tenant_runtime.metering.models import OPEN, MeteringRecord
from tenant_runtime.notificaties.models import as_utc
from tenant_runtime.zaken.models import Zaak

SEAL_LOCK = 0x6D7472  # advisory lock key ("mtr"), per tenant database: one sealer at a time
MAX_BACKFILL_HOURS = 24 * 31  # gauge hours filled in after an outage of the whole runtime, at most
KEY_COLUMNS = ("hour", "meter", "component", "operation", "client_id")
TABLE: Table = MeteringRecord.__table__  # type: ignore[assignment]


def utcnow() -> datetime:
    return datetime.now(UTC)


def hour_start(number: int) -> datetime:
    """The UTC datetime of an hour number (seconds since the epoch // 3600)."""
    return datetime.fromtimestamp(number * 3600, UTC)


def _insert(session: Session) -> Any:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(TABLE)
    if dialect == "sqlite":
        return sqlite.insert(TABLE)
    raise RuntimeError(f"unsupported database {dialect}")  # pragma: no cover


# --- flush ---------------------------------------------------------------------------------------------------


def flush(session: Session, counts: TenantCounts, now: datetime | None = None) -> None:
    """Add one tenant's counts to the open rows of its outbox (one transaction; an upsert per key)."""
    now = now or utcnow()
    base = {"seq": 0, "last_error": "", "created_at": now}
    calls = [
        {"hour": hour_start(hour), "meter": Meter.API_CALLS.value, "component": component,
         "operation": operation, "client_id": "", "quantity": quantity, **base}
        for (hour, component, operation), quantity in sorted(counts.calls.items())
    ]  # fmt: skip
    if calls:
        statement = _insert(session)
        session.execute(
            statement.on_conflict_do_update(
                index_elements=list(KEY_COLUMNS),
                index_where=OPEN,
                set_={"quantity": TABLE.c.quantity + statement.excluded.quantity},
            ),
            calls,
        )
    clients = [
        {"hour": hour_start(hour), "meter": Meter.ACTIVE_CLIENT.value, "component": "", "operation": "",
         "client_id": client_id, "quantity": 1, **base}
        for hour, client_id in sorted(counts.clients)
    ]  # fmt: skip
    if clients:
        session.execute(
            _insert(session).on_conflict_do_nothing(index_elements=list(KEY_COLUMNS), index_where=OPEN), clients
        )
    session.commit()


# --- seal ----------------------------------------------------------------------------------------------------


def sample_gauges(session: Session) -> dict[Meter, int]:
    """The tenant's stored document bytes (each stored content once), zaken and documenten right now."""
    contents = (
        select(InformatieObjectVersie.content_key, InformatieObjectVersie.bestandsomvang)
        .where(InformatieObjectVersie.content_key != "", InformatieObjectVersie.bestandsomvang.is_not(None))
        .distinct()
        .subquery()
    )
    stored = session.scalar(select(func.coalesce(func.sum(contents.c.bestandsomvang), 0)))
    zaken = session.scalar(select(func.count()).select_from(Zaak))
    documenten = session.scalar(select(func.count()).select_from(InformatieObject))
    return {Meter.STORED_BYTES: int(stored or 0), Meter.ZAKEN: int(zaken or 0), Meter.DOCUMENTEN: int(documenten or 0)}


def _key(row: Any) -> tuple[datetime, str, str, str, str]:
    return (as_utc(row.hour), row.meter, row.component, row.operation, row.client_id)  # type: ignore[return-value]


def seal(session: Session, slug: str, closed_before: datetime, now: datetime | None = None) -> int:
    """Close the hours before ``closed_before``: give their open rows an event id (a late addition to an hour
    already sealed gets the next sequence number; a repeated active-client mark is dropped) and add the gauge
    samples of closed hours that have none yet. Returns how many rows were sealed or added."""
    now = now or utcnow()
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SEAL_LOCK})
    rows = list(
        session.scalars(
            select(MeteringRecord)
            .where(MeteringRecord.event_id.is_(None), MeteringRecord.hour < closed_before)
            .order_by(MeteringRecord.id)
            .with_for_update()
        )
    )
    changed = 0
    if rows:
        hours = {row.hour for row in rows}
        sealed = {
            _key(r): r.n
            for r in session.execute(
                select(*(getattr(MeteringRecord, c) for c in KEY_COLUMNS), func.count().label("n"))
                .where(MeteringRecord.event_id.is_not(None), MeteringRecord.hour.in_(hours))
                .group_by(*(getattr(MeteringRecord, c) for c in KEY_COLUMNS))
            )
        }
        for row in rows:
            seq = sealed.get(_key(row), 0)
            if seq and row.meter == Meter.ACTIVE_CLIENT.value:
                session.delete(row)  # the client is already marked active for that hour
                continue
            row.seq = seq
            row.event_id = event_id(slug, row.meter, as_utc(row.hour), row.component, row.operation, row.client_id, seq)  # type: ignore[arg-type]
            row.sealed_at = now
            changed += 1
    changed += _add_gauges(session, slug, closed_before, now)
    session.commit()
    return changed


def _add_gauges(session: Session, slug: str, closed_before: datetime, now: datetime) -> int:
    """Gauge rows (the value at the end of the hour) for the closed hours after the last sampled one — from the
    first metered hour on a tenant's first seal. Hours in which the runtime did not run get the value sampled now:
    nothing could change the tenant's data meanwhile."""
    last_closed = closed_before - timedelta(hours=1)
    last = as_utc(
        session.scalar(select(func.max(MeteringRecord.hour)).where(MeteringRecord.meter == Meter.STORED_BYTES.value))
    )
    if last is not None:
        first = last + timedelta(hours=1)
    else:
        first = as_utc(session.scalar(select(func.min(MeteringRecord.hour)))) or last_closed
    first = max(first, last_closed - timedelta(hours=MAX_BACKFILL_HOURS - 1))
    if first > last_closed:
        return 0
    values = sample_gauges(session)
    rows = []
    hour = first
    while hour <= last_closed:
        for meter in sorted(GAUGES):
            rows.append(
                {"hour": hour, "meter": meter.value, "component": "", "operation": "", "client_id": "",
                 "quantity": values[meter], "seq": 0, "event_id": event_id(slug, meter, hour), "sealed_at": now,
                 "last_error": "", "created_at": now}
            )  # fmt: skip
        hour += timedelta(hours=1)
    session.execute(_insert(session).on_conflict_do_nothing(index_elements=["event_id"]), rows)
    return len(rows)


# --- ship ----------------------------------------------------------------------------------------------------


def unshipped(session: Session, slug: str, limit: int) -> tuple[list[int], list[dict[str, Any]]]:
    """The next sealed rows the control plane has not confirmed: their ids and their events (oldest first)."""
    rows = session.scalars(
        select(MeteringRecord)
        .where(MeteringRecord.shipped_at.is_(None), MeteringRecord.event_id.is_not(None))
        .order_by(MeteringRecord.id)
        .limit(limit)
    ).all()
    session.commit()
    events = [
        wire(row.event_id, slug, row.meter, as_utc(row.hour), row.quantity, row.component, row.operation, row.client_id)  # type: ignore[arg-type]
        for row in rows
    ]
    return [row.id for row in rows], events


def mark_shipped(session: Session, ids: list[int], now: datetime | None = None) -> None:
    session.execute(
        update(MeteringRecord).where(MeteringRecord.id.in_(ids)).values(shipped_at=now or utcnow(), last_error="")
    )
    session.commit()


def mark_rejected(session: Session, ids: list[int], error: str) -> None:
    """Keep the rows (they are retried) and say why the control plane refused them, for the operator."""
    session.execute(update(MeteringRecord).where(MeteringRecord.id.in_(ids)).values(last_error=error[:2000]))
    session.commit()


def count_unshipped(session: Session) -> int:
    return (
        session.scalar(
            select(func.count()).where(MeteringRecord.shipped_at.is_(None), MeteringRecord.event_id.is_not(None))
        )
        or 0
    )


def purge_shipped(session: Session, retention_days: int, now: datetime | None = None, limit: int = 5000) -> int:
    """Delete rows the control plane confirmed more than ``retention_days`` ago (the ledger holds them)."""
    cutoff = (now or utcnow()) - timedelta(days=retention_days)
    ids = list(
        session.scalars(
            select(MeteringRecord.id)
            .where(MeteringRecord.shipped_at.is_not(None), MeteringRecord.shipped_at < cutoff)
            .limit(limit)
        )
    )
    if ids:
        session.execute(delete(MeteringRecord).where(MeteringRecord.id.in_(ids)))
    session.commit()
    return len(ids)
