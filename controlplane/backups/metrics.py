"""Prometheus metrics of backups, read from the control-plane database at scrape time: the age of every live
tenant's newest successful backup (the RPO if it were lost now), the stored bytes, and the latest drill's
outcome and measured RTO per tenant — enough to alert on a stale backup or a failing drill."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from controlplane.backups.models import Backup, BackupStatus, Drill, RunStatus
from controlplane.backups.service import BACKUP_STATES
from controlplane.container import ControlPlane
from controlplane.db import aware
from controlplane.tenants.models import Tenant


class BackupCollector(Collector):
    def __init__(self, cp: ControlPlane) -> None:
        self.cp = cp

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = self.cp.clock.now()
        with self.cp.sessions() as session:
            newest = dict(
                session.execute(
                    select(Backup.tenant_id, func.max(Backup.created_at))
                    .where(Backup.status == BackupStatus.SUCCEEDED)
                    .group_by(Backup.tenant_id)
                ).all()
            )
            stored = dict(
                session.execute(
                    select(Backup.tenant_id, func.sum(Backup.stored_bytes))
                    .where(Backup.status == BackupStatus.SUCCEEDED)
                    .group_by(Backup.tenant_id)
                ).all()
            )
            live = list(session.execute(select(Tenant.id, Tenant.slug).where(Tenant.state.in_(list(BACKUP_STATES)))))
            latest_drill = session.execute(
                select(Drill.tenant_id, Drill.status, Drill.rto_seconds)
                .where(Drill.status.in_([RunStatus.SUCCEEDED, RunStatus.FAILED]))
                .order_by(Drill.tenant_id, Drill.created_at.desc())
            ).all()
        age = GaugeMetricFamily(
            "zgwcloud_backup_age_seconds",
            "Age of the newest successful backup of each live tenant (absent: none yet).",
            labels=["tenant"],
        )
        missing = GaugeMetricFamily("zgwcloud_tenants_without_backup", "Live tenants without any successful backup.")
        size = GaugeMetricFamily(
            "zgwcloud_backup_stored_bytes", "Bytes stored for each tenant's successful backups.", labels=["tenant"]
        )
        none = 0
        for tenant_id, slug in live:
            at = aware(newest.get(tenant_id))
            if at is None:
                none += 1
                continue
            age.add_metric([slug], (now - at).total_seconds())
            size.add_metric([slug], float(stored.get(tenant_id) or 0))
        missing.add_metric([], none)
        slugs = dict(live)
        failed = GaugeMetricFamily(
            "zgwcloud_drill_failed", "1 when the latest restore drill of a tenant failed.", labels=["tenant"]
        )
        rto = GaugeMetricFamily(
            "zgwcloud_drill_rto_seconds", "Measured RTO of each tenant's latest successful drill.", labels=["tenant"]
        )
        seen: set[object] = set()
        for tenant_id, status, rto_seconds in latest_drill:
            if tenant_id in seen or tenant_id not in slugs:
                continue
            seen.add(tenant_id)
            failed.add_metric([slugs[tenant_id]], 1.0 if status is RunStatus.FAILED else 0.0)
            if status is RunStatus.SUCCEEDED and rto_seconds is not None:
                rto.add_metric([slugs[tenant_id]], rto_seconds)
        yield from (age, missing, size, failed, rto)
