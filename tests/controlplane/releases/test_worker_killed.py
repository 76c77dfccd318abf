"""A campaign driven by real Celery workers on Redis (chained and re-delivered tasks, not this process): the
worker is killed with SIGKILL in the middle of a tenant's upgrade, a new worker starts, and the campaign converges
— every tenant on the new release, the interrupted upgrade resumed after its last recorded step."""

from __future__ import annotations

import json
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from controlplane.celery_app import create_celery
from controlplane.jobs.models import Job
from controlplane.releases.models import Campaign, TenantUpgrade
from tests.controlplane.releases.conftest import POOL_V2, Fleet, build_fleet
from tests.fixtures.processes import ManagedProcess
from tests.fixtures.releases import REVERSIBLE
from tests.fixtures.services import PostgresServer

pytestmark = pytest.mark.slow


def _worker(fleet: Fleet, name: str) -> ManagedProcess:
    s = fleet.settings
    env = {
        "ZGW_ENVIRONMENT": "test", "ZGW_ENCRYPTION_KEY": s.encryption_key, "ZGW_SECRET_KEY": s.secret_key,
        "ZGW_DATABASE_URL": s.database_url, "ZGW_DATA_DIR": str(s.data_dir),
        "ZGW_RUNTIME_REGISTRY_URL": s.runtime_registry_url, "ZGW_RUNTIME_DATA_DIR": str(s.runtime_data_dir),
        "ZGW_RUNTIME_PUBLIC_URL": s.runtime_public_url, "ZGW_RUNTIME_POOL_ROUTES": json.dumps(s.runtime_pool_routes),
        "ZGW_TENANT_DATABASE_PREFIX": s.tenant_database_prefix,
        "ZGW_CELERY_BROKER_URL": s.celery_broker_url, "ZGW_CELERY_VISIBILITY_TIMEOUT": "3",
        "ZGW_UPGRADE_GATE_WINDOW_SECONDS": str(s.upgrade_gate_window_seconds),
        "ZGW_UPGRADE_GATE_TIMEOUT_SECONDS": str(s.upgrade_gate_timeout_seconds), "ZGW_CAMPAIGN_TICK_SECONDS": "2",
        "ZGW_LOG_LEVEL": "INFO",
    }  # fmt: skip
    return ManagedProcess(
        name,
        [sys.executable, "-m", "celery", "-A", "controlplane.celery_app:celery_app", "worker", "--pool", "solo",
         "--concurrency", "1", "--without-heartbeat", "--without-mingle", "--without-gossip", "-Q", "zgwcloud",
         "--loglevel", "INFO"],
        fleet.settings.data_dir,
        env=env,
    )  # fmt: skip


@pytest.fixture
def celery_fleet(tmp_path: Path, postgres_server: PostgresServer, redis_url: str) -> Iterator[Fleet]:
    yield from build_fleet(
        tmp_path, postgres_server, celery_broker_url=redis_url, celery_visibility_timeout=3,
        upgrade_gate_window_seconds=2.0,
    )  # fmt: skip


def test_worker_killed_mid_upgrade_converges(celery_fleet: Fleet) -> None:
    fleet = celery_fleet
    tenants = [fleet.provision(slug, code) for slug, code in (("kill-a", "0101"), ("kill-b", "0102"))]
    before = {t.slug: fleet.fingerprint(t) for t in tenants}
    fleet.release()
    celery = create_celery(fleet.settings)
    fleet.cp.dispatch = lambda job_id: celery.send_task("tenants.run_job", args=[str(job_id)])
    fleet.settings.data_dir.mkdir(parents=True, exist_ok=True)
    workers = [_worker(fleet, "worker-0")]
    try:
        started = fleet.start(scope="tenants", tenants=["kill-a", "kill-b"], canary_count=0, wave_size=2)
        campaign_id = uuid.UUID(started["id"])
        deadline = time.monotonic() + 60
        interrupted: uuid.UUID | None = None
        while interrupted is None and time.monotonic() < deadline:  # kill it inside the health gate's window
            with fleet.session() as session:
                for job in session.query(Job).filter(Job.kind == "upgrade"):
                    if job.current_step == "health_gate" and job.status.value == "running":
                        interrupted = job.id
            time.sleep(0.05)
        assert interrupted is not None, workers[0].log.read_text()[-3000:]
        workers[0].kill()  # SIGKILL: the job's message stays unacknowledged, its advisory lock dies with it
        workers.append(_worker(fleet, "worker-1"))

        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with fleet.session() as session:
                campaign = session.get(Campaign, campaign_id)
                assert campaign is not None
                if campaign.status.value != "running":
                    break
            time.sleep(0.3)
        logs = "\n".join(w.log.read_text(errors="replace")[-3000:] for w in workers)
        assert campaign.status.value == "completed", logs
        with fleet.session() as session:
            upgrades = {u.tenant_id: u for u in session.query(TenantUpgrade).filter_by(campaign_id=campaign_id)}
            job = session.get(Job, interrupted)
            assert job is not None and job.status.value == "succeeded" and job.attempts >= 2, logs
            assert job.steps_done.count("health_gate") == 1 and job.steps_done[-1] == "finish"
        for tenant in tenants:
            assert upgrades[tenant.id].status.value == "upgraded", logs
            assert fleet.schema_at(tenant, REVERSIBLE) and fleet.pool(tenant) == POOL_V2
            assert fleet.fingerprint(tenant) == before[tenant.slug]
    finally:
        for worker in workers:
            worker.stop()
