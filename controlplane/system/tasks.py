"""Process-level tasks: a ping that proves a worker consumes the queue."""

from __future__ import annotations

from controlplane.celery_app import celery_app


@celery_app.task(name="system.ping")
def ping(payload: str = "pong") -> str:
    return payload
