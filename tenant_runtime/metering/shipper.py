"""Shipping usage events to the control plane (``POST /api/v1/usage/events``) and one tenant's metering pass:
seal the closed hours, then ship what the control plane has not confirmed, batch by batch.

The control plane books every event id once, so a batch sent twice (a lost response, a crash before
``mark_shipped``, two processes passing the same tenant) is harmless: delivery is at least once, booking exactly
once.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import httpx
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from tenant_runtime import __version__
from tenant_runtime.config import RuntimeSettings
from tenant_runtime.logging import get_logger
from tenant_runtime.metering import metrics, service
from tenant_runtime.metering.events import hour_of

log = get_logger(__name__)

INGEST_PATH = "/api/v1/usage/events"
USER_AGENT = f"zgw-cloud-metering/{__version__}"


class Outcome(StrEnum):
    SHIPPED = "shipped"
    UNAVAILABLE = "unavailable"  # the control plane is down or overloaded: retry with backoff
    REJECTED = "rejected"  # it refused the batch (credential, scope, validation): retried at the longest delay


@dataclass(frozen=True, slots=True)
class ShipResult:
    outcome: Outcome
    accepted: int = 0
    duplicates: int = 0
    error: str = ""


class ControlPlaneClient:
    """The control plane's ingestion endpoint, authenticated with the runtime account's API token."""

    def __init__(self, base_url: str, token: str, timeout: float, transport: httpx.BaseTransport | None = None) -> None:
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            timeout=timeout,
            headers={"Authorization": f"Bearer {token}", "User-Agent": USER_AGENT},
            transport=transport,
        )

    @classmethod
    def from_settings(cls, settings: RuntimeSettings) -> ControlPlaneClient | None:
        """None when no control plane is configured (the events then wait in the outbox)."""
        if not settings.metering_controlplane_url:
            return None
        return cls(settings.metering_controlplane_url, settings.metering_token, settings.metering_timeout)

    def ship(self, events: list[dict[str, Any]]) -> ShipResult:
        try:
            response = self._http.post(INGEST_PATH, json={"events": events})
        except httpx.HTTPError as exc:
            return ShipResult(Outcome.UNAVAILABLE, error=f"{type(exc).__name__}: {exc}")
        if response.status_code == 200:
            body = response.json()
            return ShipResult(Outcome.SHIPPED, int(body.get("accepted", 0)), int(body.get("duplicates", 0)))
        error = f"HTTP {response.status_code}: {response.text[:1000]}"
        if response.status_code in (408, 429) or response.status_code >= 500:
            return ShipResult(Outcome.UNAVAILABLE, error=error)
        return ShipResult(Outcome.REJECTED, error=error)

    def close(self) -> None:
        self._http.close()


@dataclass(frozen=True, slots=True)
class PassReport:
    sealed: int = 0
    shipped: int = 0
    duplicates: int = 0
    failure: ShipResult | None = None


def closed_before(now: datetime, grace_seconds: float) -> datetime:
    """Hours before this one are closed: every count of them has been flushed (the grace covers the flush)."""
    return hour_of(now - timedelta(seconds=grace_seconds))


def pass_tenant(
    engine: Engine,
    slug: str,
    settings: RuntimeSettings,
    client: ControlPlaneClient | None,
    now: datetime,
    max_batches: int = 20,
) -> PassReport:
    """Seal one tenant's closed hours and ship its unconfirmed events (bounded: ``max_batches`` batches)."""
    with Session(engine) as session:
        sealed = service.seal(session, slug, closed_before(now, settings.metering_seal_grace_seconds), now)
    shipped = duplicates = 0
    failure: ShipResult | None = None
    for _ in range(max_batches if client is not None else 0):
        assert client is not None
        with Session(engine) as session:
            ids, events = service.unshipped(session, slug, settings.metering_batch_size)
        if not ids:
            break
        result = client.ship(events)
        metrics.SHIPMENTS.labels(result.outcome.value).inc()
        if result.outcome is not Outcome.SHIPPED:
            if result.outcome is Outcome.REJECTED:
                with Session(engine) as session:
                    service.mark_rejected(session, ids, result.error)
            failure = result
            break
        with Session(engine) as session:
            service.mark_shipped(session, ids, datetime.now(UTC))
        metrics.EVENTS_SHIPPED.inc(len(ids))
        shipped += result.accepted
        duplicates += result.duplicates
        if len(ids) < settings.metering_batch_size:
            break
    with Session(engine) as session:
        metrics.UNSHIPPED.labels(slug).set(service.count_unshipped(session))
    if shipped or duplicates:
        log.info("metering_shipped", tenant=slug, accepted=shipped, duplicates=duplicates)
    return PassReport(sealed, shipped, duplicates, failure)


@dataclass
class Backoff:
    """Exponential backoff with jitter between passes of a tenant whose shipment failed."""

    base: float
    maximum: float
    failures: int = 0
    next_at: float = 0.0

    def failed(self, now: float, rejected: bool = False) -> float:
        self.failures += 1
        delay = self.maximum if rejected else min(self.base * 2 ** (self.failures - 1), self.maximum)
        delay *= random.uniform(0.9, 1.1)
        self.next_at = now + delay
        return delay

    def succeeded(self) -> None:
        self.failures, self.next_at = 0, 0.0

    def due(self, now: float) -> bool:
        return now >= self.next_at
