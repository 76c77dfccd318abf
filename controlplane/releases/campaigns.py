"""Upgrade campaigns: starting one (selection, canaries, skipped tenants), advancing it wave by wave (the
campaign driver, run by a periodic and a chained Celery task with its state in the database), and the
operator's actions (pause, resume, cancel, override maintenance windows)."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import datetime, timedelta
from functools import lru_cache

import structlog
from celery import Celery
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from controlplane.accounts.actors import SYSTEM, Actor
from controlplane.audit import service as audit
from controlplane.config import Settings
from controlplane.container import ControlPlane
from controlplane.db import aware
from controlplane.jobs import service as jobs
from controlplane.jobs.models import Job, JobKind, JobStatus
from controlplane.releases import service as releases
from controlplane.releases import windows
from controlplane.releases.jobs import STEPS
from controlplane.releases.models import (
    ACTIVE_CAMPAIGN,
    FINISHED_UPGRADE,
    Campaign,
    CampaignStatus,
    Release,
    ReleaseStatus,
    TenantRelease,
    TenantUpgrade,
    UpgradeStatus,
)
from controlplane.releases.schemas import CampaignCreate, CampaignOut, TenantUpgradeOut, UpgradeJob, WaveOut
from controlplane.tenants.models import Tenant, TenantState
from tenant_runtime.core.problems import InvalidParam, Problem, validation_problem

log = structlog.get_logger(__name__)


# --- chaining: the driver runs again right after something changed -------------------------------------
@lru_cache
def _celery_for(broker: str, backend: str) -> Celery:
    from controlplane.celery_app import create_celery

    return create_celery(Settings(celery_broker_url=broker, celery_result_backend=backend))


def schedule(cp: ControlPlane, campaign_id: uuid.UUID, countdown: float = 0.0) -> None:
    """Ask a worker to advance the campaign (after ``countdown`` seconds); the beat task is the backstop."""
    try:
        if cp.settings.tasks_in_process:
            from controlplane.celery_app import celery_app as app
        else:
            app = _celery_for(cp.settings.celery_broker_url, cp.settings.celery_result_backend)
        app.send_task("releases.advance_campaign", args=[str(campaign_id)], countdown=max(0.0, countdown))
    except Exception:  # broker unreachable: the periodic task advances it
        log.exception("campaign_schedule_failed", campaign=str(campaign_id))


def advance_after_commit(cp: ControlPlane, session: Session, campaign_id: uuid.UUID, countdown: float = 0.0) -> None:
    def _after_commit(_: Session) -> None:
        schedule(cp, campaign_id, countdown)

    event.listen(session, "after_commit", _after_commit, once=True)


# --- starting -----------------------------------------------------------------------------------------
def _selected(session: Session, data: CampaignCreate) -> list[Tenant]:
    statement = select(Tenant).where(Tenant.state != TenantState.DELETED)
    if data.scope == "tier":
        statement = statement.where(Tenant.tier == data.tier)
    if data.scope != "tenants":
        return list(session.scalars(statement.order_by(Tenant.inhabitants, Tenant.slug)).unique())
    found = {t.slug: t for t in session.scalars(statement.where(Tenant.slug.in_(data.tenants))).unique()}
    problems = [
        InvalidParam(f"tenants.{i}", "does_not_exist", f"Gemeente '{slug}' bestaat niet.")
        for i, slug in enumerate(data.tenants)
        if slug not in found
    ]
    if problems:
        raise validation_problem(problems)
    return [found[slug] for slug in dict.fromkeys(data.tenants)]


def skip_reason(cp: ControlPlane, session: Session, tenant: Tenant, target: Release) -> str:
    """Why a campaign to ``target`` leaves this tenant alone now (empty: it is to be upgraded)."""
    if tenant.state is not TenantState.ACTIVE:
        return f"niet actief ({tenant.state.value})"
    row = session.get(TenantRelease, tenant.id)
    current = row.release if row is not None else releases.package_release(cp, session)
    if current.id == target.id:
        return f"draait al op {target.version}"
    if row is not None and row.pinned_release is not None and row.pinned_release_id != target.id:
        return f"vastgezet op {row.pinned_release.version}"
    return ""


def start(
    cp: ControlPlane,
    session: Session,
    actor: Actor,
    data: CampaignCreate,
    *,
    idempotency_key: str | None = None,
    request_fingerprint: str = "",
) -> tuple[Campaign, bool]:
    key = jobs.scoped_key(actor, idempotency_key)
    if (earlier := jobs.replayed(session, Campaign, key, request_fingerprint)) is not None:
        return earlier, True
    releases.package_release(cp, session)
    target = session.scalar(select(Release).where(Release.version == data.release))
    if target is None:
        raise validation_problem([InvalidParam("release", "does_not_exist", f"Release {data.release} bestaat niet.")])
    if target.status is not ReleaseStatus.AVAILABLE:
        raise validation_problem(
            [InvalidParam("release", "not-available", f"Release {data.release} is {target.status.value}.")]
        )
    busy = session.scalar(select(Campaign).where(Campaign.status.in_(ACTIVE_CAMPAIGN)).limit(1))
    if busy is not None:
        raise Problem(
            409,
            f"Campagne {busy.id} naar {busy.release.version} loopt nog ({busy.status.value}); rond die eerst af.",
            code="campaign-in-progress",
        )
    tenants = _selected(session, data)
    slugs = {t.slug for t in tenants}
    bad_canaries = [
        InvalidParam(f"canaries.{i}", "not-in-selection", f"Canary '{slug}' hoort niet bij de selectie.")
        for i, slug in enumerate(data.canaries)
        if slug not in slugs
    ]
    if bad_canaries:
        raise validation_problem(bad_canaries)
    reasons = {t.id: skip_reason(cp, session, t, target) for t in tenants}
    todo = [t for t in tenants if not reasons[t.id]]
    if not todo:
        raise validation_problem(
            [
                InvalidParam(
                    "scope",
                    "nothing-to-upgrade",
                    "Geen gemeente in de selectie hoeft naar deze release (vastgezet, niet actief of al bijgewerkt).",
                )
            ]
        )
    explicit = [t for slug in data.canaries for t in todo if t.slug == slug]
    canaries = explicit if data.canaries else todo[: data.canary_count]
    order = canaries + [t for t in todo if t not in canaries] + [t for t in tenants if reasons[t.id]]
    campaign = Campaign(
        release_id=target.id,
        selection={
            "scope": data.scope,
            "tier": data.tier.value if data.tier else None,
            "tenants": data.tenants,
            "canaries": [t.slug for t in canaries],
        },
        wave_size=data.wave_size,
        wave_pause_seconds=data.wave_pause_seconds,
        failure_policy=data.failure_policy,
        ignore_maintenance_windows=data.ignore_maintenance_windows,
        idempotency_key=key,
        request_fingerprint=request_fingerprint,
        created_by=actor.label,
    )
    session.add(campaign)
    session.flush()
    canary_ids = {t.id for t in canaries}
    for position, tenant in enumerate(order):
        reason = reasons[tenant.id]
        session.add(
            TenantUpgrade(
                campaign_id=campaign.id,
                tenant_id=tenant.id,
                position=position,
                canary=tenant.id in canary_ids,
                wave=0 if tenant.id in canary_ids else None,
                status=UpgradeStatus.SKIPPED if reason else UpgradeStatus.PENDING,
                detail=reason,
                to_release_id=target.id,
                finished_at=cp.clock.now() if reason else None,
            )
        )
    session.flush()
    audit.record(
        session, actor, "campaign.created", target_type="campaign", target_id=campaign.id,
        after={"release": target.version, "selection": campaign.selection, "tenants": len(todo),
               "skipped": len(tenants) - len(todo), "wave_size": data.wave_size,
               "wave_pause_seconds": data.wave_pause_seconds, "failure_policy": data.failure_policy,
               "ignore_maintenance_windows": data.ignore_maintenance_windows},
    )  # fmt: skip
    advance_after_commit(cp, session, campaign.id)
    return campaign, False


# --- the driver ---------------------------------------------------------------------------------------
def _start_upgrade(cp: ControlPlane, session: Session, upgrade: TenantUpgrade) -> bool:
    try:
        job = jobs.create(session, SYSTEM, JobKind.UPGRADE, upgrade.tenant_id, None, "")
    except Problem:  # another job runs for this tenant (e.g. a backup): try again at the next round
        return False
    job.steps_total = len(STEPS)
    upgrade.job_id = job.id
    upgrade.status = UpgradeStatus.RUNNING
    jobs.dispatch_after_commit(cp, session, job.id)
    return True


def _sync_jobs(cp: ControlPlane, session: Session, upgrades: list[TenantUpgrade]) -> None:
    """An upgrade whose job ended without recording an outcome (e.g. lost before its first step)."""
    for upgrade in upgrades:
        if upgrade.status is not UpgradeStatus.RUNNING or upgrade.job_id is None:
            continue
        job = session.get(Job, upgrade.job_id)
        if job is not None and job.status is JobStatus.FAILED:
            upgrade.status = UpgradeStatus.FAILED
            upgrade.failed_step = upgrade.failed_step or job.current_step
            upgrade.detail = upgrade.detail or job.error
            upgrade.finished_at = cp.clock.now()


def _halt(session: Session, campaign: Campaign, reason: str) -> None:
    campaign.status = CampaignStatus.HALTED
    campaign.halt_reason = reason[:4000]
    audit.record(
        session, SYSTEM, "campaign.halted", target_type="campaign", target_id=campaign.id,
        after={"wave": campaign.current_wave, "reason": campaign.halt_reason},
    )  # fmt: skip
    log.warning("campaign_halted", campaign=str(campaign.id), reason=reason)


def _evaluate_wave(cp: ControlPlane, session: Session, campaign: Campaign, wave: list[TenantUpgrade]) -> None:
    """A finished wave: halt on a failed canary, a failed rollback or (policy halt) any failure; else pause."""
    counts = Counter(u.status.value for u in wave)
    audit.record(
        session, SYSTEM, "campaign.wave_finished", target_type="campaign", target_id=campaign.id,
        after={"wave": campaign.current_wave, "counts": dict(counts)},
    )  # fmt: skip
    failed = [u for u in wave if u.status in (UpgradeStatus.ROLLED_BACK, UpgradeStatus.FAILED)]
    now = cp.clock.now()
    campaign.current_wave += 1
    campaign.next_wave_at = now + timedelta(seconds=campaign.wave_pause_seconds)
    canary = next((u for u in failed if u.canary), None)
    broken = next((u for u in failed if u.status is UpgradeStatus.FAILED), None)
    if canary is not None:
        _halt(session, campaign, f"canary {_slug(session, canary)} mislukt bij {canary.failed_step}: {canary.detail}")
    elif broken is not None:
        _halt(session, campaign, f"terugzetten van {_slug(session, broken)} mislukt: {broken.detail}")
    elif failed and campaign.failure_policy.value == "halt":
        first = failed[0]
        _halt(session, campaign, f"{_slug(session, first)} teruggezet na {first.failed_step}: {first.detail}")


def _slug(session: Session, upgrade: TenantUpgrade) -> str:
    tenant = session.get(Tenant, upgrade.tenant_id)
    return tenant.slug if tenant is not None else str(upgrade.tenant_id)


def _complete(session: Session, campaign: Campaign, upgrades: list[TenantUpgrade], now: datetime) -> None:
    campaign.status = CampaignStatus.COMPLETED
    campaign.finished_at = now
    counts = Counter(u.status.value for u in upgrades)
    audit.record(
        session, SYSTEM, "campaign.completed", target_type="campaign", target_id=campaign.id,
        after={"counts": dict(counts)},
    )  # fmt: skip
    log.info("campaign_completed", campaign=str(campaign.id), **dict(counts))


def advance(cp: ControlPlane, campaign_id: uuid.UUID) -> float | None:
    """Move a running campaign on as far as it can go now. Returns the seconds after which it wants to be looked
    at again (a pause or a closed maintenance window), or None when it waits for jobs or is not running. The row
    is taken ``FOR UPDATE SKIP LOCKED``: two workers never advance the same campaign at once."""
    with cp.sessions() as session:
        campaign = session.scalar(
            select(Campaign).where(Campaign.id == campaign_id).with_for_update(skip_locked=True, of=Campaign)
        )
        if campaign is None or campaign.status is not CampaignStatus.RUNNING:
            return None
        wait = _advance_locked(cp, session, campaign)
        session.commit()
        return wait


def _advance_locked(cp: ControlPlane, session: Session, campaign: Campaign) -> float | None:
    now = cp.clock.now()
    upgrades = list(
        session.scalars(
            select(TenantUpgrade).where(TenantUpgrade.campaign_id == campaign.id).order_by(TenantUpgrade.position)
        ).unique()
    )
    _sync_jobs(cp, session, upgrades)
    tenants = {t.id: t for t in session.scalars(select(Tenant).where(Tenant.id.in_([u.tenant_id for u in upgrades])))}
    target = campaign.release

    def startable(upgrade: TenantUpgrade) -> bool:
        tenant = tenants[upgrade.tenant_id]
        reason = skip_reason(cp, session, tenant, target)
        if reason:
            upgrade.status, upgrade.detail, upgrade.finished_at = UpgradeStatus.SKIPPED, reason, now
            return False
        return campaign.ignore_maintenance_windows or windows.window_open(tenant, now)

    wave = [u for u in upgrades if u.wave == campaign.current_wave]
    if wave:
        fresh = all(u.status is UpgradeStatus.PENDING for u in wave)  # the canaries, assigned when it was created
        started = [
            u for u in wave if u.status is UpgradeStatus.PENDING and startable(u) and _start_upgrade(cp, session, u)
        ]
        if fresh and started:
            _wave_started(session, campaign, [tenants[u.tenant_id].slug for u in started])
        if any(u.status not in FINISHED_UPGRADE for u in wave):
            return cp.settings.campaign_tick_seconds if any(u.status is UpgradeStatus.PENDING for u in wave) else None
        _evaluate_wave(cp, session, campaign, wave)
        if campaign.status is not CampaignStatus.RUNNING:
            return None
        advance_after_commit(cp, session, campaign.id, countdown=campaign.wave_pause_seconds)
        return float(campaign.wave_pause_seconds)
    if campaign.next_wave_at is not None and now < aware(campaign.next_wave_at):
        return (aware(campaign.next_wave_at) - now).total_seconds()
    pending = [u for u in upgrades if u.wave is None and u.status is UpgradeStatus.PENDING]
    chosen: list[TenantUpgrade] = []
    for upgrade in pending:
        if len(chosen) >= campaign.wave_size:
            break
        if startable(upgrade):
            chosen.append(upgrade)
    if not chosen:
        if any(u.status is UpgradeStatus.PENDING for u in upgrades):
            return cp.settings.campaign_tick_seconds  # waiting for maintenance windows to open
        _complete(session, campaign, upgrades, now)
        return None
    for upgrade in chosen:
        upgrade.wave = campaign.current_wave
        _start_upgrade(cp, session, upgrade)
    _wave_started(session, campaign, [tenants[u.tenant_id].slug for u in chosen])
    return None


def _wave_started(session: Session, campaign: Campaign, slugs: list[str]) -> None:
    audit.record(
        session, SYSTEM, "campaign.wave_started", target_type="campaign", target_id=campaign.id,
        after={"wave": campaign.current_wave, "tenants": slugs},
    )  # fmt: skip
    log.info("campaign_wave_started", campaign=str(campaign.id), wave=campaign.current_wave, tenants=len(slugs))


def running_campaigns(cp: ControlPlane) -> list[uuid.UUID]:
    with cp.sessions() as session:
        return list(session.scalars(select(Campaign.id).where(Campaign.status == CampaignStatus.RUNNING)))


# --- operator actions ---------------------------------------------------------------------------------
ACTIONS = ("pause", "resume", "cancel", "override-windows")


def act(cp: ControlPlane, session: Session, actor: Actor, campaign: Campaign, action: str) -> Campaign:
    before = {"status": campaign.status, "ignore_maintenance_windows": campaign.ignore_maintenance_windows}
    if action == "pause":
        _require(campaign, CampaignStatus.RUNNING, action)
        campaign.status = CampaignStatus.PAUSED
    elif action == "resume":
        _require(campaign, (CampaignStatus.PAUSED, CampaignStatus.HALTED), action)
        busy = session.scalar(
            select(Campaign.id).where(Campaign.status.in_(ACTIVE_CAMPAIGN), Campaign.id != campaign.id).limit(1)
        )
        if busy is not None:
            raise Problem(409, f"Campagne {busy} loopt al.", code="campaign-in-progress")
        campaign.status = CampaignStatus.RUNNING
        campaign.halt_reason = ""
        advance_after_commit(cp, session, campaign.id)
    elif action == "cancel":
        _require(campaign, (CampaignStatus.RUNNING, CampaignStatus.PAUSED, CampaignStatus.HALTED), action)
        campaign.status = CampaignStatus.CANCELLED
        campaign.finished_at = cp.clock.now()
        for upgrade in session.scalars(
            select(TenantUpgrade).where(
                TenantUpgrade.campaign_id == campaign.id, TenantUpgrade.status == UpgradeStatus.PENDING
            )
        ):
            upgrade.status, upgrade.detail, upgrade.finished_at = (
                UpgradeStatus.SKIPPED,
                "campagne geannuleerd",
                cp.clock.now(),
            )
    elif action == "override-windows":
        _require(campaign, (CampaignStatus.RUNNING, CampaignStatus.PAUSED, CampaignStatus.HALTED), action)
        campaign.ignore_maintenance_windows = True
        advance_after_commit(cp, session, campaign.id)
    else:
        raise Problem(404, f"Onbekende actie '{action}' (mogelijk: {', '.join(ACTIONS)}).", code="not_found")
    session.flush()
    audit.record(
        session, actor, f"campaign.{action.replace('-', '_')}", target_type="campaign", target_id=campaign.id,
        before=before,
        after={"status": campaign.status, "ignore_maintenance_windows": campaign.ignore_maintenance_windows},
    )  # fmt: skip
    return campaign


def _require(campaign: Campaign, allowed: CampaignStatus | tuple[CampaignStatus, ...], action: str) -> None:
    options = allowed if isinstance(allowed, tuple) else (allowed,)
    if campaign.status not in options:
        raise Problem(
            409,
            f"'{action}' kan niet bij een campagne met status '{campaign.status.value}'.",
            code="invalid-state",
        )


# --- reading ------------------------------------------------------------------------------------------
def get(session: Session, campaign_id: uuid.UUID) -> Campaign:
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise Problem(404, "Campagne niet gevonden.", code="not_found")
    return campaign


def upgrade_out(session: Session, upgrade: TenantUpgrade, tenant: Tenant | None = None) -> TenantUpgradeOut:
    tenant = tenant or session.get(Tenant, upgrade.tenant_id)
    assert tenant is not None
    job = session.get(Job, upgrade.job_id) if upgrade.job_id else None
    return TenantUpgradeOut(
        id=upgrade.id,
        campaign_id=upgrade.campaign_id,
        tenant_id=upgrade.tenant_id,
        slug=tenant.slug,
        name=tenant.name,
        wave=upgrade.wave,
        canary=upgrade.canary,
        status=upgrade.status,
        from_version=upgrade.from_release.version if upgrade.from_release else None,
        to_version=upgrade.to_release.version,
        job_id=upgrade.job_id,
        job=UpgradeJob(
            status=job.status,
            progress=job.progress,
            current_step=job.current_step,
            steps_done=list(job.steps_done or []),
            attempts=job.attempts,
            error=job.error,
        )
        if job is not None
        else None,
        backup_id=upgrade.backup_id,
        failed_step=upgrade.failed_step,
        detail=upgrade.detail,
        gate=dict(upgrade.gate or {}),
        maintenance_seconds=upgrade.maintenance_seconds,
        started_at=upgrade.started_at,
        finished_at=upgrade.finished_at,
    )


def campaign_out(session: Session, campaign: Campaign, *, with_tenants: bool = False) -> CampaignOut:
    upgrades = list(
        session.scalars(
            select(TenantUpgrade).where(TenantUpgrade.campaign_id == campaign.id).order_by(TenantUpgrade.position)
        ).unique()
    )
    counts = Counter(u.status.value for u in upgrades)
    waves: dict[int, list[TenantUpgrade]] = {}
    for upgrade in upgrades:
        if upgrade.wave is not None:
            waves.setdefault(upgrade.wave, []).append(upgrade)
    finished = sum(1 for u in upgrades if u.status in FINISHED_UPGRADE)
    tenants = None
    if with_tenants:
        by_id = {t.id: t for t in session.scalars(select(Tenant).where(Tenant.id.in_([u.tenant_id for u in upgrades])))}
        tenants = [upgrade_out(session, u, by_id[u.tenant_id]) for u in upgrades]
    return CampaignOut(
        id=campaign.id,
        release=campaign.release.version,
        status=campaign.status,
        selection=dict(campaign.selection or {}),
        wave_size=campaign.wave_size,
        wave_pause_seconds=campaign.wave_pause_seconds,
        failure_policy=campaign.failure_policy,
        ignore_maintenance_windows=campaign.ignore_maintenance_windows,
        current_wave=campaign.current_wave,
        next_wave_at=campaign.next_wave_at,
        halt_reason=campaign.halt_reason,
        created_by=campaign.created_by,
        created_at=campaign.created_at,
        finished_at=campaign.finished_at,
        total=len(upgrades),
        counts=dict(counts),
        progress=int(100 * finished / len(upgrades)) if upgrades else 100,
        waves=[
            WaveOut(
                wave=n,
                canary=any(u.canary for u in rows),
                total=len(rows),
                counts=dict(Counter(u.status.value for u in rows)),
            )
            for n, rows in sorted(waves.items())
        ],
        tenants=tenants,
    )
