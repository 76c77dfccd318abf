"""Celery tasks of the tenants context: run a lifecycle job, reconcile, purge after retention. They take ids,
are acknowledged late (a killed worker's message is delivered again) and are safe to run twice."""

from __future__ import annotations

import uuid
from functools import lru_cache

import structlog

from controlplane.celery_app import celery_app
from controlplane.config import get_settings
from controlplane.container import ControlPlane, build_controlplane
from controlplane.drivers.interfaces import TemporaryError
from controlplane.jobs import runner
from controlplane.tenants import reconcile as reconciler

log = structlog.get_logger(__name__)


@lru_cache
def worker_controlplane() -> ControlPlane:
    return build_controlplane(get_settings())


@celery_app.task(name="tenants.run_job", bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)
def run_job(self, job_id: str) -> str:  # type: ignore[no-untyped-def]
    try:
        return runner.run(worker_controlplane(), uuid.UUID(job_id)).value
    except TemporaryError as exc:
        raise self.retry(countdown=exc.delay) from exc
    except runner.JobBusy:
        log.info("job_busy_skipped", job=job_id)  # the holder finishes it; its own message stays unacked
        return "busy"


@celery_app.task(name="tenants.reconcile", acks_late=True)
def reconcile() -> dict[str, object]:
    report = reconciler.reconcile_batch(worker_controlplane())
    return {
        "checked": report.checked,
        "repaired": report.repaired,
        "reported": report.reported,
        "orphan_databases": report.orphan_databases,
        "requeued_jobs": report.requeued_jobs,
    }


@celery_app.task(name="tenants.purge_due", acks_late=True)
def purge_due() -> list[str]:
    return reconciler.schedule_due_purges(worker_controlplane())


celery_app.conf.beat_schedule = {
    **(celery_app.conf.beat_schedule or {}),
    "tenants-reconcile": {"task": "tenants.reconcile", "schedule": get_settings().reconcile_interval_seconds},
    "tenants-purge-due": {"task": "tenants.purge_due", "schedule": 3600.0},
}
