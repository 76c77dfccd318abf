"""Prometheus metrics of billing, read from the database at scrape time: meter events by status (pending and
review growing means Stripe is not taking them), the age of the oldest pending one, the last closed period,
and the latest reconciliation of each recent period (drift is what finance must look at)."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from controlplane.billing.models import (
    BillingPeriod,
    MeterEventSubmission,
    PeriodStatus,
    ReconciliationRun,
    SubmissionStatus,
)
from controlplane.billing.pricing import Period
from controlplane.container import ControlPlane
from controlplane.db import aware


class BillingCollector(Collector):
    def __init__(self, cp: ControlPlane) -> None:
        self.cp = cp

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = self.cp.clock.now()
        with self.cp.sessions() as session:
            by_status = dict(
                session.execute(
                    select(MeterEventSubmission.status, func.count()).group_by(MeterEventSubmission.status)
                ).all()
            )
            oldest = session.scalar(
                select(func.min(MeterEventSubmission.created_at)).where(
                    MeterEventSubmission.status == SubmissionStatus.PENDING
                )
            )
            closed = session.scalar(
                select(func.max(BillingPeriod.period_start)).where(BillingPeriod.status == PeriodStatus.CLOSED)
            )
            runs = list(
                session.scalars(select(ReconciliationRun).order_by(ReconciliationRun.started_at.desc()).limit(12))
            )
        events = GaugeMetricFamily(
            "zgwcloud_billing_meter_events",
            "Meter-event submissions to the payment provider by status.",
            labels=["status"],
        )
        for status in SubmissionStatus:
            events.add_metric([status.value], by_status.get(status, 0))
        yield events
        yield GaugeMetricFamily(
            "zgwcloud_billing_oldest_pending_meter_event_seconds",
            "Age of the oldest meter event still waiting to be sent (0: none).",
            value=(now - aware(oldest)).total_seconds() if oldest else 0.0,
        )
        yield GaugeMetricFamily(
            "zgwcloud_billing_last_closed_period_start",
            "Start (Unix time) of the latest closed billing period (0: none yet).",
            value=Period.of_date(closed).start.timestamp() if closed else 0.0,
        )
        drift = GaugeMetricFamily(
            "zgwcloud_billing_reconciliation_drifting_tenants",
            "Tenants with drift in the latest reconciliation of each period.",
            labels=["period"],
        )
        seen = set()
        for run in runs:
            if run.period_start not in seen:
                seen.add(run.period_start)
                drift.add_metric([str(Period.of_date(run.period_start))], run.drifting)
        yield drift
