"""Celery tasks of the usage context: the freshness check of the ledger (is every active tenant's usage
arriving?). Ingestion itself is synchronous (``POST /api/v1/usage/events``): the runtimes retry until booked."""

from __future__ import annotations

import structlog

from controlplane.celery_app import celery_app
from controlplane.config import get_settings
from controlplane.tenants.tasks import worker_controlplane
from controlplane.usage import service

log = structlog.get_logger(__name__)


@celery_app.task(name="usage.check_freshness", acks_late=True)
def check_freshness() -> list[str]:
    """Log every active tenant whose latest metered hour is older than ZGW_USAGE_STALE_AFTER_HOURS (its runtime
    is not shipping: down, misconfigured token, or refused batches); returns their slugs. Read-only, safe to
    repeat."""
    cp = worker_controlplane()
    with cp.sessions() as session:
        stale = service.stale_tenants(session, cp.clock.now(), cp.settings.usage_stale_after_hours)
    for item in stale:
        log.warning("usage_stale", tenant=item.slug, last_hour=item.last_hour.isoformat() if item.last_hour else None)
    return [item.slug for item in stale]


celery_app.conf.beat_schedule = {
    **(celery_app.conf.beat_schedule or {}),
    "usage-check-freshness": {"task": "usage.check_freshness", "schedule": get_settings().usage_check_interval_seconds},
}
