"""Request and response bodies of the billing API."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from controlplane.billing.interfaces import ProviderInvoiceInfo
from controlplane.billing.pricing import ApiCallTier, Period, PriceComponents

Price = Annotated[Decimal, Field(ge=0, le=Decimal("1000000"), max_digits=14, decimal_places=6)]


def parse_period(value: str) -> Period:
    """A ``YYYY-MM`` query value as a period, or a 400 with ``invalidParams`` ``period``/``invalid``."""
    from tenant_runtime.core.problems import InvalidParam, validation_problem

    try:
        return Period.parse(value)
    except ValueError as exc:
        raise validation_problem([InvalidParam("period", "invalid", str(exc))]) from None


class TierIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    up_to: int | None = Field(
        None, ge=1, le=10**13, description="Cumulative overage calls this tier reaches; null: no bound (last tier)."
    )
    price_per_1000: Price = Field(description="EUR per 1,000 calls in this tier.")


class PlanVersionIn(BaseModel):
    """New prices for a plan, effective from a moment (never inside a closed billing period)."""

    model_config = ConfigDict(extra="forbid")

    effective_from: AwareDatetime | None = Field(None, description="When these prices start; default: now.")
    monthly_fee: Price = Field(Decimal(0), description="EUR per month (prorated for part of a month).")
    price_per_inhabitant_year: Price = Field(Decimal(0), description="EUR per inhabitant per year, billed monthly.")
    price_per_active_client: Price = Field(Decimal(0), description="EUR per active API client per month.")
    included_api_calls: int = Field(0, ge=0, le=10**13, description="API calls per month included in the price.")
    api_call_tiers: list[TierIn] = Field(
        default_factory=list, max_length=10, description="Graduated overage tiers above the included calls."
    )
    price_per_gb_month: Price = Field(Decimal(0), description="EUR per GB-month of stored documents.")
    included_storage_gb: Price = Field(Decimal(0), description="GB of storage per month included in the price.")
    note: str = Field("", max_length=500)

    @field_validator("api_call_tiers")
    @classmethod
    def _tiers(cls, tiers: list[TierIn]) -> list[TierIn]:
        ladder = PriceComponents(api_call_tiers=tuple(ApiCallTier(t.up_to, t.price_per_1000) for t in tiers))
        if problems := ladder.tier_problems():
            raise PydanticCustomError("invalid_tiers", "; ".join(problems))
        return tiers

    def components(self) -> PriceComponents:
        return PriceComponents(
            monthly_fee=self.monthly_fee,
            price_per_inhabitant_year=self.price_per_inhabitant_year,
            price_per_active_client=self.price_per_active_client,
            included_api_calls=self.included_api_calls,
            api_call_tiers=tuple(ApiCallTier(t.up_to, t.price_per_1000) for t in self.api_call_tiers),
            price_per_gb_month=self.price_per_gb_month,
            included_storage_gb=self.included_storage_gb,
        )


class TierOut(BaseModel):
    up_to: int | None
    price_per_1000: Decimal


class PlanVersionOut(BaseModel):
    id: uuid.UUID
    plan: str
    version: int
    effective_from: datetime
    monthly_fee: Decimal
    price_per_inhabitant_year: Decimal
    price_per_active_client: Decimal
    included_api_calls: int
    api_call_tiers: list[TierOut]
    price_per_gb_month: Decimal
    included_storage_gb: Decimal
    note: str
    created_by: str
    created_at: datetime


class PlanPricesOut(BaseModel):
    code: str
    name: str
    is_active: bool
    versions: list[PlanVersionOut]


class PlanChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    plan: str = Field(min_length=1, max_length=63, description="Code of the new plan.")
    effective_from: AwareDatetime | None = Field(
        None, description="When the tenant moves to the plan; default: now. Never inside a closed period."
    )


class PlanChangeOut(BaseModel):
    id: uuid.UUID
    plan: str | None  # None: billing stopped (deprovisioned)
    effective_from: datetime
    reason: str
    recorded_by: str
    recorded_at: datetime


class LineOut(BaseModel):
    position: int
    component: str
    description: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    amount: Decimal
    computation: str
    details: dict[str, Any]
    segment_start: datetime
    segment_end: datetime
    plan: str
    plan_version: int


class UsageSummary(BaseModel):
    api_calls: dict[str, int] = Field(description="Calls per `component:operation`.")
    api_calls_total: int
    stored_byte_hours: int
    sampled_hours: int
    max_stored_bytes: int
    storage_gb_months: Decimal
    zaken: int
    documenten: int
    active_clients: list[str]


class InvoiceOut(BaseModel):
    id: uuid.UUID | None = Field(description="The frozen invoice; null for a preview.")
    number: str
    status: str = Field(description="`preview` (computed now from the ledger) or `final` (frozen at month-close).")
    tenant_id: uuid.UUID
    tenant: str
    period: str
    period_start: datetime
    period_end: datetime
    currency: str
    inhabitants: int
    lines: list[LineOut]
    subtotal: Decimal
    vat_rate: Decimal
    vat: Decimal
    total: Decimal
    usage: UsageSummary
    computed_at: datetime
    ledger: dict[str, str] = Field(description="Drill-down: the ledger entries behind each meter (API URLs).")
    warnings: list[str] = Field(default_factory=list)


class InvoiceSummary(BaseModel):
    id: uuid.UUID
    number: str
    tenant_id: uuid.UUID
    tenant: str
    period: str
    subtotal: Decimal
    vat: Decimal
    total: Decimal
    computed_at: datetime


class InvoiceList(BaseModel):
    count: int
    results: list[InvoiceSummary]


class PeriodOut(BaseModel):
    period: str
    status: str
    invoices: int
    subtotal: Decimal
    total: Decimal
    closed_at: datetime | None
    close_seconds: float | None


class CloseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    period: str = Field(pattern=r"^\d{4}-\d{2}$", description="The month to close, YYYY-MM (it must have ended).")

    @field_validator("period")
    @classmethod
    def _valid(cls, value: str) -> str:
        try:
            Period.parse(value)
        except ValueError as exc:
            raise PydanticCustomError("invalid", str(exc)) from None
        return value


class CloseOut(BaseModel):
    period: str
    invoices_created: int
    invoices_existing: int
    submissions_created: int
    seconds: float


class TenantUsageRow(BaseModel):
    """One line of the finance overview: a tenant's usage and amount in a period."""

    tenant_id: uuid.UUID
    tenant: str
    name: str
    plan: str
    status: str = Field(description="`final` (frozen invoice) or `preview` (computed now).")
    api_calls_total: int
    storage_gb_months: Decimal
    active_clients: int
    subtotal: Decimal
    total: Decimal
    reconciliation: str | None = Field(description="Latest reconciliation status of the tenant in this period.")


class UsageOverview(BaseModel):
    period: str
    count: int
    subtotal: Decimal
    total: Decimal
    results: list[TenantUsageRow]


class SubmissionOut(BaseModel):
    id: uuid.UUID
    identifier: str
    tenant_id: uuid.UUID
    period: str
    component: str
    event_name: str
    value: int
    status: str
    attempts: int
    last_error: str
    sent_at: datetime | None


class SubmissionList(BaseModel):
    count: int
    results: list[SubmissionOut]


class ReconciliationItemOut(BaseModel):
    tenant_id: uuid.UUID
    tenant: str
    component: str
    ledger_cents: int
    invoiced_cents: int
    sent_cents: int | None
    provider_cents: int | None
    status: str
    detail: str


class ReconciliationOut(BaseModel):
    id: uuid.UUID
    period: str
    provider: str
    status: str
    checked: int
    drifting: int
    started_at: datetime
    finished_at: datetime | None
    items: list[ReconciliationItemOut]


class ReconcileIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    period: str = Field(pattern=r"^\d{4}-\d{2}$", description="A closed month, YYYY-MM.")


class ProviderInvoiceList(BaseModel):
    provider: str
    stale: bool = Field(description="True: the provider could not be reached; these are the last known states.")
    results: list[ProviderInvoiceInfo]


class PortalSessionOut(BaseModel):
    url: str


class CustomerOut(BaseModel):
    tenant_id: uuid.UUID
    provider: str
    customer_id: str
    subscription_id: str
    subscription_status: str
    last_error: str
    updated_at: datetime


class WebhookOut(BaseModel):
    received: bool
    replayed: bool
    outcome: str


class TrendPoint(BaseModel):
    period: str
    first_day: date
    api_calls_total: int
    storage_gb_months: Decimal
    total: Decimal
