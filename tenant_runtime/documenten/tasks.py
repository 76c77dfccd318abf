"""Celery tasks of the Documenten API (the runtime's own Celery app): the periodic content sweep.

The beat's ``documenten.sweep`` sends one ``documenten.sweep_tenant`` per tenant this pool serves (not in
maintenance: a restore may be rewriting its database); each runs ``services/hygiene.sweep`` for that tenant.
Tasks take slugs, keep no state between runs and are idempotent: running one twice, or two at once, removes
nothing more (every removal is checked against the database and the grace period first).
"""

from __future__ import annotations

from dataclasses import asdict

from tenant_runtime.celery_app import celery_app, worker_runtime
from tenant_runtime.config import get_settings
from tenant_runtime.documenten.services import hygiene
from tenant_runtime.metering.runner import SHIPPABLE, served_tenants

SWEEP_TASK = "documenten.sweep"
SWEEP_TENANT_TASK = "documenten.sweep_tenant"


@celery_app.task(name=SWEEP_TASK, acks_late=True)
def sweep() -> int:
    """Fan out: one sweep task per served tenant."""
    tenants = served_tenants(worker_runtime())
    for tenant in tenants:
        sweep_tenant.delay(tenant.slug)
    return len(tenants)


@celery_app.task(name=SWEEP_TENANT_TASK, acks_late=True)
def sweep_tenant(slug: str) -> dict[str, int]:
    """Sweep one tenant's content (see ``tenant_runtime.documenten.services.hygiene``)."""
    runtime = worker_runtime()
    tenant = runtime.registry.get(slug)
    if tenant is None or tenant.status not in SHIPPABLE:
        return {}
    return asdict(hygiene.sweep_tenant(runtime, tenant))


celery_app.conf.beat_schedule = {
    **(celery_app.conf.beat_schedule or {}),
    "documenten-sweep": {
        "task": SWEEP_TASK,
        "schedule": get_settings().document_sweep_seconds,
        "options": {"expires": max(get_settings().document_sweep_seconds / 2, 5)},
    },
}
