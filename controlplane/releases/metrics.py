"""Prometheus metrics of releases and campaigns, read from the database at scrape time (any API replica reports
the same): tenants per release, campaigns per status, tenant upgrades per outcome, and the maintenance (503) time
of the upgrades that had one."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from controlplane.container import ControlPlane
from controlplane.releases import service as releases
from controlplane.releases.models import Campaign, CampaignStatus, Release, TenantUpgrade, UpgradeStatus

MAINTENANCE_BUCKETS = (0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)


class ReleasesCollector(Collector):
    def __init__(self, cp: ControlPlane) -> None:
        self.cp = cp

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily | HistogramMetricFamily]:
        with self.cp.sessions() as session:
            versions = {r.id: r.version for r in session.scalars(select(Release))}
            per_release = releases.tenant_counts(self.cp, session) if versions else {}
            session.rollback()  # counting may create the package's release: leave that to a writer
            campaigns = dict(session.execute(select(Campaign.status, func.count()).group_by(Campaign.status)).all())
            upgrades = dict(
                session.execute(select(TenantUpgrade.status, func.count()).group_by(TenantUpgrade.status)).all()
            )
            maintenance = list(
                session.scalars(
                    select(TenantUpgrade.maintenance_seconds).where(TenantUpgrade.maintenance_seconds.is_not(None))
                )
            )
        tenants = GaugeMetricFamily("zgwcloud_release_tenants", "Tenants per runtime release.", labels=["version"])
        for release_id, version in sorted(versions.items(), key=lambda item: item[1]):
            tenants.add_metric([version], per_release.get(release_id, 0))
        yield tenants
        by_status = GaugeMetricFamily("zgwcloud_campaigns", "Upgrade campaigns by status.", labels=["status"])
        for status in CampaignStatus:
            by_status.add_metric([status.value], campaigns.get(status, 0))
        yield by_status
        outcomes = CounterMetricFamily("zgwcloud_tenant_upgrades", "Tenant upgrades by status.", labels=["status"])
        for upgrade_status in UpgradeStatus:
            outcomes.add_metric([upgrade_status.value], upgrades.get(upgrade_status, 0))
        yield outcomes
        histogram = HistogramMetricFamily(
            "zgwcloud_upgrade_maintenance_seconds", "Time a tenant answered 503 during its upgrade (irreversible)."
        )
        values = [float(v) for v in maintenance if v is not None]
        buckets = [(str(b), float(sum(1 for v in values if v <= b))) for b in MAINTENANCE_BUCKETS]
        histogram.add_metric([], [*buckets, ("+Inf", float(len(values)))], sum(values))
        yield histogram
