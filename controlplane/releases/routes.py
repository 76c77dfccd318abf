"""``/api/v1/releases``, ``/api/v1/campaigns`` and a tenant's release, pin and upgrade history."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy import select

from controlplane.accounts.actors import Actor
from controlplane.accounts.models import Role
from controlplane.deps import ControlPlaneDep, CurrentActor, IdempotencyKey, OperatorActor, SessionDep, require_roles
from controlplane.jobs import service as jobs
from controlplane.releases import campaigns
from controlplane.releases import service as releases
from controlplane.releases.models import Campaign, CampaignStatus, Release, ReleaseStatus
from controlplane.releases.schemas import (
    CampaignCreate,
    CampaignList,
    CampaignOut,
    PinIn,
    ReleaseCreate,
    ReleaseList,
    ReleaseOut,
    ReleaseUpdate,
    TenantReleaseOut,
    UpgradeList,
)
from controlplane.tenants import service as tenants
from controlplane.tenants.routes import mark_started, retry_on_conflict

router = APIRouter(prefix="/api/v1/releases", tags=["releases"])
campaigns_router = APIRouter(prefix="/api/v1/campaigns", tags=["campaigns"])
tenant_router = APIRouter(prefix="/api/v1/tenants", tags=["releases"])
FleetReader = Annotated[Actor, Depends(require_roles(Role.OPERATOR, Role.FINANCE))]


# --- the catalogue ------------------------------------------------------------------------------------
@router.get("", response_model=ReleaseList)
def list_releases(
    _: CurrentActor, cp: ControlPlaneDep, session: SessionDep, status: ReleaseStatus | None = None
) -> ReleaseList:
    results = releases.list_releases(cp, session, status)
    session.commit()  # the package's release, on first use
    return ReleaseList(count=len(results), results=results)


@router.post("", response_model=ReleaseOut, status_code=201)
def create_release(
    data: ReleaseCreate, response: Response, actor: OperatorActor, cp: ControlPlaneDep, session: SessionDep
) -> ReleaseOut:
    def attempt() -> Release:
        created = releases.create_release(cp, session, actor, data)
        session.commit()
        return created

    release = retry_on_conflict(session, attempt)  # a concurrent create of the version: answered as "unique"
    response.headers["Location"] = f"/api/v1/releases/{release.version}"
    return releases.to_out(release, 0)


@router.get("/{version}", response_model=ReleaseOut)
def get_release(version: str, _: CurrentActor, cp: ControlPlaneDep, session: SessionDep) -> ReleaseOut:
    releases.package_release(cp, session)
    session.commit()
    release = releases.get_release(session, version)
    return releases.to_out(release, releases.tenant_counts(cp, session).get(release.id, 0))


@router.patch("/{version}", response_model=ReleaseOut)
def update_release(
    version: str, data: ReleaseUpdate, actor: OperatorActor, cp: ControlPlaneDep, session: SessionDep
) -> ReleaseOut:
    release = releases.update_release(cp, session, actor, releases.get_release(session, version), data)
    session.commit()
    return releases.to_out(release, releases.tenant_counts(cp, session).get(release.id, 0))


# --- campaigns ----------------------------------------------------------------------------------------
@campaigns_router.get("", response_model=CampaignList)
def list_campaigns(
    _: FleetReader,
    session: SessionDep,
    status: CampaignStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> CampaignList:
    statement = select(Campaign).order_by(Campaign.created_at.desc()).limit(limit)
    if status is not None:
        statement = statement.where(Campaign.status == status)
    results = [campaigns.campaign_out(session, c) for c in session.scalars(statement).unique()]
    return CampaignList(count=len(results), results=results)


@campaigns_router.post("", response_model=CampaignOut, status_code=201)
def start_campaign(
    data: CampaignCreate,
    request: Request,
    response: Response,
    actor: OperatorActor,
    cp: ControlPlaneDep,
    session: SessionDep,
    idempotency_key: IdempotencyKey = None,
) -> CampaignOut:
    fingerprint = jobs.fingerprint("POST", request.url.path, data.model_dump(mode="json"))

    def attempt() -> tuple[Campaign, bool]:
        found = campaigns.start(
            cp, session, actor, data, idempotency_key=idempotency_key, request_fingerprint=fingerprint
        )
        session.commit()
        return found

    campaign, replayed = retry_on_conflict(session, attempt)
    mark_started(response, f"/api/v1/campaigns/{campaign.id}", replayed)
    return campaigns.campaign_out(session, campaign, with_tenants=True)


@campaigns_router.get("/{campaign_id}", response_model=CampaignOut)
def get_campaign(campaign_id: uuid.UUID, _: FleetReader, session: SessionDep) -> CampaignOut:
    return campaigns.campaign_out(session, campaigns.get(session, campaign_id), with_tenants=True)


def _action(action: str, summary: str) -> None:
    def act(campaign_id: uuid.UUID, actor: OperatorActor, cp: ControlPlaneDep, session: SessionDep) -> CampaignOut:
        campaign = campaigns.act(cp, session, actor, campaigns.get(session, campaign_id), action)
        session.commit()
        return campaigns.campaign_out(session, campaign, with_tenants=True)

    campaigns_router.add_api_route(
        f"/{{campaign_id}}/{action}", act, methods=["POST"], response_model=CampaignOut, summary=summary,
        name=f"campaign_{action.replace('-', '_')}",
    )  # fmt: skip


_action("pause", "Pause: running upgrades finish, no new ones start")
_action("resume", "Resume a paused or halted campaign")
_action("cancel", "Cancel: pending tenants are skipped, running upgrades finish")
_action("override-windows", "Emergency: upgrade the remaining tenants outside their maintenance windows")


# --- a tenant's release -------------------------------------------------------------------------------
@tenant_router.get("/{tenant_id}/release", response_model=TenantReleaseOut)
def tenant_release(
    tenant_id: uuid.UUID, actor: CurrentActor, cp: ControlPlaneDep, session: SessionDep
) -> TenantReleaseOut:
    out = releases.tenant_release_out(cp, session, tenants.get_visible(session, actor, tenant_id))
    session.commit()
    return out


@tenant_router.put("/{tenant_id}/release/pin", response_model=TenantReleaseOut)
def pin(
    tenant_id: uuid.UUID, data: PinIn, actor: CurrentActor, cp: ControlPlaneDep, session: SessionDep
) -> TenantReleaseOut:
    tenant = tenants.get_visible(session, actor, tenant_id)
    releases.pin(cp, session, actor, tenant, data)
    session.commit()
    return releases.tenant_release_out(cp, session, tenant)


@tenant_router.delete("/{tenant_id}/release/pin", response_model=TenantReleaseOut)
def unpin(tenant_id: uuid.UUID, actor: CurrentActor, cp: ControlPlaneDep, session: SessionDep) -> TenantReleaseOut:
    tenant = tenants.get_visible(session, actor, tenant_id)
    releases.unpin(cp, session, actor, tenant)
    session.commit()
    return releases.tenant_release_out(cp, session, tenant)


@tenant_router.get("/{tenant_id}/upgrades", response_model=UpgradeList)
def tenant_upgrades(
    tenant_id: uuid.UUID,
    actor: CurrentActor,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> UpgradeList:
    tenant = tenants.get_visible(session, actor, tenant_id)
    results = [campaigns.upgrade_out(session, u, tenant) for u in releases.upgrades_of(session, tenant, limit)]
    return UpgradeList(count=len(results), results=results)
