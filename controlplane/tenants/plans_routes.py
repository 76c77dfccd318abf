"""``/api/v1/plans`` and ``/api/v1/providers``."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Annotated

from fastapi import APIRouter
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from sqlalchemy import select

from controlplane.audit import service as audit
from controlplane.deps import CurrentActor, OperatorActor, SessionDep
from controlplane.drivers.interfaces import Sizing
from controlplane.tenants.models import HostingProvider, Plan
from controlplane.tenants.validators import sizing_problems, validate_cpu_quantity, validate_memory_quantity
from tenant_runtime.core.problems import InvalidParam, validation_problem

router = APIRouter(prefix="/api/v1", tags=["plans"])

CpuQuantity = Annotated[str, AfterValidator(validate_cpu_quantity)]
MemoryQuantity = Annotated[str, AfterValidator(validate_memory_quantity)]


class PlanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
    name: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=2000)
    # Sizing of a dedicated tenant's runtime (Kubernetes quantities); the defaults fit the runtime chart.
    api_replicas: int = Field(2, ge=0, le=50, description="API pods of a dedicated runtime.")
    cpu_request: CpuQuantity = "250m"
    memory_request: MemoryQuantity = "256Mi"
    cpu_limit: CpuQuantity = "1"
    memory_limit: MemoryQuantity = "512Mi"
    quota_cpu: CpuQuantity = Field("4", description="ResourceQuota of the tenant namespace: requests and limits.")
    quota_memory: MemoryQuantity = "4Gi"
    quota_pods: int = Field(10, ge=1, le=1000)

    def sizing(self) -> Sizing:
        return Sizing(**{name: getattr(self, name) for name in SIZING_FIELDS})


SIZING_FIELDS = tuple(f.name for f in dataclasses.fields(Sizing))


class PlanOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    code: str
    name: str
    description: str
    is_active: bool
    api_replicas: int
    cpu_request: str
    memory_request: str
    cpu_limit: str
    memory_limit: str
    quota_cpu: str
    quota_memory: str
    quota_pods: int


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
    if problems := sizing_problems(data.sizing()):
        raise validation_problem([InvalidParam(*problem) for problem in problems])
    plan = Plan(
        code=data.code,
        name=data.name,
        description=data.description,
        **{name: getattr(data, name) for name in SIZING_FIELDS},
    )
    session.add(plan)
    session.flush()
    audit.record(session, actor, "plan.created", target_type="plan", target_id=plan.code, after=data.model_dump())
    session.commit()
    return plan


@router.get("/providers", response_model=list[ProviderOut])
def list_providers(_actor: OperatorActor, session: SessionDep) -> list[HostingProvider]:
    return list(session.scalars(select(HostingProvider).order_by(HostingProvider.code)))
