"""Response bodies of the jobs API."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel

from controlplane.jobs.models import Job, JobKind, JobStatus


class JobOut(BaseModel):
    id: uuid.UUID
    kind: JobKind
    tenant_id: uuid.UUID
    status: JobStatus
    progress: int
    steps_total: int
    steps_done: list[str]
    current_step: str
    detail: str  # progress of the current step while it waits (e.g. "API 1/2 beschikbaar")
    attempts: int
    error: str
    created_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def of(cls, job: Job) -> JobOut:
        return cls(
            id=job.id,
            kind=job.kind,
            tenant_id=job.tenant_id,
            status=job.status,
            progress=job.progress,
            steps_total=job.steps_total,
            steps_done=list(job.steps_done or []),
            current_step=job.current_step,
            detail=job.detail,
            attempts=job.attempts,
            error=job.error,
            created_by=job.created_by,
            created_at=job.created_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
        )


class JobList(BaseModel):
    count: int
    results: list[JobOut]
