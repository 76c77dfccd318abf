"""The job kinds of the backups context and their steps (run by ``controlplane.jobs.runner``)."""

from __future__ import annotations

from controlplane.jobs.models import JobKind
from controlplane.tenants.lifecycle import JobDefinition

JOB_DEFINITIONS: dict[JobKind, JobDefinition] = {}
