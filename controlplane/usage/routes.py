"""``/api/v1/usage``: ingestion of the runtimes' usage events, per-period usage, the ledger behind it (drill-down,
CSV) and corrections."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.responses import StreamingResponse

from controlplane.deps import ControlPlaneDep, CurrentActor, OperatorActor, SessionDep
from controlplane.tenants import service as tenants
from controlplane.usage import service
from controlplane.usage.models import EntryKind, UsageEntry
from controlplane.usage.schemas import (
    CorrectionIn,
    EntryList,
    EntryOut,
    IngestOut,
    PeriodUsageOut,
    UsageBatchIn,
)
from tenant_runtime.metering.events import Meter

router = APIRouter(prefix="/api/v1/usage", tags=["usage"])

Start = Annotated[
    datetime | None, Query(description="Start of the period (inclusive, with time zone); default: this month's start.")
]
End = Annotated[datetime | None, Query(description="End of the period (exclusive); default: next month's start.")]
CSV_COLUMNS = tuple(EntryOut.model_fields)


def month_of(moment: datetime) -> tuple[datetime, datetime]:
    start = moment.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)
    return start, end


def _period(cp: ControlPlaneDep, start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    default_start, default_end = month_of(cp.clock.now())
    start, end = start or default_start, end or default_end
    service.check_period(start, end)
    return start, end


@router.post(
    "/events",
    response_model=IngestOut,
    summary="Submit usage events (runtime service accounts)",
    description="A tenant runtime ships its metered usage. Each event id is booked at most once: a re-shipment "
    "answers 200 with the repeated ids counted as `duplicates`. All events of a request are booked or none.",
)
def ingest_events(data: UsageBatchIn, actor: CurrentActor, cp: ControlPlaneDep, session: SessionDep) -> IngestOut:
    account = service.runtime_account(session, actor)
    result = service.ingest(
        session,
        account,
        actor.label,
        data.events,
        now=cp.clock.now(),
        max_batch=cp.settings.usage_max_batch_events,
        max_age_days=cp.settings.usage_max_event_age_days,
    )
    session.commit()
    return IngestOut(accepted=result.accepted, duplicates=result.duplicates)


@router.get("/tenants", response_model=list[PeriodUsageOut], summary="Usage of every visible tenant in a period")
def fleet(
    actor: CurrentActor, cp: ControlPlaneDep, session: SessionDep, start: Start = None, end: End = None
) -> list[PeriodUsageOut]:
    start, end = _period(cp, start, end)
    visible = [t.id for t in session.scalars(tenants.visible_tenants(actor)).unique()]
    usages = service.fleet_usage(session, start, end, visible)
    return [PeriodUsageOut.of(usages[tenant_id]) for tenant_id in visible]


@router.get("/tenants/{tenant_id}", response_model=PeriodUsageOut, summary="A tenant's usage in a period")
def tenant_usage(
    tenant_id: uuid.UUID,
    actor: CurrentActor,
    cp: ControlPlaneDep,
    session: SessionDep,
    start: Start = None,
    end: End = None,
) -> PeriodUsageOut:
    tenant = tenants.get_visible(session, actor, tenant_id)
    start, end = _period(cp, start, end)
    return PeriodUsageOut.of(service.period_usage(session, tenant.id, start, end))


@router.get("/tenants/{tenant_id}/entries", response_model=EntryList, summary="The ledger entries behind a period")
def tenant_entries(
    tenant_id: uuid.UUID,
    actor: CurrentActor,
    cp: ControlPlaneDep,
    session: SessionDep,
    start: Start = None,
    end: End = None,
    meter: Meter | None = None,
    kind: EntryKind | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> EntryList:
    tenant = tenants.get_visible(session, actor, tenant_id)
    start, end = _period(cp, start, end)
    total, entries = service.period_entries(
        session, tenant.id, start, end, meter=meter, kind=kind, limit=limit, offset=offset
    )
    return EntryList(count=total, results=[EntryOut.model_validate(e) for e in entries])


@router.get(
    "/tenants/{tenant_id}/entries.csv",
    response_class=StreamingResponse,
    summary="The ledger entries behind a period as CSV",
    responses={200: {"content": {"text/csv": {}}}},
)
def tenant_entries_csv(
    tenant_id: uuid.UUID,
    actor: CurrentActor,
    cp: ControlPlaneDep,
    session: SessionDep,
    start: Start = None,
    end: End = None,
    meter: Meter | None = None,
) -> StreamingResponse:
    tenant = tenants.get_visible(session, actor, tenant_id)
    start, end = _period(cp, start, end)
    statement = service.entries_query(tenant.id, start, end, meter=meter)
    rows = list(session.scalars(statement))

    def lines() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(CSV_COLUMNS)
        for entry in rows:
            writer.writerow(_csv_row(entry))
            if buffer.tell() > 64 * 1024:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    filename = f"usage-{tenant.slug}-{start:%Y%m%d}-{end:%Y%m%d}.csv"
    return StreamingResponse(
        lines(), media_type="text/csv", headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


def _csv_row(entry: UsageEntry) -> list[str]:
    values = EntryOut.model_validate(entry).model_dump(mode="json")
    return ["" if values[c] is None else str(values[c]) for c in CSV_COLUMNS]


@router.post(
    "/tenants/{tenant_id}/corrections",
    response_model=EntryOut,
    status_code=201,
    summary="Record a correction (a compensating ledger entry)",
)
def correct(
    tenant_id: uuid.UUID, data: CorrectionIn, response: Response, actor: OperatorActor, session: SessionDep
) -> EntryOut:
    tenant = tenants.get_visible(session, actor, tenant_id)
    entry, created = service.record_correction(
        session,
        actor,
        tenant.id,
        corrects_event_id=data.corrects_event_id,
        quantity=data.quantity,
        reason=data.reason,
        event_id=data.event_id,
    )
    session.commit()
    if not created:
        response.status_code = 200
        response.headers["Idempotent-Replayed"] = "true"
    return EntryOut.model_validate(entry)
