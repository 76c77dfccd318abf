"""Bodies of the usage API: the ingestion batch of a runtime, ledger entries, period summaries, corrections."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from tenant_runtime.core.tenancy import SLUG_PATTERN
from tenant_runtime.metering.events import Meter

MAX_QUANTITY = 10**15  # a sanity bound (a petabyte of stored bytes, or calls) per event


class UsageEventIn(BaseModel):
    """One usage event (``tenant_runtime.metering.events``): a counter, gauge or active-client mark of one hour.

    The types are checked here; the rules between the fields (a component only for ``api_calls``, a client only
    for ``active_client``, an hour start, …) in ``controlplane.usage.service.event_problems``: one plain loop,
    so a batch of thousands validates in milliseconds."""

    model_config = ConfigDict(extra="forbid")

    id: uuid.UUID = Field(description="Unique, deterministic event id; a repeated id is a duplicate, not new usage.")
    tenant: str = Field(
        min_length=1, max_length=63, pattern=SLUG_PATTERN.pattern, description="Slug of the tenant the usage is of."
    )
    meter: Meter
    component: str = Field("", max_length=32, description="ZGW component of an `api_calls` event; else empty.")
    operation: Literal["", "read", "write"] = Field("", description="`read` or `write` for `api_calls`; else empty.")
    client_id: str = Field("", max_length=255, description="The API client of an `active_client` event; else empty.")
    hour: AwareDatetime = Field(description="UTC start of the hour, e.g. 2026-11-26T10:00:00Z.")
    quantity: int = Field(ge=0, le=MAX_QUANTITY)


class UsageBatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    events: list[UsageEventIn] = Field(min_length=1)


class IngestOut(BaseModel):
    accepted: int = Field(description="Events added to the ledger.")
    duplicates: int = Field(description="Events whose id the ledger already holds (a re-shipment); ignored.")


class EntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    event_id: uuid.UUID
    tenant_id: uuid.UUID
    meter: str
    component: str
    operation: str
    client_id: str
    hour: datetime
    quantity: int
    kind: str
    corrects_event_id: uuid.UUID | None
    reason: str
    recorded_by: str
    recorded_at: datetime


class EntryList(BaseModel):
    count: int
    results: list[EntryOut]


class ApiCallsOut(BaseModel):
    component: str
    operation: str
    count: int


class PeriodUsageOut(BaseModel):
    tenant_id: uuid.UUID
    start: datetime
    end: datetime
    hours: int = Field(description="Hours in the period.")
    api_calls: list[ApiCallsOut]
    api_calls_total: int
    stored_byte_hours: int = Field(description="Sum over the period's hours of the stored-bytes gauge.")
    sampled_hours: int = Field(description="Hours of the period with a stored-bytes value.")
    max_stored_bytes: int
    zaken: int = Field(description="Latest number of zaken in the period.")
    documenten: int = Field(description="Latest number of documenten in the period.")
    active_clients: list[str]

    @classmethod
    def of(cls, usage: Any) -> PeriodUsageOut:
        return cls(
            tenant_id=usage.tenant_id,
            start=usage.start,
            end=usage.end,
            hours=usage.hours,
            api_calls=[ApiCallsOut(component=c, operation=o, count=n) for (c, o), n in sorted(usage.api_calls.items())],
            api_calls_total=usage.api_calls_total,
            stored_byte_hours=usage.stored_byte_hours,
            sampled_hours=usage.sampled_hours,
            max_stored_bytes=usage.max_stored_bytes,
            zaken=usage.zaken,
            documenten=usage.documenten,
            active_clients=sorted(usage.active_clients),
        )


class CorrectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    corrects_event_id: uuid.UUID = Field(description="The ledger entry (its event id) this correction compensates.")
    quantity: int = Field(
        ge=-MAX_QUANTITY, le=MAX_QUANTITY, description="Signed change, e.g. -120 to take back 120 API calls."
    )
    reason: str = Field(min_length=3, max_length=2000, description="Why; shown to finance next to the entry.")
    event_id: uuid.UUID | None = Field(
        None, description="Id of the correction itself; repeat a request with the same id to make it idempotent."
    )

    @field_validator("quantity")
    @classmethod
    def _nonzero(cls, value: int) -> int:
        if value == 0:
            raise PydanticCustomError("invalid", "Een correctie van 0 verandert niets.")
        return value
