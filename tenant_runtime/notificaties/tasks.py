"""Celery tasks of notification delivery (the runtime's own Celery app, ``tenant_runtime.celery_app``).

``tick`` (beat) → ``dispatch(slug)`` per active tenant: fan the outbox out, then ``deliver(slug, abonnement)`` per
abonnement with due work. Tasks take ids, hold no state between runs and are safe to repeat: all state is in the
tenant's database (leases, delivery states), so a lost or duplicated task message never loses or doubles work
beyond at-least-once.
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict

from sqlalchemy.orm import Session

from tenant_runtime.celery_app import TaskScheduler, celery_app, worker_runtime
from tenant_runtime.logging import get_logger
from tenant_runtime.notificaties import delivery, metrics
from tenant_runtime.notificaties.runner import SENDER_BUDGET_SECONDS
from tenant_runtime.notificaties.sender import deliver_abonnement
from tenant_runtime.registry.models import TenantStatus
from tenant_runtime.registry.repository import TenantInfo

log = get_logger(__name__)

DISPATCH_BATCHES = 20  # outbox batches one dispatch task fans out at most

_scheduler: TaskScheduler | None = None


def scheduler() -> TaskScheduler:
    global _scheduler
    if _scheduler is None:
        _scheduler = TaskScheduler(celery_app, worker_runtime().settings.celery_broker_url)
    return _scheduler


def _active(slug: str) -> TenantInfo | None:
    tenant = worker_runtime().registry.get(slug)
    return tenant if tenant is not None and tenant.status == TenantStatus.ACTIVE else None


@celery_app.task(name="notificaties.tick")
def tick() -> int:
    """Every active tenant gets a dispatch (catches retries that fell due and anything a wake-up missed)."""
    tenants = [t for t in worker_runtime().registry.list() if t.status == TenantStatus.ACTIVE]
    for tenant in tenants:
        scheduler().dispatch(tenant.slug)
    return len(tenants)


@celery_app.task(name="notificaties.dispatch")
def dispatch(slug: str) -> int:
    """Fan out one tenant's outbox (bounded) and schedule a sender for each abonnement with due work."""
    scheduler().started("dispatch", slug)
    tenant = _active(slug)
    if tenant is None:
        return 0
    runtime = worker_runtime()
    engine = runtime.engines.get(tenant.database_url)
    batch = runtime.settings.delivery_batch_size
    fanned = delivery.fan_out_all(engine, batch, max_batches=DISPATCH_BATCHES)
    metrics.FANNED_OUT.inc(fanned)
    if fanned == batch * DISPATCH_BATCHES:
        scheduler().dispatch(slug)  # bounded work per task: the rest in the next one
    with Session(engine) as session:
        abonnementen = delivery.ready_abonnementen(session)
    for abonnement_id in abonnementen:
        scheduler().deliver(slug, abonnement_id)
    return fanned


@celery_app.task(name="notificaties.deliver")
def deliver(slug: str, abonnement_id: int) -> int:
    """Be the sender of one abonnement for a bounded time; schedule the next turn when work is left."""
    scheduler().started("deliver", slug, abonnement_id)
    tenant = _active(slug)
    if tenant is None:
        return 0
    runtime = worker_runtime()
    engine = runtime.engines.get(tenant.database_url)
    report = asyncio.run(
        deliver_abonnement(engine, abonnement_id, runtime.settings, budget_seconds=SENDER_BUDGET_SECONDS)
    )
    if report.more:
        scheduler().deliver(slug, abonnement_id)
    if report.failed:
        log.info("notificaties_delivered", tenant=slug, abonnement_id=abonnement_id, **asdict(report))
    return report.delivered


@celery_app.task(name="notificaties.purge")
def purge() -> int:
    """Retention: drop finished notifications and their delivery log after ZGW_RUNTIME_DELIVERY_LOG_RETENTION_DAYS."""
    runtime = worker_runtime()
    removed = 0
    for tenant in runtime.registry.list():
        with Session(runtime.engines.get(tenant.database_url)) as session:
            while taken := delivery.purge_old(session, runtime.settings.delivery_log_retention_days):
                removed += taken
    return removed
