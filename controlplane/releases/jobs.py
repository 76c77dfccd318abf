"""The upgrade job of one tenant (run by ``controlplane.jobs.runner``): every step is recorded, so a worker
killed anywhere resumes after the last finished step.

    prepare → maintenance → backup → migrate → switch → health_gate → rollback_route → rollback_schema →
    rollback_verify → finish

A forward step that fails for good records the failure instead of raising; the steps after it then do nothing
and the rollback steps put the previous release back (downgrading its schema, or restoring the pre-upgrade
backup when the release's migrations are irreversible). ``finish`` ends the job: succeeded when the tenant is on
the new release, failed ("rolled back: …") when it is back on the old one. A failing rollback step fails the job
and puts the tenant in ``failed``: it needs an operator.
"""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime

import structlog
from sqlalchemy import select

from controlplane.accounts.actors import SYSTEM, Actor
from controlplane.audit import service as audit
from controlplane.credentials import service as credentials
from controlplane.drivers.interfaces import RuntimeStatus, TenantSpec
from controlplane.jobs.models import Job, JobKind
from controlplane.releases import gate
from controlplane.releases import service as releases
from controlplane.releases.models import Release, TenantRelease, TenantUpgrade, UpgradeStatus
from controlplane.tenants.lifecycle import JobDefinition, StepContext, StepFn
from controlplane.tenants.models import Health, TenantState

log = structlog.get_logger(__name__)


class UpgradeRolledBack(Exception):
    """Ends the job of an upgrade that was rolled back (the job fails with the reason; the tenant stays active)."""


def _upgrade(ctx: StepContext) -> TenantUpgrade:
    upgrade = ctx.session.scalar(select(TenantUpgrade).where(TenantUpgrade.job_id == ctx.job.id))
    if upgrade is None:
        raise LookupError(f"no tenant upgrade for job {ctx.job.id}")
    return upgrade


def _spec(ctx: StepContext, release: Release | None) -> TenantSpec:
    """The tenant as the drivers see it, served by ``release`` (None: the package's release)."""
    return replace(credentials.spec_of(ctx.tenant), release=release.spec() if release is not None else None)


def _actor(ctx: StepContext) -> Actor:
    return Actor(SYSTEM.label, None, via="task", request_id=f"job:{ctx.job.id}")


def _record(ctx: StepContext, upgrade: TenantUpgrade, action: str, **after: object) -> None:
    audit.record(
        ctx.session, _actor(ctx), f"upgrade.{action}", target_type="tenant", target_id=ctx.tenant.slug,
        tenant_id=ctx.tenant.id,
        after={"upgrade": upgrade.id, "campaign": upgrade.campaign_id, "to": upgrade.to_release.version, **after},
    )  # fmt: skip


def _active(upgrade: TenantUpgrade) -> bool:
    """The forward steps still have work: nothing failed and the tenant was not skipped."""
    return upgrade.status is UpgradeStatus.RUNNING and not upgrade.failed_step


def _failed(ctx: StepContext, upgrade: TenantUpgrade, step: str, reason: str) -> None:
    upgrade.failed_step = step
    upgrade.detail = reason[:4000]
    _record(ctx, upgrade, f"{step}_failed", reason=reason[:1000])
    log.warning("tenant_upgrade_step_failed", tenant=ctx.tenant.slug, step=step, reason=reason)


def _gate_settings(ctx: StepContext) -> gate.GateSettings:
    s = ctx.cp.settings
    return gate.GateSettings(
        s.upgrade_gate_window_seconds, s.upgrade_gate_max_error_rate, s.upgrade_gate_timeout_seconds
    )


def _smoke(ctx: StepContext, spec: TenantSpec) -> None:
    ctx.cp.driver.verify(spec, credentials.PLATFORM_CLIENT_ID, credentials.platform_secret(ctx.cp, ctx.tenant))


def _serve(ctx: StepContext, spec: TenantSpec, status: RuntimeStatus) -> None:
    """Let ``spec``'s release serve the tenant: its own runtime rolled out (dedicated) and ready, then the
    registry pointed at it (shared: the pool) with ``status``."""
    timeout = ctx.cp.settings.upgrade_gate_timeout_seconds
    ctx.cp.driver.deploy_runtime(spec, RuntimeStatus.ACTIVE)
    gate.patiently("runtime gereed", lambda: ctx.cp.driver.wait_ready(spec, ctx.report), ctx.report, timeout)
    ctx.cp.driver.register(spec, status)


def _end_maintenance(upgrade: TenantUpgrade) -> None:
    if upgrade.maintenance_started_at is not None and upgrade.maintenance_seconds is None:
        started = upgrade.maintenance_started_at
        started = started if started.tzinfo is not None else started.replace(tzinfo=UTC)
        upgrade.maintenance_seconds = round((datetime.now(UTC) - started).total_seconds(), 3)


# --- forward ------------------------------------------------------------------------------------------
def prepare(ctx: StepContext) -> None:
    upgrade = _upgrade(ctx)
    current = releases.current_release(ctx.cp, ctx.session, ctx.tenant)
    upgrade.from_release_id = upgrade.from_release_id or current.id
    upgrade.started_at = upgrade.started_at or ctx.cp.clock.now()
    row = ctx.session.get(TenantRelease, ctx.tenant.id)
    pinned = row.pinned_release if row is not None else None
    skip = ""
    if ctx.tenant.state is not TenantState.ACTIVE:
        skip = f"niet actief ({ctx.tenant.state.value})"
    elif current.id == upgrade.to_release_id:
        skip = f"draait al op {current.version}"
    elif pinned is not None and pinned.id != upgrade.to_release_id:
        skip = f"vastgezet op {pinned.version}"
    if skip:
        upgrade.status = UpgradeStatus.SKIPPED
        upgrade.detail = skip
    _record(ctx, upgrade, "prepared", **{"from": current.version, "skipped": skip})


def maintenance(ctx: StepContext) -> None:
    """Irreversible migrations: no writes from before the backup until the switch (a restore loses nothing)."""
    upgrade = _upgrade(ctx)
    if not _active(upgrade) or upgrade.to_release.reversible:
        return
    ctx.cp.driver.register(_spec(ctx, upgrade.from_release), RuntimeStatus.MAINTENANCE)
    upgrade.maintenance_started_at = upgrade.maintenance_started_at or datetime.now(UTC)
    _drain(ctx)
    _record(ctx, upgrade, "maintenance_started")


def _drain(ctx: StepContext) -> None:
    """Wait until every runtime process has seen the maintenance status (its registry cache) and the requests it
    had already taken have ended: from now on nothing writes to the tenant's database."""
    seconds = ctx.cp.settings.runtime_registry_cache_seconds
    if seconds > 0:
        ctx.report(f"onderhoud: {seconds + 1:.0f} s wachten tot elke runtime het ziet")
        time.sleep(seconds + 1.0)


def backup(ctx: StepContext) -> None:
    from controlplane.backups import service as backups

    upgrade = _upgrade(ctx)
    if not _active(upgrade):
        return
    reason, key = f"voor upgrade naar {upgrade.to_release.version}", f"upgrade:{upgrade.id}"
    try:
        made = gate.patiently(
            "backup",
            lambda: backups.backup_now(ctx.cp, ctx.session, ctx.tenant, reason=reason, key=key),
            ctx.report,
            ctx.cp.settings.upgrade_gate_timeout_seconds,
        )
    except Exception as exc:  # no backup, no upgrade: nothing changed yet, the rollback only ends maintenance
        ctx.session.rollback()
        upgrade = _upgrade(ctx)
        _failed(ctx, upgrade, "backup", f"{type(exc).__name__}: {exc}")
        return
    upgrade.backup_id = made.id
    _record(ctx, upgrade, "backed_up", backup=made.id)


def migrate(ctx: StepContext) -> None:
    upgrade = _upgrade(ctx)
    if not _active(upgrade):
        return
    spec = _spec(ctx, upgrade.to_release)
    try:
        gate.patiently(
            "migraties", lambda: ctx.cp.driver.migrate(spec), ctx.report, ctx.cp.settings.upgrade_gate_timeout_seconds
        )
    except Exception as exc:
        _failed(ctx, upgrade, "migrate", f"{type(exc).__name__}: {exc}")
        return
    _record(ctx, upgrade, "migrated", schema_heads=list(upgrade.to_release.schema_heads))


def switch(ctx: StepContext) -> None:
    upgrade = _upgrade(ctx)
    if not _active(upgrade):
        return
    try:
        _serve(ctx, _spec(ctx, upgrade.to_release), RuntimeStatus.ACTIVE)
    except Exception as exc:
        _failed(ctx, upgrade, "switch", f"{type(exc).__name__}: {exc}")
        return
    _end_maintenance(upgrade)
    _record(ctx, upgrade, "switched", pool=upgrade.to_release.pool, maintenance_seconds=upgrade.maintenance_seconds)


def health_gate(ctx: StepContext) -> None:
    upgrade = _upgrade(ctx)
    if not _active(upgrade):
        return
    spec = _spec(ctx, upgrade.to_release)
    result = gate.check(ctx.cp.driver, spec, lambda: _smoke(ctx, spec), _gate_settings(ctx), ctx.report)
    upgrade.gate = result.measured
    if not result.passed:
        _failed(ctx, upgrade, "health_gate", result.reason)
        return
    _record(ctx, upgrade, "healthy", gate=result.measured)


# --- rollback -----------------------------------------------------------------------------------------
def _rolling_back(upgrade: TenantUpgrade) -> bool:
    return upgrade.status is UpgradeStatus.RUNNING and bool(upgrade.failed_step)


def _restores(upgrade: TenantUpgrade) -> bool:
    """An irreversible release whose migration may have started: the pre-upgrade backup is restored."""
    return not upgrade.to_release.reversible and upgrade.failed_step not in ("backup",)


def _downgrade_spec(ctx: StepContext, upgrade: TenantUpgrade) -> TenantSpec:
    """The previous release's schema heads, migrated by the newer release's code (its image and migration
    directories): only that code knows how to undo its own revisions."""
    previous = _spec(ctx, upgrade.from_release)
    assert previous.release is not None
    newer = upgrade.to_release.spec()
    paths = tuple(dict.fromkeys((*previous.release.migration_paths, *newer.migration_paths)))
    return replace(previous, release=replace(previous.release, image=newer.image, migration_paths=paths))


def rollback_route(ctx: StepContext) -> None:
    """Shared tier, reversible release: the old pool serves again at once (its code works on the expanded schema
    while that is undone). A restore to come, or a dedicated runtime (its old image can only start once the schema
    is back): the tenant is in maintenance (503) until the rollback is verified."""
    upgrade = _upgrade(ctx)
    if not _rolling_back(upgrade) or upgrade.failed_step == "backup":
        return
    previous = _spec(ctx, upgrade.from_release)
    if _restores(upgrade) or previous.dedicated:
        ctx.cp.driver.register(previous, RuntimeStatus.MAINTENANCE)
        upgrade.maintenance_started_at = upgrade.maintenance_started_at or datetime.now(UTC)
        upgrade.maintenance_seconds = None  # measured again up to the end of the rollback
        _drain(ctx)
    else:
        _serve(ctx, previous, RuntimeStatus.ACTIVE)
    _record(ctx, upgrade, "rollback_routed", pool=previous.release.pool if previous.release else None)


def rollback_schema(ctx: StepContext) -> None:
    """Reversible: downgrade to the previous release's heads. Irreversible: restore the pre-upgrade backup."""
    upgrade = _upgrade(ctx)
    if not _rolling_back(upgrade) or upgrade.failed_step == "backup":
        return
    if _restores(upgrade):
        from controlplane.backups import service as backups
        from controlplane.backups.models import Backup

        made = ctx.session.get(Backup, upgrade.backup_id)
        if made is None:
            raise LookupError(f"pre-upgrade backup {upgrade.backup_id} of {ctx.tenant.slug} not found")
        backups.restore_in_place(ctx.cp, ctx.session, ctx.tenant, made, key=f"upgrade:{upgrade.id}")
        upgrade = _upgrade(ctx)  # restore_in_place commits
        _record(ctx, upgrade, "restored", backup=made.id)
        return
    spec = _downgrade_spec(ctx, upgrade)
    ctx.cp.driver.migrate(spec)
    _record(ctx, upgrade, "downgraded", schema_heads=list(spec.release.schema_heads if spec.release else ()))


def rollback_verify(ctx: StepContext) -> None:
    upgrade = _upgrade(ctx)
    if not _rolling_back(upgrade):
        return
    previous = _spec(ctx, upgrade.from_release)
    _serve(ctx, previous, RuntimeStatus.ACTIVE)
    _end_maintenance(upgrade)
    gate.patiently(
        "smoke-aanroep", lambda: _smoke(ctx, previous), ctx.report, ctx.cp.settings.upgrade_gate_timeout_seconds
    )
    _record(ctx, upgrade, "rollback_verified", maintenance_seconds=upgrade.maintenance_seconds)


def finish(ctx: StepContext) -> None:
    upgrade = _upgrade(ctx)
    now = ctx.cp.clock.now()
    if upgrade.status is UpgradeStatus.RUNNING and not upgrade.failed_step:
        row = releases.tenant_release_row(ctx.cp, ctx.session, ctx.tenant)
        row.previous_release_id = upgrade.from_release_id
        row.release_id = upgrade.to_release_id
        ctx.tenant.runtime_version = upgrade.to_release.version
        ctx.tenant.health, ctx.tenant.health_detail, ctx.tenant.health_checked_at = Health.OK, "", now
        upgrade.status = UpgradeStatus.UPGRADED
        upgrade.finished_at = now
        _record(ctx, upgrade, "done", **{"from": upgrade.from_release.version if upgrade.from_release else None})
        log.info("tenant_upgraded", tenant=ctx.tenant.slug, version=upgrade.to_release.version)
    elif upgrade.status is UpgradeStatus.RUNNING:
        upgrade.status = UpgradeStatus.ROLLED_BACK
        upgrade.finished_at = now
        _record(ctx, upgrade, "rolled_back", step=upgrade.failed_step, reason=upgrade.detail[:1000])
        log.warning("tenant_upgrade_rolled_back", tenant=ctx.tenant.slug, step=upgrade.failed_step)
    elif upgrade.status is UpgradeStatus.SKIPPED:
        upgrade.finished_at = upgrade.finished_at or now
    from controlplane.releases import campaigns

    campaigns.advance_after_commit(ctx.cp, ctx.session, upgrade.campaign_id)
    if upgrade.status is UpgradeStatus.ROLLED_BACK:
        ctx.session.commit()  # the outcome stays recorded; the job then fails with the reason
        previous = upgrade.from_release.version if upgrade.from_release else "?"
        raise UpgradeRolledBack(f"teruggezet naar {previous} na {upgrade.failed_step}: {upgrade.detail}")


def on_failure(ctx: StepContext) -> None:
    """The job failed outside the recorded outcomes (a rollback step, or a step that kept failing)."""
    upgrade = ctx.session.scalar(select(TenantUpgrade).where(TenantUpgrade.job_id == ctx.job.id))
    if upgrade is None or upgrade.status is not UpgradeStatus.RUNNING:
        return
    upgrade.status = UpgradeStatus.FAILED
    upgrade.failed_step = upgrade.failed_step or ctx.job.current_step
    upgrade.detail = (upgrade.detail + "; " if upgrade.detail else "") + ctx.job.error
    upgrade.finished_at = ctx.cp.clock.now()
    _record(ctx, upgrade, "failed", step=ctx.job.current_step, reason=ctx.job.error[:1000])
    from controlplane.releases import campaigns

    campaigns.advance_after_commit(ctx.cp, ctx.session, upgrade.campaign_id)


def _rollback_failed(job: Job) -> bool:
    """A rollback that failed leaves the tenant in an unknown state: it goes to ``failed`` for an operator."""
    return job.current_step.startswith("rollback")


STEPS: list[tuple[str, StepFn]] = [
    ("prepare", prepare),
    ("maintenance", maintenance),
    ("backup", backup),
    ("migrate", migrate),
    ("switch", switch),
    ("health_gate", health_gate),
    ("rollback_route", rollback_route),
    ("rollback_schema", rollback_schema),
    ("rollback_verify", rollback_verify),
    ("finish", finish),
]

JOB_DEFINITIONS: dict[JobKind, JobDefinition] = {
    JobKind.UPGRADE: JobDefinition(steps=STEPS, fails_tenant=_rollback_failed, on_failure=on_failure),
}
