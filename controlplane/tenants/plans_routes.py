"""``/api/v1/plans`` and ``/api/v1/providers``."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from controlplane.audit import service as audit
from controlplane.deps import CurrentActor, OperatorActor, SessionDep
from controlplane.tenants.models import HostingProvider, Plan
from tenant_runtime.core.problems import InvalidParam, validation_problem

router = APIRouter(prefix="/api/v1", tags=["plans"])


class PlanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
    name: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=2000)


class PlanOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    code: str
    name: str
    description: str
    is_active: bool


class ProviderOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    code: str
    name: str
    contact_email: str


@router.get("/plans", response_model=list[PlanOut])
def list_plans(_actor: CurrentActor, session: SessionDep) -> list[Plan]:
    return list(session.scalars(select(Plan).order_by(Plan.code)))


@router.post("/plans", response_model=PlanOut, status_code=201)
def create_plan(data: PlanIn, actor: OperatorActor, session: SessionDep) -> Plan:
    if session.scalar(select(Plan.id).where(Plan.code == data.code)) is not None:
        raise validation_problem([InvalidParam("code", "unique", "Dit plan bestaat al.")])
    plan = Plan(code=data.code, name=data.name, description=data.description)
    session.add(plan)
    session.flush()
    audit.record(session, actor, "plan.created", target_type="plan", target_id=plan.code, after=data.model_dump())
    session.commit()
    return plan


@router.get("/providers", response_model=list[ProviderOut])
def list_providers(_actor: OperatorActor, session: SessionDep) -> list[HostingProvider]:
    return list(session.scalars(select(HostingProvider).order_by(HostingProvider.code)))
