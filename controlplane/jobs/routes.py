"""``/api/v1/jobs``: status and progress of running work."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from controlplane.deps import ManagerActor, SessionDep
from controlplane.jobs.models import Job, JobStatus
from controlplane.jobs.schemas import JobList, JobOut
from tenant_runtime.core.problems import Problem

router = APIRouter(prefix="/api/v1/jobs", tags=["jobs"])


@router.get("", response_model=JobList)
def list_jobs(
    actor: ManagerActor,
    session: SessionDep,
    tenant_id: uuid.UUID | None = None,
    status: JobStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> JobList:
    statement = select(Job).order_by(Job.created_at.desc())
    if not actor.is_operator:
        statement = statement.where(Job.tenant_id == actor.tenant_id)
    if tenant_id is not None:
        statement = statement.where(Job.tenant_id == tenant_id)
    if status is not None:
        statement = statement.where(Job.status == status)
    results = [JobOut.of(j) for j in session.scalars(statement.limit(limit))]
    return JobList(count=len(results), results=results)


@router.get("/{job_id}", response_model=JobOut)
def get_job(job_id: uuid.UUID, actor: ManagerActor, session: SessionDep) -> JobOut:
    job = session.get(Job, job_id)
    if job is None or not actor.may_manage_tenant(job.tenant_id):
        raise Problem(404, "Taak niet gevonden.", code="not_found")
    return JobOut.of(job)
