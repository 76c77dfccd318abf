"""A tenant's weekly maintenance window (UTC): whether it is open at a moment, and when it opens next."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from controlplane.db import aware
from controlplane.tenants.models import Tenant

WEEK = timedelta(days=7)


def _opening_before(tenant: Tenant, moment: datetime) -> datetime:
    """The most recent start of the tenant's window at or before ``moment`` (the window must be set)."""
    assert tenant.maintenance_weekday is not None and tenant.maintenance_start is not None
    moment = aware(moment).astimezone(UTC)
    days_back = (moment.isoweekday() - tenant.maintenance_weekday) % 7
    start = datetime.combine((moment - timedelta(days=days_back)).date(), tenant.maintenance_start, tzinfo=UTC)
    return start if start <= moment else start - WEEK


def window_open(tenant: Tenant, moment: datetime) -> bool:
    """Inside the window (a window past midnight continues into the next day); no window set: always."""
    if tenant.maintenance_weekday is None or tenant.maintenance_start is None:
        return True
    start = _opening_before(tenant, moment)
    return aware(moment) < start + timedelta(minutes=tenant.maintenance_duration_minutes)


def next_opening(tenant: Tenant, moment: datetime) -> datetime | None:
    """When the window opens next (``moment`` itself when it is open now); None when no window is set."""
    if tenant.maintenance_weekday is None or tenant.maintenance_start is None:
        return None
    if window_open(tenant, moment):
        return aware(moment)
    return _opening_before(tenant, moment) + WEEK
