"""Celery tasks of billing: month-close, sending meter events (retried until the provider takes them),
customer sync, due plan changes, and the nightly reconciliation. They take ids/periods, are acknowledged late
and are safe to run twice (see ``closing``, ``sync``, ``reconcile``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import structlog

from controlplane.billing import closing, reconcile, service, sync
from controlplane.billing.pricing import Period
from controlplane.celery_app import celery_app
from controlplane.config import get_settings
from controlplane.tenants.tasks import worker_controlplane
from tenant_runtime.core.problems import Problem

log = structlog.get_logger(__name__)


@celery_app.task(name="billing.close_period", acks_late=True, reject_on_worker_lost=True)
def close_period(period: str) -> dict[str, Any]:
    """Freeze the invoices of ``period`` (YYYY-MM), then hand the recorded meter events to the sender."""
    report = closing.close_period(worker_controlplane(), Period.parse(period))
    if report.submissions_created:
        send_meter_events.delay()
    return vars(report)


@celery_app.task(name="billing.send_meter_events", bind=True, acks_late=True, reject_on_worker_lost=True,
                 max_retries=None)  # fmt: skip
def send_meter_events(self) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Send due meter events; while the provider fails, retry at the earliest next attempt (the beat's tick
    picks up anything left as well)."""
    cp = worker_controlplane()
    report = sync.send_due(cp)
    if report.next_attempt_at is not None:
        delay = max(1.0, (report.next_attempt_at - cp.clock.now()).total_seconds())
        raise self.retry(countdown=delay)
    return {k: v for k, v in vars(report).items() if k != "next_attempt_at"}


def send_after_close() -> None:
    """Hand freshly recorded meter events to a worker; a broker outage only delays them to the next tick."""
    try:
        send_meter_events.delay()
    except Exception:  # the beat's tick sends them as well
        log.warning("billing_send_dispatch_failed")


@celery_app.task(name="billing.tick", acks_late=True)
def tick() -> dict[str, Any]:
    """Every few minutes: apply due plan changes, give new tenants a customer, close a period that is due,
    send due meter events."""
    cp = worker_controlplane()
    with cp.sessions() as session:
        applied = service.apply_due_plan_changes(cp, session)
        session.commit()
        due = closing.due_period(cp, session)
    closed = vars(closing.close_period(cp, due)) if due is not None else None
    customers = sync.sync_customers(cp)
    sent = sync.send_due(cp)
    return {"plan_changes": applied, "closed": closed, "customers": customers, "sent": sent.sent,
            "retrying": sent.retrying}  # fmt: skip


@celery_app.task(name="billing.reconcile", acks_late=True)
def reconcile_recent() -> list[dict[str, Any]]:
    """Nightly: reconcile the recently closed periods and log any drift."""
    cp = worker_controlplane()
    results = []
    for period in reconcile.periods_to_reconcile(cp):
        try:
            run = reconcile.reconcile_period(cp, period)
        except Problem:  # not closed (no invoices): nothing to compare
            continue
        if run.drifting:
            log.warning("billing_drift", period=str(period), drifting=run.drifting, status=run.status.value)
        results.append({"period": str(period), "status": run.status.value, "drifting": run.drifting,
                        "at": datetime.now(UTC).isoformat()})  # fmt: skip
    return results


celery_app.conf.beat_schedule = {
    **(celery_app.conf.beat_schedule or {}),
    "billing-tick": {"task": "billing.tick", "schedule": get_settings().billing_tick_seconds},
    "billing-reconcile": {"task": "billing.reconcile", "schedule": get_settings().billing_reconcile_interval_seconds},
}
