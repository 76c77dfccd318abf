"""Reliable delivery of a tenant's outbox to its abonnementen — the database side.

1. **Fan-out** (``fan_out``): outbox messages not yet dispatched are matched against the abonnementen (kanaal and
   kenmerken filters) and one ``Delivery`` per match is created, in the same transaction that marks the messages
   dispatched. One fan-out at a time per tenant database (a PostgreSQL advisory lock), so deliveries are created
   in outbox order.
2. **Claim** (``claim``): a sender takes due deliveries of one abonnement with ``FOR UPDATE SKIP LOCKED`` and
   leases them (``leased_until`` + a token). A delivery is only claimed when no earlier delivery of the same
   hoofdObject to the same abonnement is still pending: that keeps the order per hoofdObject, also across retries.
3. **Record** (``record``): the outcome of each HTTP attempt goes into the delivery log; a 2xx marks the delivery
   delivered, anything else schedules a retry with exponential backoff, or dead-letters it after the maximum
   number of attempts. Consecutive failures open the abonnement's circuit breaker.

A sender that dies mid-delivery loses nothing: its leases run out and the deliveries are claimed again (at least
once). Each abonnement has at most one sender at a time (``acquire_sender``), so a slow or dead subscriber ties
up one sender only, never the others or the API.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, and_, delete, exists, func, insert, or_, select, text, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from tenant_runtime.config import RuntimeSettings
from tenant_runtime.core.outbox import OutboxMessage, message_body
from tenant_runtime.notificaties import filters as kenmerk_filters
from tenant_runtime.notificaties.callbacks import PostResult, encode
from tenant_runtime.notificaties.models import (
    Abonnement,
    AbonnementKanaal,
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    Kanaal,
    as_utc,
)

FAN_OUT_LOCK = 0x6E7263  # advisory lock key ("nrc"); locks are per database, so per tenant
PENDING = DeliveryStatus.PENDING.value


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    timeout: float
    max_attempts: int
    retry_base: float
    retry_max: float
    circuit_threshold: int
    circuit_open_seconds: float
    batch_size: int
    concurrency: int

    @classmethod
    def from_settings(cls, settings: RuntimeSettings) -> DeliveryPolicy:
        return cls(
            timeout=settings.delivery_timeout,
            max_attempts=settings.delivery_max_attempts,
            retry_base=settings.delivery_retry_base_seconds,
            retry_max=settings.delivery_retry_max_seconds,
            circuit_threshold=settings.delivery_circuit_threshold,
            circuit_open_seconds=settings.delivery_circuit_open_seconds,
            batch_size=settings.delivery_batch_size,
            concurrency=settings.delivery_concurrency,
        )

    @property
    def lease_seconds(self) -> float:
        """How long a claim (and a sender) holds; no request starts later than one timeout before it ends."""
        return self.timeout * 2 + 5

    def backoff(self, attempts: int) -> timedelta:
        """Delay after the ``attempts``-th failed attempt: base · 2^(attempts-1), capped, with ±10% jitter."""
        delay = min(self.retry_base * 2 ** max(attempts - 1, 0), self.retry_max)
        return timedelta(seconds=delay * random.uniform(0.9, 1.1))

    def circuit_rest(self, opens: int) -> timedelta:
        return timedelta(seconds=min(self.circuit_open_seconds * 2**opens, self.retry_max))


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


# --- fan-out -------------------------------------------------------------------------------------------------


def fan_out(session: Session, limit: int) -> int:
    """Turn up to ``limit`` undispatched outbox messages into deliveries; returns how many messages it took."""
    if _is_postgres(session):
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": FAN_OUT_LOCK})
    messages = session.execute(
        select(OutboxMessage.id, OutboxMessage.kanaal, OutboxMessage.hoofd_object, OutboxMessage.kenmerken)
        .where(OutboxMessage.dispatched_at.is_(None))
        .order_by(OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    if not messages:
        session.commit()
        return 0
    groups: dict[str, list[tuple[int, dict[str, str]]]] = {}
    for abonnement_id, naam, group_filters in session.execute(
        select(AbonnementKanaal.abonnement_id, Kanaal.naam, AbonnementKanaal.filters).join(Kanaal)
    ):
        groups.setdefault(naam, []).append((abonnement_id, group_filters or {}))
    now = utcnow()
    rows = []
    for message_id, kanaal, hoofd_object, kenmerken in messages:
        targets = {
            abonnement_id
            for abonnement_id, group_filters in groups.get(kanaal, ())
            if kenmerk_filters.matches(group_filters, kenmerken or {})
        }
        rows += [
            {
                "uuid": uuid.uuid4(),
                "message_id": message_id,
                "abonnement_id": abonnement_id,
                "hoofd_object": hoofd_object,
                "status": PENDING,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
                "last_error": "",
                "resends": 0,
            }
            for abonnement_id in sorted(targets)
        ]
    if rows:
        session.execute(insert(Delivery), rows)
    session.execute(
        update(OutboxMessage).where(OutboxMessage.id.in_([m.id for m in messages])).values(dispatched_at=now)
    )
    session.commit()
    return len(messages)


def fan_out_all(engine: Engine, batch_size: int, max_batches: int = 20) -> int:
    """Fan out until the outbox is empty or ``max_batches`` batches were taken (bounded work per call)."""
    total = 0
    for _ in range(max_batches):
        with Session(engine) as session:
            taken = fan_out(session, batch_size)
        total += taken
        if taken < batch_size:
            break
    return total


# --- which abonnementen have work ----------------------------------------------------------------------------


def _due(now: datetime) -> list[ColumnElement[bool]]:
    return [
        Delivery.status == PENDING,
        Delivery.next_attempt_at <= now,
        or_(Delivery.leased_until.is_(None), Delivery.leased_until < now),
    ]


def ready_abonnementen(session: Session, now: datetime | None = None) -> list[int]:
    """Abonnementen with due deliveries, a circuit that lets them through and no sender at work."""
    now = now or utcnow()
    due = exists().where(Delivery.abonnement_id == Abonnement.id, *_due(now))
    query = (
        select(Abonnement.id)
        .where(
            or_(Abonnement.circuit_open_until.is_(None), Abonnement.circuit_open_until <= now),
            or_(Abonnement.sender_lease_until.is_(None), Abonnement.sender_lease_until < now),
            due,
        )
        .order_by(Abonnement.id)
    )
    return list(session.scalars(query))


def has_ready_work(session: Session, abonnement_id: int, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return abonnement_id in ready_abonnementen(session, now)


# --- one sender per abonnement -------------------------------------------------------------------------------


def acquire_sender(session: Session, abonnement_id: int, lease_seconds: float) -> uuid.UUID | None:
    """Become the only sender of an abonnement for ``lease_seconds`` (renewable); None when another one is."""
    now = utcnow()
    token = uuid.uuid4()
    result = session.execute(
        update(Abonnement)
        .where(
            Abonnement.id == abonnement_id,
            or_(Abonnement.sender_lease_until.is_(None), Abonnement.sender_lease_until < now),
        )
        .values(sender_lease_until=now + timedelta(seconds=lease_seconds), sender_lease_token=token)
    )
    session.commit()
    return token if result.rowcount == 1 else None  # type: ignore[attr-defined]


def extend_sender(session: Session, abonnement_id: int, token: uuid.UUID, lease_seconds: float) -> bool:
    result = session.execute(
        update(Abonnement)
        .where(Abonnement.id == abonnement_id, Abonnement.sender_lease_token == token)
        .values(sender_lease_until=utcnow() + timedelta(seconds=lease_seconds))
    )
    session.commit()
    return result.rowcount == 1  # type: ignore[attr-defined,no-any-return]


def release_sender(session: Session, abonnement_id: int, token: uuid.UUID) -> None:
    session.execute(
        update(Abonnement)
        .where(Abonnement.id == abonnement_id, Abonnement.sender_lease_token == token)
        .values(sender_lease_until=None, sender_lease_token=None)
    )
    session.commit()


# --- claim ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Target:
    """Where an abonnement's notifications go, and its circuit as the claim found it."""

    abonnement_id: int
    callback_url: str
    auth: str
    consecutive_failures: int
    half_open: bool


@dataclass(frozen=True, slots=True)
class Claimed:
    id: int
    uuid: uuid.UUID
    hoofd_object: str
    attempts: int  # before this attempt
    body: bytes


def circuit_is_open(abonnement: Abonnement, now: datetime) -> bool:
    until = as_utc(abonnement.circuit_open_until)
    return until is not None and until > now


def claim(
    session: Session, abonnement_id: int, policy: DeliveryPolicy, token: uuid.UUID
) -> tuple[Target | None, list[Claimed]]:
    """Lease the next due deliveries of one abonnement (one probe when its circuit is half-open)."""
    now = utcnow()
    abonnement = session.get(Abonnement, abonnement_id)
    if abonnement is None:
        session.commit()
        return None, []
    half_open = abonnement.consecutive_failures >= policy.circuit_threshold
    target = Target(abonnement.id, abonnement.callback_url, abonnement.auth, abonnement.consecutive_failures, half_open)
    if circuit_is_open(abonnement, now):
        session.commit()
        return target, []
    candidates = session.execute(
        select(Delivery.id, Delivery.hoofd_object)
        .where(Delivery.abonnement_id == abonnement_id, *_due(now))
        .order_by(Delivery.id)
        .limit(1 if half_open else policy.batch_size)
        .with_for_update(skip_locked=True)
    ).all()
    if not candidates:
        session.commit()
        return target, []
    ids = [row.id for row in candidates]
    # The earliest still-pending delivery per hoofdObject that this claim did not get blocks the later ones.
    blockers = dict(
        session.execute(
            select(Delivery.hoofd_object, func.min(Delivery.id))
            .where(
                Delivery.abonnement_id == abonnement_id,
                Delivery.status == PENDING,
                Delivery.hoofd_object.in_({row.hoofd_object for row in candidates}),
                Delivery.id.not_in(ids),
            )
            .group_by(Delivery.hoofd_object)
        ).all()
    )
    chosen = [row.id for row in candidates if row.hoofd_object not in blockers or row.id < blockers[row.hoofd_object]]
    if not chosen:
        session.commit()
        return target, []
    session.execute(
        update(Delivery)
        .where(Delivery.id.in_(chosen))
        .values(leased_until=now + timedelta(seconds=policy.lease_seconds), lease_token=token)
    )
    rows = session.execute(
        select(Delivery.id, Delivery.uuid, Delivery.hoofd_object, Delivery.attempts, OutboxMessage)
        .join(OutboxMessage, OutboxMessage.id == Delivery.message_id)
        .where(Delivery.id.in_(chosen))
        .order_by(Delivery.id)
    ).all()
    claimed = [Claimed(r.id, r.uuid, r.hoofd_object, r.attempts, encode(message_body(r.OutboxMessage))) for r in rows]
    session.commit()
    return target, claimed


# --- record --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one claimed delivery: an HTTP attempt (``result``), or None when it was not attempted
    (its chain stopped at an earlier failure, the circuit tripped, or the lease ran short)."""

    delivery: Claimed
    result: PostResult | None = None
    started_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class RoundSummary:
    delivered: int
    failed: int
    circuit_open: bool


def record(
    session: Session, target: Target, token: uuid.UUID, outcomes: Sequence[Outcome], policy: DeliveryPolicy
) -> RoundSummary:
    """Write a round's outcomes: delivery states, the delivery log and the abonnement's circuit."""
    now = utcnow()
    attempted = [o for o in outcomes if o.result is not None]
    log_rows = [
        {
            "delivery_id": o.delivery.id,
            "abonnement_id": target.abonnement_id,
            "number": o.delivery.attempts + 1,
            "started_at": o.started_at or now,
            "duration_ms": o.result.duration_ms,
            "status_code": o.result.status_code,
            "success": o.result.success,
            "error": o.result.error,
        }
        for o in attempted
        if o.result is not None
    ]
    if log_rows:
        session.execute(insert(DeliveryAttempt), log_rows)
    successes: dict[int | None, list[int]] = {}
    failures: list[Outcome] = []
    for outcome in attempted:
        assert outcome.result is not None
        if outcome.result.success:
            successes.setdefault(outcome.result.status_code, []).append(outcome.delivery.id)
        else:
            failures.append(outcome)
    for status_code, ids in successes.items():
        session.execute(
            update(Delivery)
            .where(Delivery.id.in_(ids), Delivery.lease_token == token)
            .values(
                status=DeliveryStatus.DELIVERED.value,
                attempts=Delivery.attempts + 1,
                delivered_at=now,
                last_status_code=status_code,
                last_error="",
                leased_until=None,
                lease_token=None,
            )
        )
    if failures:
        mine = {
            d.id: d
            for d in session.scalars(
                select(Delivery).where(
                    Delivery.id.in_([o.delivery.id for o in failures]), Delivery.lease_token == token
                )
            )
        }
        for outcome in failures:
            delivery = mine.get(outcome.delivery.id)
            if delivery is None or outcome.result is None:
                continue  # the lease ran out and someone else has it now
            delivery.attempts += 1
            delivery.last_status_code = outcome.result.status_code
            delivery.last_error = outcome.result.error
            delivery.leased_until = None
            delivery.lease_token = None
            if delivery.attempts >= policy.max_attempts:
                delivery.status = DeliveryStatus.DEAD.value
                delivery.dead_at = now
            else:
                delivery.next_attempt_at = now + policy.backoff(delivery.attempts)
    released = [o.delivery.id for o in outcomes if o.result is None]
    if released:
        session.execute(
            update(Delivery)
            .where(Delivery.id.in_(released), Delivery.lease_token == token)
            .values(leased_until=None, lease_token=None)
        )
    circuit_open = _update_circuit(session, target, attempted, policy, now)
    session.commit()
    return RoundSummary(sum(len(ids) for ids in successes.values()), len(failures), circuit_open)


def _update_circuit(
    session: Session, target: Target, attempted: list[Outcome], policy: DeliveryPolicy, now: datetime
) -> bool:
    abonnement = session.get(Abonnement, target.abonnement_id)
    if abonnement is None:
        return False
    ordered = sorted(attempted, key=lambda o: (o.started_at or now, o.delivery.id))
    for outcome in ordered:
        assert outcome.result is not None
        if outcome.result.success:
            abonnement.consecutive_failures = 0
            abonnement.circuit_opens = 0
            abonnement.circuit_open_until = None
            abonnement.last_success_at = now
        else:
            abonnement.consecutive_failures += 1
            abonnement.last_failure_at = now
    failed_now = any(o.result is not None and not o.result.success for o in ordered)
    if (
        failed_now
        and abonnement.consecutive_failures >= policy.circuit_threshold
        and not circuit_is_open(abonnement, now)
    ):
        abonnement.circuit_open_until = now + policy.circuit_rest(abonnement.circuit_opens)
        abonnement.circuit_opens += 1
    return circuit_is_open(abonnement, now)


# --- retention -----------------------------------------------------------------------------------------------


def purge_old(session: Session, retention_days: int, limit: int = 5000) -> int:
    """Delete outbox messages older than the retention whose deliveries are all finished, with their log."""
    cutoff = utcnow() - timedelta(days=retention_days)
    still_pending = exists().where(Delivery.message_id == OutboxMessage.id, Delivery.status == PENDING)
    ids = list(
        session.scalars(
            select(OutboxMessage.id)
            .where(and_(OutboxMessage.dispatched_at.is_not(None), OutboxMessage.dispatched_at < cutoff), ~still_pending)
            .order_by(OutboxMessage.id)
            .limit(limit)
        )
    )
    if not ids:
        return 0
    delivery_ids = select(Delivery.id).where(Delivery.message_id.in_(ids))
    session.execute(delete(DeliveryAttempt).where(DeliveryAttempt.delivery_id.in_(delivery_ids)))
    session.execute(delete(Delivery).where(Delivery.message_id.in_(ids)))
    session.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(ids)))
    session.commit()
    return len(ids)


def chains(claimed: Iterable[Claimed]) -> list[list[Claimed]]:
    """Claimed deliveries grouped per hoofdObject, each group in outbox order."""
    grouped: dict[str, list[Claimed]] = {}
    for item in sorted(claimed, key=lambda c: c.id):
        grouped.setdefault(item.hoofd_object, []).append(item)
    return list(grouped.values())
