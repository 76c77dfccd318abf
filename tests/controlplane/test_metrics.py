"""The control plane's /metrics: jobs by status are gauges, failures a counter that a retry does not lower (one per
``job.failed`` audit entry), and the duration histogram read from its per-kind rows, not from every job."""

from __future__ import annotations

from datetime import timedelta

from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from controlplane.accounts.actors import SYSTEM
from controlplane.jobs import runner
from controlplane.jobs import service as jobs
from controlplane.jobs.models import Job, JobDurations, JobKind, JobStatus
from controlplane.tenants import service as tenants
from controlplane.tenants.models import Tenant
from tests.controlplane.conftest import World


def _samples(world: World) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = world.client.get("/metrics").text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        if family.name.startswith("zgwcloud_job")
        for sample in family.samples
    }


def _value(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return samples[(name, tuple(sorted(labels.items())))]


def test_failures_counter_survives_a_retry(world: World) -> None:
    with world.cp.sessions() as session:
        job = Job(kind=JobKind.PROVISION, tenant_id=world.tenant_a.id, status=JobStatus.RUNNING)
        session.add(job)
        session.commit()
        job_id = job.id
    runner._fail(world.cp, job_id, "create_database", "server weg")
    samples = _samples(world)
    assert _value(samples, "zgwcloud_job_failures_total", kind="provision") == 1
    assert _value(samples, "zgwcloud_jobs_failed", kind="provision") == 1
    assert _value(samples, "zgwcloud_jobs", kind="provision", status="failed") == 1
    assert _value(samples, "zgwcloud_job_failures_total", kind="backup") == 0

    with world.cp.sessions() as session:
        tenant = session.get(Tenant, world.tenant_a.id)
        assert tenant is not None
        tenants.retry(world.cp, session, SYSTEM, tenant)
        session.commit()
    samples = _samples(world)
    assert _value(samples, "zgwcloud_jobs_failed", kind="provision") == 0  # retried: not failed now
    assert _value(samples, "zgwcloud_job_failures_total", kind="provision") == 1  # but it did fail once
    assert ("zgwcloud_jobs_total", (("kind", "provision"), ("status", "queued"))) not in samples  # a gauge now

    runner._fail(world.cp, job_id, "create_database", "weer weg")
    samples = _samples(world)
    assert _value(samples, "zgwcloud_job_failures_total", kind="provision") == 2
    assert _value(samples, "zgwcloud_jobs_failed", kind="provision") == 1


def test_duration_histogram_from_its_rows(world: World) -> None:
    now = world.cp.clock.now()
    with world.cp.sessions() as session:
        # A succeeded job without its histogram entry: a scrape no longer reads the jobs table.
        session.add(Job(kind=JobKind.SUSPEND, tenant_id=world.tenant_a.id, status=JobStatus.SUCCEEDED,
                        started_at=now - timedelta(seconds=3), finished_at=now))  # fmt: skip
        for seconds in (0.5, 7.0, 1000.0):
            jobs.record_duration(session, JobKind.BACKUP, seconds)
        session.commit()
        row = session.scalar(select(JobDurations).where(JobDurations.kind == "backup"))
        assert row is not None and row.count == 3 and row.bucket_counts()[0] == 1
    samples = _samples(world)
    assert _value(samples, "zgwcloud_job_duration_seconds_bucket", kind="backup", le="1.0") == 1
    assert _value(samples, "zgwcloud_job_duration_seconds_bucket", kind="backup", le="10.0") == 2
    assert _value(samples, "zgwcloud_job_duration_seconds_bucket", kind="backup", le="900.0") == 2
    assert _value(samples, "zgwcloud_job_duration_seconds_bucket", kind="backup", le="+Inf") == 3
    assert _value(samples, "zgwcloud_job_duration_seconds_count", kind="backup") == 3
    assert _value(samples, "zgwcloud_job_duration_seconds_sum", kind="backup") == 1007.5
    assert not any(name.startswith("zgwcloud_job_duration") and ("kind", "suspend") in labels
                   for name, labels in samples)  # fmt: skip
