"""Celery tasks of metering (the runtime's own Celery app): with a broker, the beat's ``metering.tick`` seals,
samples and ships every served tenant's outbox; API processes only flush their counts into the outboxes.

The tick holds no state between runs (everything is in the tenant databases); a control plane that is down is
remembered in Redis for the backoff delay so later ticks only seal until it is due again. Running a tick twice at
once is harmless: the control plane books every event id once.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import redis

from tenant_runtime.celery_app import celery_app, worker_runtime
from tenant_runtime.config import get_settings
from tenant_runtime.logging import get_logger
from tenant_runtime.metering.runner import purge_all, served_tenants
from tenant_runtime.metering.shipper import Backoff, ControlPlaneClient, Outcome, pass_tenant

log = get_logger(__name__)

RESTING_KEY = "zgw:metering:controlplane-resting"  # present while the backoff delay runs
FAILURES_KEY = "zgw:metering:controlplane-failures"  # consecutive unavailable shipments


def _redis() -> redis.Redis[bytes] | None:
    url = worker_runtime().settings.celery_broker_url
    return redis.Redis.from_url(url) if url.startswith(("redis://", "rediss://")) else None


@celery_app.task(name="metering.tick", acks_late=True)
def tick() -> dict[str, Any]:
    """Seal and ship every served tenant (the control plane's backoff is shared by all workers via Redis)."""
    runtime = worker_runtime()
    settings = runtime.settings
    store = _redis()
    resting = store is not None and bool(store.exists(RESTING_KEY))
    client = None if resting else ControlPlaneClient.from_settings(settings)
    now = datetime.fromtimestamp(runtime.meter.clock(), UTC)
    shipped = sealed = 0
    try:
        for tenant in served_tenants(runtime):
            try:
                report = pass_tenant(runtime.engines.get(tenant.database_url), tenant.slug, settings, client, now)
            except Exception:
                log.exception("metering_tenant_pass_failed", tenant=tenant.slug)
                continue
            sealed += report.sealed
            shipped += report.shipped
            if report.failure is None:
                continue
            log.warning("metering_ship_failed", tenant=tenant.slug, outcome=report.failure.outcome.value,
                        error=report.failure.error)  # fmt: skip
            if report.failure.outcome is Outcome.UNAVAILABLE:
                if client is not None:
                    client.close()
                client = None
                if store is not None:
                    failures = int(store.incr(FAILURES_KEY))
                    store.expire(FAILURES_KEY, round(settings.metering_retry_max_seconds * 4))
                    backoff = Backoff(settings.metering_retry_base_seconds, settings.metering_retry_max_seconds)
                    backoff.failures = failures - 1
                    store.set(RESTING_KEY, b"1", ex=max(1, round(backoff.failed(0.0))))
        if client is not None and store is not None and shipped:
            store.delete(FAILURES_KEY)
    finally:
        if client is not None:
            client.close()
    return {"sealed": sealed, "shipped": shipped}


@celery_app.task(name="metering.purge", acks_late=True)
def purge() -> int:
    """Retention: drop outbox rows the control plane confirmed more than ZGW_RUNTIME_METERING_RETENTION_DAYS ago."""
    runtime = worker_runtime()
    return purge_all(runtime, served_tenants(runtime))


celery_app.conf.beat_schedule = {
    **(celery_app.conf.beat_schedule or {}),
    "metering-tick": {
        "task": "metering.tick",
        "schedule": get_settings().metering_ship_seconds,
        "options": {"expires": max(get_settings().metering_ship_seconds * 2, 5)},
    },
    "metering-purge": {"task": "metering.purge", "schedule": 3600.0},
}
