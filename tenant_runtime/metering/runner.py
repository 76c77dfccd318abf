"""Who runs metering in a runtime process (``start_metering``, called from the app's lifespan):

* Every API process has a **flusher**: a background thread that writes the in-memory counts into the tenants'
  outboxes every ``ZGW_RUNTIME_METERING_FLUSH_SECONDS`` and once more when the process stops.
* **Shipping** (seal closed hours, sample the gauges, send to the control plane) runs in the same thread in the
  embedded default (no ``ZGW_RUNTIME_CELERY_BROKER_URL``), like notification delivery; with a broker the runtime's
  Celery beat and workers do it (``tenant_runtime.metering.tasks``) and API processes only flush.

A process ships the tenants it serves (its runtime pool), active or suspended (their usage until the
suspension still counts); tenants in maintenance wait (their database may be being restored).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from tenant_runtime.container import Runtime
from tenant_runtime.core.pools import Placement, PoolRouting
from tenant_runtime.logging import get_logger
from tenant_runtime.metering import metrics, service
from tenant_runtime.metering.shipper import Backoff, ControlPlaneClient, Outcome, pass_tenant
from tenant_runtime.registry.models import TenantStatus
from tenant_runtime.registry.repository import TenantInfo

log = get_logger(__name__)

SHIPPABLE = frozenset({TenantStatus.ACTIVE, TenantStatus.SUSPENDED})
PURGE_INTERVAL_SECONDS = 3600.0


def served_tenants(runtime: Runtime) -> list[TenantInfo]:
    """The registry's tenants whose usage this process ships: those of its own pool, not in maintenance."""
    routing = PoolRouting(runtime.settings.pool, runtime.settings.pool_routes)
    return [
        t for t in runtime.registry.list() if t.status in SHIPPABLE and routing.placement(t.pool) is Placement.SERVE
    ]


def flush_all(runtime: Runtime) -> int:
    """Write every tenant's counts to its outbox; counts of a tenant whose database fails go back to memory."""
    written = 0
    for counts in runtime.meter.drain():
        try:
            with Session(runtime.engines.get(counts.tenant.database_url)) as session:
                service.flush(session, counts)
            written += 1
            metrics.FLUSHES.labels("ok").inc()
        except Exception:
            runtime.meter.restore(counts)
            metrics.FLUSHES.labels("failed").inc()
            log.exception("metering_flush_failed", tenant=counts.tenant.slug)
    return written


def purge_all(runtime: Runtime, tenants: list[TenantInfo]) -> int:
    removed = 0
    for tenant in tenants:
        with Session(runtime.engines.get(tenant.database_url)) as session:
            removed += service.purge_shipped(session, runtime.settings.metering_retention_days)
    return removed


class MeteringRunner:
    """The metering thread of one API process (see the module docstring)."""

    def __init__(self, runtime: Runtime, *, ship: bool) -> None:
        self._runtime = runtime
        self._settings = runtime.settings
        self._client = ControlPlaneClient.from_settings(runtime.settings) if ship else None
        self._ship = ship
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._backoff: dict[str, Backoff] = {}  # per tenant: after a refused batch or a failing database
        self._unavailable = self._new_backoff()  # the control plane as a whole
        self._last_ship = self._last_purge = 0.0

    def start(self) -> None:
        if self._ship and self._client is None:
            log.warning("metering_shipping_disabled", reason="ZGW_RUNTIME_METERING_CONTROLPLANE_URL is empty")
        elif self._ship and not self._settings.metering_token:
            log.warning(
                "metering_token_missing", reason="shipments will be refused until ZGW_RUNTIME_METERING_TOKEN is set"
            )
        self._thread = threading.Thread(target=self._run, name="metering", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 15.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        flush_all(self._runtime)  # what was counted since the last flush (the thread has stopped)
        if self._client is not None:
            self._client.close()

    def _run(self) -> None:
        interval = min(self._settings.metering_flush_seconds, self._settings.metering_ship_seconds)
        while not self._stop.wait(interval):
            try:
                flush_all(self._runtime)
                if self._ship and time.monotonic() - self._last_ship >= self._settings.metering_ship_seconds:
                    self._last_ship = time.monotonic()
                    self.ship_all()
            except Exception:
                log.exception("metering_pass_failed")

    def ship_all(self) -> None:
        """One pass over the served tenants: seal and sample each, and ship unless the control plane is resting
        after being unavailable (then the pass only seals). A tenant whose batch was refused waits its own
        backoff (at the longest delay), so it holds up no other tenant."""
        tenants = served_tenants(self._runtime)
        now_wall = datetime.fromtimestamp(self._runtime.meter.clock(), UTC)
        client = self._client if self._unavailable.due(time.monotonic()) else None
        for tenant in tenants:
            if self._stop.is_set():
                return
            backoff = self._backoff.setdefault(tenant.slug, self._new_backoff())
            engine = self._runtime.engines.get(tenant.database_url)
            try:
                report = pass_tenant(
                    engine, tenant.slug, self._settings, client if backoff.due(time.monotonic()) else None, now_wall
                )
            except Exception:
                log.exception("metering_tenant_pass_failed", tenant=tenant.slug)
                backoff.failed(time.monotonic())
                continue
            if report.failure is None:
                if report.shipped or report.duplicates:
                    backoff.succeeded()
                    self._unavailable.succeeded()
                continue
            unavailable = report.failure.outcome is Outcome.UNAVAILABLE
            delay = (self._unavailable if unavailable else backoff).failed(time.monotonic(), rejected=not unavailable)
            log.warning(
                "metering_ship_failed", tenant=tenant.slug, outcome=report.failure.outcome.value,
                error=report.failure.error, retry_in_seconds=round(delay, 1),
            )  # fmt: skip
            if unavailable:
                client = None  # the control plane is down for every tenant: only seal the others
        if time.monotonic() - self._last_purge >= PURGE_INTERVAL_SECONDS:
            self._last_purge = time.monotonic()
            purge_all(self._runtime, tenants)

    def _new_backoff(self) -> Backoff:
        return Backoff(self._settings.metering_retry_base_seconds, self._settings.metering_retry_max_seconds)


def start_metering(runtime: Runtime) -> Callable[[], None]:
    """Start this process's metering thread (see the module docstring); returns the stop function."""
    if not runtime.settings.metering_enabled:
        return lambda: None
    runner = MeteringRunner(runtime, ship=not runtime.settings.celery_broker_url)
    runner.start()
    return runner.stop
