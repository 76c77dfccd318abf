"""Prometheus metrics of the control plane, read from its database at scrape time, so they are right whichever
process (API, worker) did the work: tenants by status, job counts and durations, failures."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from controlplane.container import ControlPlane
from controlplane.jobs.models import Job, JobStatus
from controlplane.tenants.models import Health, Tenant, TenantState

DURATION_BUCKETS = (1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0)


class ControlPlaneCollector(Collector):
    def __init__(self, cp: ControlPlane) -> None:
        self.cp = cp

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily | HistogramMetricFamily]:
        with self.cp.sessions() as session:
            by_state = dict(session.execute(select(Tenant.state, func.count()).group_by(Tenant.state)).all())
            drift = session.scalar(select(func.count()).where(Tenant.health == Health.DRIFT)) or 0
            job_counts = session.execute(select(Job.kind, Job.status, func.count()).group_by(Job.kind, Job.status))
            finished = session.execute(
                select(Job.kind, Job.started_at, Job.finished_at).where(
                    Job.status == JobStatus.SUCCEEDED, Job.started_at.is_not(None), Job.finished_at.is_not(None)
                )
            ).all()
            counts = list(job_counts)
        tenants = GaugeMetricFamily("zgwcloud_tenants", "Tenants by lifecycle status.", labels=["status"])
        for state in TenantState:
            tenants.add_metric([state.value], by_state.get(state, 0))
        yield tenants
        yield GaugeMetricFamily("zgwcloud_tenants_drifting", "Tenants whose last reconcile found drift.", value=drift)
        jobs = CounterMetricFamily("zgwcloud_jobs", "Jobs by kind and status.", labels=["kind", "status"])
        failures = CounterMetricFamily("zgwcloud_job_failures", "Failed jobs by kind.", labels=["kind"])
        for kind, status, count in counts:
            jobs.add_metric([kind.value, status.value], count)
            if status is JobStatus.FAILED:
                failures.add_metric([kind.value], count)
        yield jobs
        yield failures
        histogram = HistogramMetricFamily(
            "zgwcloud_job_duration_seconds", "Duration of succeeded jobs, first start to finish.", labels=["kind"]
        )
        per_kind: dict[str, list[float]] = {}
        for job_kind, started, ended in finished:
            if started is not None and ended is not None:
                per_kind.setdefault(job_kind.value, []).append((ended - started).total_seconds())
        for kind_name, durations in sorted(per_kind.items()):
            buckets = [(str(b), float(sum(1 for d in durations if d <= b))) for b in DURATION_BUCKETS]
            buckets.append(("+Inf", float(len(durations))))
            histogram.add_metric([kind_name], buckets, sum(durations))
        yield histogram
