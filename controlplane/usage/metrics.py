"""Prometheus metrics of the usage ledger, read from the database at scrape time: per active tenant the age of
its latest metered hour (a runtime that stopped shipping shows as a growing age), and how many are stale."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from controlplane.container import ControlPlane
from controlplane.usage import service


class UsageCollector(Collector):
    def __init__(self, cp: ControlPlane) -> None:
        self.cp = cp

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = self.cp.clock.now()
        with self.cp.sessions() as session:
            latest = service.latest_hours(session)
        age = GaugeMetricFamily(
            "zgwcloud_usage_latest_hour_age_seconds",
            "Seconds since the end of the latest metered hour in the ledger, per active tenant.",
            labels=["tenant"],
        )
        stale = 0
        for slug, hour in latest:
            seconds = (now - hour).total_seconds() - 3600 if hour else float("inf")
            age.add_metric([slug], seconds)
            stale += seconds > self.cp.settings.usage_stale_after_hours * 3600
        yield age
        yield GaugeMetricFamily(
            "zgwcloud_usage_stale_tenants",
            "Active tenants whose latest metered hour is older than ZGW_USAGE_STALE_AFTER_HOURS.",
            value=stale,
        )
