"""Jobs run in-process against real PostgreSQL and a real runtime over HTTP: failure with a reason and a retry
that skips finished steps; the reconciler repairing or reporting drift in locked batches."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text, update

from controlplane.drivers.interfaces import RuntimeStatus, TemporaryError, TenantSpec
from controlplane.jobs import runner
from controlplane.jobs.models import Job, JobStatus
from controlplane.tenants import reconcile
from controlplane.tenants.models import Health, Tenant, TenantState
from tenant_runtime.config import RuntimeSettings
from tenant_runtime.main import create_app as create_runtime
from tests.controlplane.conftest import World, build_world, make_settings
from tests.fixtures.processes import free_port
from tests.fixtures.services import PostgresServer
from tests.tenant_runtime.live import serve


@pytest.fixture
def live(tmp_path: Path, postgres_server: PostgresServer) -> Iterator[World]:
    settings = make_settings(tmp_path, postgres_server)
    runtime_settings = RuntimeSettings(
        environment="test", data_dir=tmp_path / "rt", registry_url=settings.runtime_registry_url,
        registry_cache_seconds=0,
    )  # fmt: skip
    with serve(create_runtime(runtime_settings)) as url:
        yield from build_world(settings.model_copy(update={"runtime_public_url": url}))


def run_to_end(world: World, job_id: uuid.UUID, attempts: int = 20) -> JobStatus:
    for _ in range(attempts):
        try:
            return runner.run(world.cp, job_id)
        except TemporaryError:
            continue
    raise AssertionError("job did not finish")


def provision(world: World, tenant: Tenant) -> uuid.UUID:
    response = world.client.post(f"/api/v1/tenants/{tenant.id}/provision", headers=world.headers("operator"))
    assert response.status_code == 202
    return uuid.UUID(response.json()["id"])


def test_failed_job_has_reason_and_retry_skips_finished_steps(live: World) -> None:
    cp = live.cp
    good_url = cp.settings.runtime_public_url
    cp.settings.runtime_public_url = f"http://127.0.0.1:{free_port()}"  # nothing listens: verification fails
    job_id = provision(live, live.tenant_a)
    assert run_to_end(live, job_id) is JobStatus.FAILED
    with cp.sessions() as session:
        job, tenant = session.get(Job, job_id), session.get(Tenant, live.tenant_a.id)
        assert job is not None and tenant is not None
        assert job.steps_done == [
            "create_database", "migrate", "seed_credentials", "register", "deploy_runtime", "wait_ready",
        ]  # fmt: skip
        assert job.error.startswith("verify: runtime not reachable") and job.attempts == runner.MAX_ATTEMPTS
        assert tenant.state is TenantState.FAILED and "verify" in tenant.failure_reason
    cp.settings.runtime_public_url = good_url
    retried = live.client.post(f"/api/v1/tenants/{live.tenant_a.id}/retry", headers=live.headers("operator"))
    assert retried.status_code == 202 and retried.json()["status"] == "queued"
    assert live.dispatched.jobs[-1] == job_id
    assert run_to_end(live, job_id) is JobStatus.SUCCEEDED
    with cp.sessions() as session:
        tenant = session.get(Tenant, live.tenant_a.id)
        assert tenant is not None and tenant.state is TenantState.ACTIVE and tenant.failure_reason == ""
    assert runner.run(cp, job_id) is JobStatus.SUCCEEDED  # a duplicate delivery is a no-op


def test_reconciler_repairs_registry_and_reports_missing_database(live: World) -> None:
    cp = live.cp
    for tenant in (live.tenant_a, live.tenant_b):
        assert run_to_end(live, provision(live, tenant)) is JobStatus.SUCCEEDED
    spec_a = TenantSpec(live.tenant_a.slug, live.tenant_a.name)
    spec_b = TenantSpec(live.tenant_b.slug, live.tenant_b.name)

    cp.driver.unregister(spec_a)  # drift: the runtime forgot tenant A
    cp.driver.register(spec_b, RuntimeStatus.SUSPENDED)  # drift: B suspended behind the control plane's back
    report = reconcile.reconcile_batch(cp)
    assert report.checked == 2
    assert report.repaired == {"alphen": ["registry set to active"], "bodegraven": ["registry set to active"]}
    assert cp.driver.observe(spec_a).registered and cp.driver.observe(spec_b).status is RuntimeStatus.ACTIVE

    cp.driver.drop_database(spec_b)  # data loss is reported, never papered over with an empty database
    with cp.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f'CREATE DATABASE "{cp.settings.tenant_database_prefix}ghost"'))
    report = reconcile.reconcile_batch(cp)
    assert report.reported == {"bodegraven": ["tenant database missing"]} and report.repaired == {}
    assert report.orphan_databases == [f"{cp.settings.tenant_database_prefix}ghost"]
    with cp.sessions() as session:
        tenant_b = session.get(Tenant, live.tenant_b.id)
        assert tenant_b is not None and tenant_b.health is Health.DRIFT
    metrics = live.client.get("/metrics").text
    assert "zgwcloud_tenants_drifting 1.0" in metrics and 'zgwcloud_tenants{status="active"} 2.0' in metrics


def test_reconciler_skips_locked_tenants_and_requeues_stale_jobs(live: World) -> None:
    cp = live.cp
    assert run_to_end(live, provision(live, live.tenant_a)) is JobStatus.SUCCEEDED
    assert run_to_end(live, provision(live, live.tenant_b)) is JobStatus.SUCCEEDED
    with cp.sessions() as holder:
        holder.scalar(select(Tenant).where(Tenant.id == live.tenant_a.id).with_for_update(of=Tenant))
        report = reconcile.reconcile_batch(cp)  # another process holds A: only B is checked
        assert report.checked == 1
        holder.rollback()

    stale = Job(kind="suspend", tenant_id=live.tenant_a.id, steps_done=[])
    with cp.sessions() as session:
        session.add(stale)
        session.commit()
        session.execute(update(Job).where(Job.id == stale.id).values(updated_at=cp.clock.now() - timedelta(hours=1)))
        session.commit()
    live.dispatched.jobs.clear()
    assert reconcile.requeue_stale_jobs(cp) == [str(stale.id)]
    assert live.dispatched.jobs == [stale.id]
