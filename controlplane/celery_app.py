"""The Celery application. With a broker URL it is a normal distributed Celery; without one (the embedded
default) tasks run in-process on a background worker thread over kombu's in-memory transport."""

from __future__ import annotations

import threading
import time

from celery import Celery

from controlplane.config import Settings, get_settings

# Each bounded context registers its tasks module here.
TASK_MODULES = [
    "controlplane.system.tasks",
    "controlplane.tenants.tasks",
    "controlplane.releases.tasks",
    "controlplane.billing.tasks",
    "controlplane.usage.tasks",
    "controlplane.backups.tasks",
]


def create_celery(settings: Settings) -> Celery:
    broker = settings.celery_broker_url or "memory://"
    app = Celery("zgwcloud", broker=broker, backend=settings.celery_result_backend or None, include=TASK_MODULES)
    app.conf.update(
        task_acks_late=True,  # a worker killed mid-task leaves the message for the next one
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_serializer="json",
        accept_content=["json"],
        timezone="UTC",
        broker_connection_retry_on_startup=True,
        task_default_queue="zgwcloud",
        # Redis: an unacknowledged task (its worker died) is delivered again after this many seconds.
        broker_transport_options={
            "visibility_timeout": settings.celery_visibility_timeout,
            "unacked_restore_interval": max(1, min(10, settings.celery_visibility_timeout // 2)),
            "unacked_restore_throttle": 1,
        },
    )
    return app


celery_app = create_celery(get_settings())

_embedded_worker: threading.Thread | None = None


def start_embedded_worker(app: Celery = celery_app) -> threading.Thread:
    """Run a solo worker in a daemon thread of this process (embedded default; no broker needed)."""
    global _embedded_worker
    if _embedded_worker is None or not _embedded_worker.is_alive():
        # WorkController, unlike app.Worker, installs no signal handlers, so it can live in a thread.
        worker = app.WorkController(
            pool_cls="solo",
            concurrency=1,
            without_heartbeat=True,
            without_mingle=True,
            without_gossip=True,
            hostname="embedded@localhost",
        )
        _embedded_worker = threading.Thread(target=worker.start, name="celery-embedded", daemon=True)
        _embedded_worker.start()
    return _embedded_worker


_embedded_beat: threading.Thread | None = None


def start_embedded_beat(app: Celery = celery_app, stop: threading.Event | None = None) -> threading.Thread:
    """The embedded default's beat: a daemon thread that sends each periodic task of ``beat_schedule`` (which
    the contexts register) at its interval to the in-process worker."""
    global _embedded_beat
    app.loader.import_default_modules()  # the tasks modules register their schedules on import
    schedule = {name: (entry["task"], float(entry["schedule"])) for name, entry in app.conf.beat_schedule.items()}
    stopped = stop or threading.Event()

    def loop() -> None:
        due = {name: time.monotonic() + interval for name, (_, interval) in schedule.items()}
        while not stopped.wait(1.0):
            now = time.monotonic()
            for name, (task, interval) in schedule.items():
                if now >= due[name]:
                    app.send_task(task)
                    due[name] = now + interval

    if _embedded_beat is None or not _embedded_beat.is_alive():
        _embedded_beat = threading.Thread(target=loop, name="celery-embedded-beat", daemon=True)
        _embedded_beat.start()
    return _embedded_beat
