"""Readiness of the control plane: the database, and the Celery broker when tasks go through one — a real Redis
that answers, then the same Redis stopped (503 within the short timeout, the broker named without its password)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from controlplane.cli import migrate_controlplane
from controlplane.main import create_app
from tests.controlplane.conftest import World, make_settings
from tests.fixtures.services import PostgresServer, RedisServer


def _client(tmp_path: Path, postgres_server: PostgresServer, broker: str) -> Iterator[TestClient]:
    settings = make_settings(tmp_path, postgres_server, celery_broker_url=broker)
    migrate_controlplane(settings)
    with TestClient(create_app(settings), base_url="http://testserver") as client:
        yield client


def test_ready_in_process_mode_checks_the_database_only(world: World) -> None:
    assert world.cp.settings.tasks_in_process
    assert world.client.get("/readyz").json() == {"status": "ready"}


def test_ready_with_a_broker_and_not_once_it_stopped(
    tmp_path: Path, postgres_server: PostgresServer, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for client in _client(tmp_path, postgres_server, redis_url):
        answer = client.get("/readyz")
        assert answer.status_code == 200 and answer.json() == {"status": "ready"}

    monkeypatch.delenv("ZGW_TEST_REDIS_URL", raising=False)  # a Redis of its own, to stop
    (tmp_path / "redis-to-stop").mkdir()
    broker = RedisServer.start(tmp_path / "redis-to-stop")
    url = broker.url.replace("redis://", "redis://:geheim@") + "/0"
    try:
        for client in _client(tmp_path / "second", postgres_server, url):
            broker.stop()
            started = time.monotonic()
            answer = client.get("/readyz")
            elapsed = time.monotonic() - started
            body = answer.json()
            assert answer.status_code == 503, body
            assert body["status"] == "unavailable" and body["check"] == "broker"
            assert body["broker"] == broker.url + "/0" and "geheim" not in answer.text
            assert "ConnectionError" in body["reason"] and "Connection refused" in body["reason"]
            assert elapsed < 5
    finally:
        broker.stop()
