"""Prometheus metrics of the control plane, read from its database at scrape time, so they are right whichever
process (API, worker) did the work: tenants by status, jobs by status (gauges), job failures (a counter: the
``job.failed`` entries of the append-only audit log, one per failure, so it never goes down when a job is retried)
and the duration histogram of succeeded jobs (kept per kind as jobs succeed, ``jobs.models.JobDurations``)."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from controlplane.audit.models import AuditEntry
from controlplane.container import ControlPlane
from controlplane.jobs.models import DURATION_BUCKETS, Job, JobDurations, JobKind, JobStatus
from controlplane.tenants.models import Health, Tenant, TenantState

JOB_FAILED = "job.failed"  # the audit action the job runner records for every failure


class ControlPlaneCollector(Collector):
    def __init__(self, cp: ControlPlane) -> None:
        self.cp = cp

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily | HistogramMetricFamily]:
        failed_kind = AuditEntry.after["kind"].as_string()
        with self.cp.sessions() as session:
            by_state = dict(session.execute(select(Tenant.state, func.count()).group_by(Tenant.state)).all())
            drift = session.scalar(select(func.count()).where(Tenant.health == Health.DRIFT)) or 0
            counts = list(session.execute(select(Job.kind, Job.status, func.count()).group_by(Job.kind, Job.status)))
            failures: dict[str, int] = dict(
                session.execute(
                    select(failed_kind, func.count()).where(AuditEntry.action == JOB_FAILED).group_by(failed_kind)
                ).all()
            )
            durations = list(session.scalars(select(JobDurations).order_by(JobDurations.kind)))
        tenants = GaugeMetricFamily("zgwcloud_tenants", "Tenants by lifecycle status.", labels=["status"])
        for state in TenantState:
            tenants.add_metric([state.value], by_state.get(state, 0))
        yield tenants
        yield GaugeMetricFamily("zgwcloud_tenants_drifting", "Tenants whose last reconcile found drift.", value=drift)
        jobs = GaugeMetricFamily("zgwcloud_jobs", "Jobs by kind and current status.", labels=["kind", "status"])
        failed_now = GaugeMetricFamily(
            "zgwcloud_jobs_failed", "Jobs failed now (not retried since) by kind.", labels=["kind"]
        )
        failed: dict[str, int] = {}
        for kind, status, count in counts:
            jobs.add_metric([kind.value, status.value], count)
            if status is JobStatus.FAILED:
                failed[kind.value] = count
        for job_kind in JobKind:
            failed_now.add_metric([job_kind.value], failed.get(job_kind.value, 0))
        yield jobs
        yield failed_now
        total = CounterMetricFamily(
            "zgwcloud_job_failures", "Job failures by kind since the control plane exists.", labels=["kind"]
        )  # exposed as zgwcloud_job_failures_total
        for job_kind in JobKind:
            total.add_metric([job_kind.value], failures.get(job_kind.value, 0))
        yield total
        histogram = HistogramMetricFamily(
            "zgwcloud_job_duration_seconds", "Duration of succeeded jobs, first start to finish.", labels=["kind"]
        )
        for row in durations:
            buckets = [(str(b), float(n)) for b, n in zip(DURATION_BUCKETS, row.bucket_counts(), strict=True)]
            buckets.append(("+Inf", float(row.count)))
            histogram.add_metric([row.kind], buckets, row.sum_seconds)
        yield histogram
