"""Response bodies of the notifications API: a tenant's deliveries, their attempt log and its subscriptions'
circuits, as the runtime's ``/beheer/notificaties`` API reports them (camelCase there, snake_case here)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class DeliveryState(enum.StrEnum):
    """What the list filters on: ``failed`` is pending after at least one failed attempt (being retried),
    ``dead`` a dead letter (every attempt failed; waits for a resend)."""

    PENDING = "pending"
    FAILED = "failed"
    DELIVERED = "delivered"
    DEAD = "dead"


class AttemptOut(BaseModel):
    number: int
    started_at: datetime | None
    duration_ms: int | None
    status_code: int | None = Field(description="The subscriber's HTTP status; empty when it was not reached.")
    success: bool
    error: str | None

    @classmethod
    def of(cls, raw: dict[str, Any]) -> AttemptOut:
        return cls(
            number=raw["number"],
            started_at=raw.get("startedAt"),
            duration_ms=raw.get("durationMs"),
            status_code=raw.get("statusCode"),
            success=bool(raw.get("success")),
            error=raw.get("error") or None,
        )


class DeliveryOut(BaseModel):
    uuid: str
    abonnement: str = Field(description="The subscription (abonnement) UUID in the tenant's Notificaties API.")
    status: str = Field(description="pending, delivered or dead (dead letter).")
    state: DeliveryState = Field(description="status, with pending after a failed attempt shown as failed.")
    attempts: int
    next_attempt_at: datetime | None
    created_at: datetime | None
    delivered_at: datetime | None
    dead_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    resends: int = Field(description="How often it was resent by hand.")
    notificatie: dict[str, Any] = Field(description="The notification as the subscriber receives it.")
    log: list[AttemptOut] | None = Field(None, description="Every attempt (the detail only).")

    @classmethod
    def of(cls, raw: dict[str, Any]) -> DeliveryOut:
        status = str(raw["status"])
        failing = status == DeliveryState.PENDING and int(raw.get("attempts") or 0) > 0
        log = raw.get("log")
        return cls(
            uuid=raw["uuid"],
            abonnement=raw["abonnement"],
            status=status,
            state=DeliveryState.FAILED if failing else DeliveryState(status),
            attempts=int(raw.get("attempts") or 0),
            next_attempt_at=raw.get("nextAttemptAt"),
            created_at=raw.get("createdAt"),
            delivered_at=raw.get("deliveredAt"),
            dead_at=raw.get("deadAt"),
            last_status_code=raw.get("lastStatusCode"),
            last_error=raw.get("lastError") or None,
            resends=int(raw.get("resends") or 0),
            notificatie=raw.get("notificatie") or {},
            log=[AttemptOut.of(a) for a in log] if log is not None else None,
        )


class DeliveryList(BaseModel):
    count: int
    page: int
    page_size: int
    next: str | None
    previous: str | None
    results: list[DeliveryOut]


class SubscriptionOut(BaseModel):
    uuid: str
    callback_url: str
    client_id: str
    kanalen: list[str]
    circuit: str = Field(description="closed (delivering), open (resting after failures) or half-open (next: a probe).")
    consecutive_failures: int
    circuit_open_until: datetime | None
    last_success_at: datetime | None
    last_failure_at: datetime | None
    pending: int
    delivered: int
    dead: int

    @classmethod
    def of(cls, raw: dict[str, Any]) -> SubscriptionOut:
        return cls(
            uuid=raw["uuid"],
            callback_url=raw["callbackUrl"],
            client_id=raw.get("clientId") or "",
            kanalen=list(raw.get("kanalen") or []),
            circuit=raw["circuit"],
            consecutive_failures=int(raw.get("consecutiveFailures") or 0),
            circuit_open_until=raw.get("circuitOpenUntil"),
            last_success_at=raw.get("lastSuccessAt"),
            last_failure_at=raw.get("lastFailureAt"),
            pending=int(raw.get("pending") or 0),
            delivered=int(raw.get("delivered") or 0),
            dead=int(raw.get("dead") or 0),
        )


class SubscriptionList(BaseModel):
    count: int
    results: list[SubscriptionOut]


class ResendOut(BaseModel):
    delivery: DeliveryOut
    replayed: bool = Field(description="True when an earlier request with this Idempotency-Key did the resend.")
