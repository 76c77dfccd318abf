"""Celery beat tasks of the backups context: start due scheduled backups and enforce retention, start due
restore drills and finish the clean-up of failed ones. The backups, restores, drills and exports themselves are
jobs, run by ``tenants.run_job`` like every other job (acknowledged late, resumable)."""

from __future__ import annotations

import structlog
from sqlalchemy import select

from controlplane.backups import service
from controlplane.backups.jobs import cleanup_scratch
from controlplane.backups.models import Drill, RunStatus
from controlplane.celery_app import celery_app
from controlplane.config import get_settings
from controlplane.container import ControlPlane
from controlplane.tenants.tasks import worker_controlplane

log = structlog.get_logger(__name__)


def sweep_failed_drills(cp: ControlPlane) -> int:
    """Retry removing the scratch tenants of failed drills whose clean-up did not finish."""
    cleaned = 0
    with cp.sessions() as session:
        drills = session.scalars(
            select(Drill)
            .where(Drill.status == RunStatus.FAILED, Drill.cleaned_up.is_(False))
            .limit(20)
            .with_for_update(skip_locked=True)
        ).all()
        for drill in drills:
            try:
                cleanup_scratch(cp, session, drill)
                cleaned += 1
            except Exception:
                log.exception("backup_drill_cleanup_failed", drill=str(drill.id))
        session.commit()
    return cleaned


@celery_app.task(name="backups.schedule", acks_late=True)
def schedule() -> dict[str, object]:
    cp = worker_controlplane()
    started = service.schedule_due_backups(cp)
    deleted = service.enforce_retention(cp)
    return {"started": started, "deleted": deleted}


@celery_app.task(name="backups.drills", acks_late=True)
def drills() -> dict[str, object]:
    cp = worker_controlplane()
    return {"started": service.schedule_due_drills(cp), "cleaned": sweep_failed_drills(cp)}


_settings = get_settings()
celery_app.conf.beat_schedule = {
    **(celery_app.conf.beat_schedule or {}),
    "backups-schedule": {"task": "backups.schedule", "schedule": _settings.backup_schedule_seconds},
    "backups-drills": {"task": "backups.drills", "schedule": _settings.backup_drill_check_seconds},
}
