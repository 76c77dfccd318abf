"""The freshness check: an active tenant whose runtime stopped shipping shows as stale (task and metric)."""

from __future__ import annotations

from unittest import mock

from controlplane.tenants.models import Tenant, TenantState
from controlplane.usage import tasks
from tenant_runtime.metering.events import Meter
from tests.controlplane.usage.conftest import UsageWorld, gauge, hours_ago


def test_stale_tenants_are_reported(usage: UsageWorld) -> None:
    world = usage.world
    with world.cp.sessions() as session:
        for tenant in session.query(Tenant):
            tenant.state = TenantState.ACTIVE
        session.commit()
    usage.post([gauge("alphen", hours_ago(1), Meter.ZAKEN, 1)])  # fresh
    usage.post([gauge("bodegraven", hours_ago(6), Meter.ZAKEN, 1)])  # stopped five hours ago
    with mock.patch.object(tasks, "worker_controlplane", return_value=world.cp):
        stale = tasks.check_freshness.run()
    assert stale == ["bodegraven", "dedicatedstad"]  # and one that never shipped anything
    metrics = world.client.get("/metrics").text
    assert "zgwcloud_usage_stale_tenants 2.0" in metrics
    assert 'zgwcloud_usage_latest_hour_age_seconds{tenant="alphen"}' in metrics
