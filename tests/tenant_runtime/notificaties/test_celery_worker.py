"""Delivery by the runtime's Celery workers: real ``celery worker`` processes with a Redis broker, woken by the
API process after each commit; a worker killed (SIGKILL) mid-delivery loses nothing."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from tenant_runtime.notificaties.models import DeliveryStatus
from tests.fixtures.processes import ManagedProcess
from tests.fixtures.services import PostgresServer
from tests.tenant_runtime.notificaties.conftest import (
    delivery_rows,
    nrc_runtime,
    publish_zaak,
    publisher,
    subscribe,
    zaak_url,
)
from tests.tenant_runtime.notificaties.subscriber import running_subscriber


def _worker(name: str, workdir: Path, env: dict[str, str]) -> ManagedProcess:
    return ManagedProcess(
        name,
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "tenant_runtime.celery_app:celery_app",
            "worker",
            "--beat",
            "--schedule",
            workdir / f"{name}-beat-schedule",
            "--pool",
            "threads",
            "--concurrency",
            "4",
            "--hostname",
            f"{name}@%h",
            "--loglevel",
            "INFO",
        ],
        workdir,
        env=env,
    )


def _wait(condition: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


@pytest.mark.slow
def test_celery_workers_deliver_and_a_killed_worker_loses_nothing(
    tmp_path: Path, postgres_server: PostgresServer, redis_url: str
) -> None:
    with (
        nrc_runtime(tmp_path, postgres_server, ("alpha",), celery_broker_url=redis_url) as env,
        running_subscriber() as subscriber,
    ):
        alpha = env.tenants["alpha"]
        settings = env.runtime.settings
        subscribe(alpha, subscriber.url)
        worker_env = {
            "ZGW_RUNTIME_ENVIRONMENT": "test",
            "ZGW_RUNTIME_DATA_DIR": str(tmp_path),
            "ZGW_RUNTIME_REGISTRY_URL": settings.registry_url,
            "ZGW_RUNTIME_CELERY_BROKER_URL": redis_url,
            "ZGW_RUNTIME_DELIVERY_TIMEOUT": str(settings.delivery_timeout),
            "ZGW_RUNTIME_DELIVERY_TICK_SECONDS": "1.0",
            "ZGW_RUNTIME_DELIVERY_RETRY_BASE_SECONDS": "0.2",
            "ZGW_RUNTIME_DELIVERY_BATCH_SIZE": "5",
            "ZGW_RUNTIME_DELIVERY_CONCURRENCY": "4",
            "PYTHONPATH": os.pathsep.join([str(Path.cwd()), os.environ.get("PYTHONPATH", "")]),
        }
        first = _worker("worker-1", tmp_path, worker_env)
        try:
            # 1. An API publish wakes the workers (the beat tick is a second; this is faster on a warm worker).
            response = alpha.client.post(
                f"{alpha.api('notificaties')}/notificaties",
                json={
                    "kanaal": "zaken",
                    "hoofdObject": zaak_url(alpha, 0),
                    "resource": "zaak",
                    "resourceUrl": zaak_url(alpha, 0),
                    "actie": "create",
                    "aanmaakdatum": "2026-01-01T12:00:00Z",
                    "kenmerken": {"bronorganisatie": "002220647"},
                },
                headers=publisher(alpha),
            )
            assert response.status_code == 200
            subscriber.wait_for(1, timeout=60)

            # 2. Kill the worker while the subscriber holds requests in flight.
            subscriber.delay = 1.5
            for number in range(1, 21):
                publish_zaak(alpha, zaak_url(alpha, number))
            _wait(lambda: subscriber.arrivals >= 3, 30, "requests in flight")
            first.kill()
        finally:
            first.stop()
        unfinished = [r for r in delivery_rows(alpha) if r.status != DeliveryStatus.DELIVERED.value]
        assert unfinished, "the worker was killed before it could finish"
        # The kill may come before the worker fanned every outbox message out into deliveries: those stay in the
        # outbox (none lost, none doubled) for the next worker.
        assert len(delivery_rows(alpha)) <= 21

        # 3. A new worker picks up what the dead one held once its leases run out: everything arrives.
        subscriber.delay = 0
        second = _worker("worker-2", tmp_path, worker_env)
        try:
            _wait(
                lambda: (
                    len(rows := delivery_rows(alpha)) == 21
                    and all(r.status == DeliveryStatus.DELIVERED.value for r in rows)
                ),
                settings.delivery_timeout * 2 + 5 + 60,
                "all deliveries",
            )
        finally:
            second.stop()
        delivered = {n["hoofdObject"] for n in subscriber.notifications()}
        assert delivered == {zaak_url(alpha, n) for n in range(21)}
        # at least once: requests cut off by the kill were sent again
        assert len(subscriber.notifications()) >= 21
