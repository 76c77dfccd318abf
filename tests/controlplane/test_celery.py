"""Celery against a real Redis broker, with a real worker consuming the queue."""

from __future__ import annotations

from celery.contrib.testing.worker import start_worker

from controlplane.celery_app import create_celery
from controlplane.config import Settings
from tests.conftest import TEST_ENCRYPTION_KEY


def test_task_round_trip_over_redis(redis_url: str) -> None:
    app = create_celery(
        Settings(
            environment="test",
            encryption_key=TEST_ENCRYPTION_KEY,
            celery_broker_url=redis_url,
            celery_result_backend=redis_url,
        )
    )
    app.loader.import_default_modules()
    with start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING"):
        result = app.send_task("system.ping", args=["hallo"])
        assert result.get(timeout=30) == "hallo"
