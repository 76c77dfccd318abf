"""Celery tasks of the releases context: the campaign driver, chained (after each upgrade and wave) and periodic
(every ``ZGW_CAMPAIGN_TICK_SECONDS``, the backstop for pauses, maintenance windows and lost messages). Its state
is in the database, so a worker restart loses nothing."""

from __future__ import annotations

import uuid

import structlog

from controlplane.celery_app import celery_app
from controlplane.config import get_settings
from controlplane.releases import campaigns
from controlplane.tenants.tasks import worker_controlplane

log = structlog.get_logger(__name__)


@celery_app.task(name="releases.advance_campaign", acks_late=True)
def advance_campaign(campaign_id: str) -> float | None:
    return campaigns.advance(worker_controlplane(), uuid.UUID(campaign_id))


@celery_app.task(name="releases.advance_campaigns", acks_late=True)
def advance_campaigns() -> dict[str, float | None]:
    cp = worker_controlplane()
    advanced: dict[str, float | None] = {}
    for campaign_id in campaigns.running_campaigns(cp):
        try:
            advanced[str(campaign_id)] = campaigns.advance(cp, campaign_id)
        except Exception:  # one broken campaign must not stop the others
            log.exception("campaign_advance_failed", campaign=str(campaign_id))
    return advanced


celery_app.conf.beat_schedule = {
    **(celery_app.conf.beat_schedule or {}),
    "releases-advance-campaigns": {
        "task": "releases.advance_campaigns",
        "schedule": get_settings().campaign_tick_seconds,
    },
}
