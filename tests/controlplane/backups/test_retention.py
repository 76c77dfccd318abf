"""Scheduled backups and retention over a simulated year with an injected clock (never slept): every day the
beat starts exactly one backup per live tenant (the plan's interval), the job is finished as a worker would,
and retention keeps exactly the newest backup of each of the last 14 days, 8 ISO weeks and 12 months."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from controlplane.backups import service
from controlplane.backups.models import Backup, BackupKind, BackupPolicy, BackupStatus
from controlplane.clock import FrozenClock
from controlplane.jobs.models import Job, JobStatus
from controlplane.tenants.models import Plan, Tenant, TenantState
from tests.controlplane.conftest import World


def expected_days(today: date, daily: int, weekly: int, monthly: int, first: date) -> set[date]:
    """The backup days a GFS policy keeps with one backup a day (computed independently of the service)."""
    days = [first + timedelta(days=n) for n in range((today - first).days + 1)]
    keep = {d for d in days if (today - d).days < daily}
    weeks = sorted({d.isocalendar()[:2] for d in days}, reverse=True)[:weekly]
    keep |= {max(d for d in days if d.isocalendar()[:2] == w) for w in weeks}
    months = sorted({(d.year, d.month) for d in days}, reverse=True)[:monthly]
    keep |= {max(d for d in days if (d.year, d.month) == m) for m in months}
    return keep


@pytest.fixture
def daily(world: World) -> World:
    with world.cp.sessions() as session:
        tenant = session.get(Tenant, world.tenant_a.id)
        assert tenant is not None
        tenant.state = TenantState.ACTIVE
        session.commit()
    return world


def test_a_year_of_daily_backups(daily: World) -> None:
    cp = daily.cp
    clock = FrozenClock(datetime(2026, 1, 1, 2, 0, tzinfo=UTC))
    cp.clock = clock
    first = clock.now().date()
    for _ in range(365):
        started = service.schedule_due_backups(cp)
        assert started == ["alphen"], clock.now()
        assert service.schedule_due_backups(cp) == []  # not twice within the interval
        with cp.sessions() as session:  # the worker's part: the job and its backup succeed
            for job in session.scalars(select(Job).where(Job.status == JobStatus.QUEUED)):
                job.status = JobStatus.SUCCEEDED
            for backup in session.scalars(select(Backup).where(Backup.status == BackupStatus.PENDING)):
                backup.status = BackupStatus.SUCCEEDED
                backup.completed_at = clock.now()
            session.commit()
        service.enforce_retention(cp)
        clock.advance(timedelta(days=1))
    today = clock.now().date() - timedelta(days=1)
    with cp.sessions() as session:
        kept = session.scalars(select(Backup).where(Backup.status == BackupStatus.SUCCEEDED)).all()
        deleted = session.scalars(select(Backup).where(Backup.status == BackupStatus.DELETED)).all()
        assert all(b.kind is BackupKind.SCHEDULED for b in kept)
    kept_days = {b.created_at.astimezone(UTC).date() for b in kept}
    assert kept_days == expected_days(today, 14, 8, 12, first)
    assert len(kept) + len(deleted) == 365 and len(kept) == len(kept_days)
    # Concretely (today 31 December 2026): the last 14 days, the Sundays of the 8 ISO weeks, the month ends.
    assert today == date(2026, 12, 31)
    assert {date(2026, 12, 18 + n) for n in range(14)} <= kept_days and date(2026, 12, 17) not in kept_days
    assert {date(2026, 11, 15), date(2026, 11, 22), date(2026, 11, 29)} <= kept_days  # ISO weeks 46-48
    assert date(2026, 11, 8) not in kept_days  # the Sunday of week 45, a ninth week back
    assert {date(2026, 1, 31), date(2026, 2, 28), date(2026, 6, 30)} <= kept_days
    assert date(2026, 1, 30) not in kept_days


def test_plan_policy_interval_and_retention(daily: World) -> None:
    cp = daily.cp
    with cp.sessions() as session:
        plan = session.scalar(select(Plan).where(Plan.code == "basis"))
        assert plan is not None
        session.add(BackupPolicy(plan_id=plan.id, interval_hours=6, keep_daily=2, keep_weekly=0, keep_monthly=0))
        session.commit()
    clock = FrozenClock(datetime(2026, 3, 2, 0, 0, tzinfo=UTC))
    cp.clock = clock

    def beat() -> None:
        service.schedule_due_backups(cp)
        with cp.sessions() as session:
            for job in session.scalars(select(Job).where(Job.status == JobStatus.QUEUED)):
                job.status = JobStatus.SUCCEEDED
            for backup in session.scalars(select(Backup).where(Backup.status == BackupStatus.PENDING)):
                backup.status = BackupStatus.SUCCEEDED
            session.commit()
        service.enforce_retention(cp)

    while clock.now() <= datetime(2026, 3, 7, 0, 0, tzinfo=UTC):  # the beat every 90 minutes for five days
        beat()
        clock.advance(timedelta(minutes=90))
    with cp.sessions() as session:
        everything = session.scalars(select(Backup)).all()
        kept = sorted(b.created_at.astimezone(UTC) for b in everything if b.status is BackupStatus.SUCCEEDED)
    assert len(everything) == 21  # every six hours, 2 March 00:00 up to and including 7 March 00:00
    # keep_daily=2: the newest backup of today and of yesterday.
    assert kept == [datetime(2026, 3, 6, 18, 0, tzinfo=UTC), datetime(2026, 3, 7, 0, 0, tzinfo=UTC)]


def test_the_newest_backup_is_always_kept(daily: World) -> None:
    cp = daily.cp
    with cp.sessions() as session:
        plan = session.scalar(select(Plan).where(Plan.code == "basis"))
        assert plan is not None
        session.add(BackupPolicy(plan_id=plan.id, interval_hours=0, keep_daily=1, keep_weekly=0, keep_monthly=0))
        session.add(Backup(tenant_id=daily.tenant_a.id, kind=BackupKind.ON_DEMAND, status=BackupStatus.SUCCEEDED,
                           key="old", created_at=datetime(2025, 1, 1, tzinfo=UTC)))  # fmt: skip
        session.commit()
    cp.clock = FrozenClock(datetime(2026, 6, 1, tzinfo=UTC))
    assert service.schedule_due_backups(cp) == []  # interval 0: no scheduled backups
    service.enforce_retention(cp)
    with cp.sessions() as session:
        assert session.scalar(select(Backup.status)) is BackupStatus.SUCCEEDED


def test_a_deleted_tenants_backups_are_deleted(daily: World) -> None:
    cp = daily.cp
    with cp.sessions() as session:
        for n in range(3):
            session.add(Backup(tenant_id=daily.tenant_a.id, kind=BackupKind.SCHEDULED, status=BackupStatus.SUCCEEDED,
                               key=f"k{n}", created_at=cp.clock.now() - timedelta(days=n)))  # fmt: skip
        session.commit()
    service.enforce_retention(cp)
    with cp.sessions() as session:
        assert len(session.scalars(select(Backup).where(Backup.status == BackupStatus.SUCCEEDED)).all()) == 3
        tenant = session.get(Tenant, daily.tenant_a.id)
        assert tenant is not None
        tenant.state = TenantState.DELETED
        session.commit()
    assert service.enforce_retention(cp) == {"alphen": 3}


def test_backup_metrics(daily: World) -> None:
    cp = daily.cp
    cp.clock = FrozenClock(datetime(2026, 5, 1, 12, 0, tzinfo=UTC))
    with cp.sessions() as session:
        session.add(Backup(tenant_id=daily.tenant_a.id, kind=BackupKind.SCHEDULED, status=BackupStatus.SUCCEEDED,
                           key="m", stored_bytes=1234, created_at=datetime(2026, 5, 1, 10, 0, tzinfo=UTC)))  # fmt: skip
        session.commit()
    metrics = daily.client.get("/metrics").text
    assert 'zgwcloud_backup_age_seconds{tenant="alphen"} 7200.0' in metrics
    assert 'zgwcloud_backup_stored_bytes{tenant="alphen"} 1234.0' in metrics
    assert "zgwcloud_tenants_without_backup 0.0" in metrics  # bodegraven is not live (requested)
