"""The tenant runtime's own Celery application: the workers that deliver notifications.

Run with a broker (``ZGW_RUNTIME_CELERY_BROKER_URL``, Redis)::

    celery -A tenant_runtime.celery_app:celery_app worker --pool threads --concurrency 16
    celery -A tenant_runtime.celery_app:celery_app beat

The beat's ``notificaties.tick`` walks the registry's active tenants; API processes also wake the workers right
after each commit that wrote the outbox. Without a broker (the embedded default) none of this runs: the runtime
process delivers in a background thread (``tenant_runtime.notificaties.runner``).
"""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import redis
from celery import Celery
from celery.signals import worker_process_init
from kombu.entity import Queue

from tenant_runtime.config import RuntimeSettings, get_settings
from tenant_runtime.container import Runtime, build_runtime

TASK_MODULES = ["tenant_runtime.notificaties.tasks", "tenant_runtime.metering.tasks", "tenant_runtime.documenten.tasks"]
QUEUE = "notificaties"  # tick, dispatch (fan-out) and purge: short database work
DELIVERY_QUEUE = "notificaties.delivery"  # one sender per abonnement: HTTP to subscribers
PENDING_TTL_SECONDS = 30  # a de-duplication mark outlives a lost task message by at most this long


def create_celery(settings: RuntimeSettings) -> Celery:
    app = Celery("zgw-runtime", broker=settings.celery_broker_url or "memory://", include=TASK_MODULES)
    app.conf.update(
        task_acks_late=True,  # a worker killed mid-task leaves the message for the next one
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_serializer="json",
        accept_content=["json"],
        timezone="UTC",
        broker_connection_retry_on_startup=True,
        task_ignore_result=True,
        task_default_queue=QUEUE,
        task_queues=(Queue(QUEUE), Queue(DELIVERY_QUEUE)),  # type: ignore[no-untyped-call]
        task_routes={"notificaties.deliver": {"queue": DELIVERY_QUEUE}},
        beat_schedule={
            "notificaties-tick": {
                "task": "notificaties.tick",
                "schedule": timedelta(seconds=settings.delivery_tick_seconds),
                "options": {"expires": max(settings.delivery_tick_seconds * 5, 5)},
            },
            "notificaties-purge": {"task": "notificaties.purge", "schedule": timedelta(hours=1)},
        },
    )
    return app


celery_app = create_celery(get_settings())

_runtime: Runtime | None = None
_runtime_lock = threading.Lock()


def worker_runtime() -> Runtime:
    """The registry and tenant engines of this worker process (built once, from the environment)."""
    global _runtime
    with _runtime_lock:
        if _runtime is None:
            _runtime = build_runtime(get_settings())
        return _runtime


def _fresh_runtime_after_fork(**_: Any) -> None:
    """A forked pool process must not share the parent's database connections."""
    global _runtime
    _runtime = None


worker_process_init.connect(_fresh_runtime_after_fork, weak=False)


class TaskScheduler:
    """Sends the delivery tasks, at most one queued per tenant (dispatch) or abonnement (deliver).

    A mark in Redis (``SET NX EX``) says a task is queued; the task deletes it when it starts, so work that arrives
    while it runs schedules the next one. A lost mark expires after ``PENDING_TTL_SECONDS``."""

    def __init__(self, app: Celery, broker_url: str) -> None:
        self._app = app
        self._redis = redis.Redis.from_url(broker_url) if broker_url.startswith(("redis://", "rediss://")) else None

    @classmethod
    def from_settings(cls, settings: RuntimeSettings) -> TaskScheduler:
        app = celery_app if settings.celery_broker_url == get_settings().celery_broker_url else create_celery(settings)
        return cls(app, settings.celery_broker_url)

    @staticmethod
    def _key(*parts: object) -> str:
        return "zgw:notificaties:queued:" + ":".join(str(p) for p in parts)

    def _mark(self, key: str) -> bool:
        if self._redis is None:
            return True
        return bool(self._redis.set(key, b"1", nx=True, ex=PENDING_TTL_SECONDS))

    def started(self, *parts: object) -> None:
        if self._redis is not None:
            self._redis.delete(self._key(*parts))

    def dispatch(self, slug: str) -> None:
        if self._mark(self._key("dispatch", slug)):
            self._app.send_task("notificaties.dispatch", args=[slug], queue=QUEUE)

    def deliver(self, slug: str, abonnement_id: int) -> None:
        if self._mark(self._key("deliver", slug, abonnement_id)):
            self._app.send_task("notificaties.deliver", args=[slug, abonnement_id], queue=DELIVERY_QUEUE)

    def close(self) -> None:
        if self._redis is not None:
            self._redis.close()
