"""With a Celery broker the runtime's beat ships: ``metering.tick`` seals and ships every served tenant, rests
(Redis) while the control plane is down, and ships everything once it is back; ``metering.purge`` keeps the
retention."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
from sqlalchemy import func, select, update

from controlplane.main import create_app as create_controlplane
from controlplane.usage.models import UsageEntry
from tenant_runtime import celery_app
from tenant_runtime.container import build_runtime
from tenant_runtime.metering import metrics, tasks
from tenant_runtime.metering import service as outbox
from tenant_runtime.metering.events import hour_of
from tenant_runtime.metering.meter import TenantCounts
from tenant_runtime.metering.models import MeteringRecord
from tests.fixtures.services import PostgresServer
from tests.tenant_runtime.live import serve
from tests.tenant_runtime.metering.conftest import World, outbox_session

H0 = hour_of(datetime.now(UTC)) - timedelta(hours=2)


def test_tick_rests_while_the_control_plane_is_down_then_ships(
    tmp_path: Path, postgres_server: PostgresServer, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = World(tmp_path, postgres_server, H0 + timedelta(hours=1, minutes=5))
    runtime = build_runtime(world._settings(celery_broker_url=redis_url, metering_retry_base_seconds=30))
    runtime.meter.clock = world.clock
    monkeypatch.setattr(celery_app, "_runtime", runtime)
    for slug in ("alpha", "beta"):  # what the API processes flushed during H0
        with outbox_session(runtime, world.database_urls[slug]) as session:
            info = runtime.registry.get(slug)
            assert info is not None
            outbox.flush(session, TenantCounts(info, {(int(H0.timestamp()) // 3600, "zaken", "read"): 3}, set()))
    store = redis.Redis.from_url(redis_url)

    unavailable = metrics.SHIPMENTS.labels("unavailable")._value.get()
    assert tasks.tick.run() == {"sealed": 2 * (1 + 3), "shipped": 0}  # the counter and three gauges each
    assert metrics.SHIPMENTS.labels("unavailable")._value.get() == unavailable + 1  # one try, then it rests
    assert 25 <= store.ttl(tasks.RESTING_KEY) <= 35 and int(store.get(tasks.FAILURES_KEY) or 0) == 1
    assert tasks.tick.run() == {"sealed": 0, "shipped": 0}
    assert metrics.SHIPMENTS.labels("unavailable")._value.get() == unavailable + 1  # resting: no attempt

    with serve(create_controlplane(world.cp_settings, controlplane=world.cp), port=world.port):
        assert tasks.tick.run()["shipped"] == 0  # still resting
        store.delete(tasks.RESTING_KEY)  # the delay is over
        assert tasks.tick.run() == {"sealed": 0, "shipped": 8}
    assert not store.exists(tasks.FAILURES_KEY)
    with world.cp.sessions() as session:
        assert session.scalar(select(func.count()).select_from(UsageEntry)) == 8

    for slug in ("alpha", "beta"):
        with outbox_session(runtime, world.database_urls[slug]) as session:
            session.execute(update(MeteringRecord).values(shipped_at=datetime.now(UTC) - timedelta(days=40)))
            session.commit()
    assert tasks.purge.run() == 8
    runtime.close()
    world.cp.close()
