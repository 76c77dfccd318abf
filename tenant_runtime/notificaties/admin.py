"""The delivery log and its operations for the operator and the municipality — plain service functions of a
tenant session, used by the ``/beheer/notificaties`` endpoints (``routes.py``) and callable by the control plane.

Nothing here is part of the ZGW standard; field names are English camelCase.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from tenant_runtime.config import RuntimeSettings
from tenant_runtime.core.outbox import message_body
from tenant_runtime.core.problems import InvalidParam, Problem, validation_problem
from tenant_runtime.notificaties.models import Abonnement, Delivery, DeliveryAttempt, DeliveryStatus, as_utc, iso

PAGE_SIZE = 100
FAILED = "failed"  # a list filter, not a status: pending after at least one failed attempt


def _parse_uuid(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise Problem(404, "Niet gevonden.", code="not_found") from None


def circuit_state(abonnement: Abonnement, settings: RuntimeSettings, now: datetime | None = None) -> str:
    """``closed`` (delivering), ``open`` (resting after consecutive failures) or ``half-open`` (next: a probe)."""
    now = now or datetime.now(UTC)
    if abonnement.consecutive_failures < settings.delivery_circuit_threshold:
        return "closed"
    until = as_utc(abonnement.circuit_open_until)
    return "open" if until is not None and until > now else "half-open"


def subscription_health(session: Session, settings: RuntimeSettings) -> list[dict[str, Any]]:
    """Per abonnement: its circuit and how many notifications are pending, delivered and dead-lettered."""
    counts: dict[tuple[int, str], int] = {
        (abonnement_id, status): count
        for abonnement_id, status, count in session.execute(
            select(Delivery.abonnement_id, Delivery.status, func.count()).group_by(
                Delivery.abonnement_id, Delivery.status
            )
        )
    }
    result = []
    for abonnement in session.scalars(select(Abonnement).order_by(Abonnement.id)):
        result.append(
            {
                "uuid": str(abonnement.uuid),
                "callbackUrl": abonnement.callback_url,
                "clientId": abonnement.client_id,
                "kanalen": [group.kanaal.naam for group in abonnement.kanalen],
                "circuit": circuit_state(abonnement, settings),
                "consecutiveFailures": abonnement.consecutive_failures,
                "circuitOpenUntil": iso(abonnement.circuit_open_until),
                "lastSuccessAt": iso(abonnement.last_success_at),
                "lastFailureAt": iso(abonnement.last_failure_at),
                "pending": counts.get((abonnement.id, DeliveryStatus.PENDING.value), 0),
                "delivered": counts.get((abonnement.id, DeliveryStatus.DELIVERED.value), 0),
                "dead": counts.get((abonnement.id, DeliveryStatus.DEAD.value), 0),
            }
        )
    return result


def _abonnement(session: Session, raw_uuid: str) -> Abonnement:
    abonnement = session.scalar(select(Abonnement).where(Abonnement.uuid == _parse_uuid(raw_uuid)))
    if abonnement is None:
        raise Problem(404, "Abonnement niet gevonden.", code="not_found")
    return abonnement


def serialize_delivery(delivery: Delivery, attempts: list[DeliveryAttempt] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "uuid": str(delivery.uuid),
        "abonnement": str(delivery.abonnement.uuid),
        "status": delivery.status,
        "attempts": delivery.attempts,
        "nextAttemptAt": iso(delivery.next_attempt_at) if delivery.status == DeliveryStatus.PENDING.value else None,
        "createdAt": iso(delivery.created_at),
        "deliveredAt": iso(delivery.delivered_at),
        "deadAt": iso(delivery.dead_at),
        "lastStatusCode": delivery.last_status_code,
        "lastError": delivery.last_error,
        "resends": delivery.resends,
        "notificatie": message_body(delivery.message),
    }
    if attempts is not None:
        data["log"] = [
            {
                "number": a.number,
                "startedAt": iso(a.started_at),
                "durationMs": a.duration_ms,
                "statusCode": a.status_code,
                "success": a.success,
                "error": a.error,
            }
            for a in attempts
        ]
    return data


@dataclass(frozen=True, slots=True)
class DeliveryPage:
    count: int
    page: int
    results: list[dict[str, Any]]

    @property
    def has_next(self) -> bool:
        return self.page * PAGE_SIZE < self.count


def list_deliveries(
    session: Session, *, abonnement: str | None = None, status: str | None = None, page: int = 1
) -> DeliveryPage:
    """Newest first; filter by abonnement (uuid) and status (pending, delivered, dead, or ``failed``: pending after
    at least one failed attempt, i.e. being retried)."""
    if status is not None and status not in {*(s.value for s in DeliveryStatus), FAILED}:
        raise validation_problem(
            [InvalidParam("status", "invalid_choice", "Kies uit pending, failed, delivered of dead.")]
        )
    if page < 1:
        raise validation_problem([InvalidParam("page", "invalid", "Geef een positief paginanummer op.")])
    query = select(Delivery)
    if abonnement is not None:
        query = query.where(Delivery.abonnement_id == _abonnement(session, abonnement).id)
    if status == FAILED:
        query = query.where(Delivery.status == DeliveryStatus.PENDING.value, Delivery.attempts > 0)
    elif status is not None:
        query = query.where(Delivery.status == status)
    count = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Delivery.id.desc()).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    return DeliveryPage(count, page, [serialize_delivery(d) for d in rows])


def get_delivery(session: Session, raw_uuid: str) -> Delivery:
    delivery = session.scalar(select(Delivery).where(Delivery.uuid == _parse_uuid(raw_uuid)))
    if delivery is None:
        raise Problem(404, "Aflevering niet gevonden.", code="not_found")
    return delivery


def delivery_log(session: Session, delivery: Delivery) -> list[DeliveryAttempt]:
    return list(
        session.scalars(
            select(DeliveryAttempt).where(DeliveryAttempt.delivery_id == delivery.id).order_by(DeliveryAttempt.id)
        )
    )


def resend(session: Session, delivery: Delivery) -> Delivery:
    """Queue a dead-lettered (or already delivered) notification again, with a fresh set of attempts."""
    if delivery.status == DeliveryStatus.PENDING.value:
        raise Problem(409, "Deze notificatie wacht al op aflevering.", code="already_pending")
    now = datetime.now(UTC)
    delivery.status = DeliveryStatus.PENDING.value
    delivery.attempts = 0
    delivery.next_attempt_at = now
    delivery.leased_until = None
    delivery.lease_token = None
    delivery.dead_at = None
    delivery.resends += 1
    session.commit()
    return delivery


def resend_dead(session: Session, abonnement_uuid: str) -> int:
    """Queue every dead-lettered notification of an abonnement again; returns how many."""
    abonnement = _abonnement(session, abonnement_uuid)
    result = session.execute(
        update(Delivery)
        .where(Delivery.abonnement_id == abonnement.id, Delivery.status == DeliveryStatus.DEAD.value)
        .values(
            status=DeliveryStatus.PENDING.value,
            attempts=0,
            next_attempt_at=datetime.now(UTC),
            leased_until=None,
            lease_token=None,
            dead_at=None,
            resends=Delivery.resends + 1,
        )
    )
    session.commit()
    return int(result.rowcount)  # type: ignore[attr-defined]


def reset_circuit(session: Session, abonnement_uuid: str) -> Abonnement:
    """Close an abonnement's circuit (e.g. after the subscriber reported it is back) so delivery resumes now."""
    abonnement = _abonnement(session, abonnement_uuid)
    abonnement.consecutive_failures = 0
    abonnement.circuit_opens = 0
    abonnement.circuit_open_until = None
    session.commit()
    return abonnement
