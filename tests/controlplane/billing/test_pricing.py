"""Pricing, table-driven: every plan component, period boundaries, proration of mid-period plan and price
changes, and the rounding rules (each line half-up to cents once; VAT on the subtotal)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest

from controlplane.billing.models import PlanVersion, TenantPlanChange
from controlplane.billing.pricing import (
    ApiCallTier,
    Component,
    Period,
    PriceComponents,
    Segment,
    SegmentUsage,
    fmt_eur,
    fmt_number,
    price_invoice,
    round_half_up,
)
from controlplane.billing.service import plan_spans
from controlplane.tenants.models import Plan, Tenant, TenantState

D = Decimal
VAT = D("0.21")
BASIS = PriceComponents(
    monthly_fee=D("250"),
    price_per_inhabitant_year=D("0.05"),
    price_per_active_client=D("10"),
    included_api_calls=100_000,
    api_call_tiers=(ApiCallTier(900_000, D("0.40")), ApiCallTier(None, D("0.25"))),
    price_per_gb_month=D("0.25"),
    included_storage_gb=D("1"),
)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def whole(period: Period, prices: PriceComponents, usage: SegmentUsage | None = None) -> Segment:
    return Segment(period.start, period.end, "basis", "Basis", 1, prices, usage or SegmentUsage())


def only(component: Component, prices: PriceComponents) -> PriceComponents:
    """``prices`` with every component but one set to zero."""
    keep = {
        Component.FLAT_FEE: {"monthly_fee"},
        Component.INHABITANTS: {"price_per_inhabitant_year"},
        Component.ACTIVE_CLIENTS: {"price_per_active_client"},
        Component.API_CALLS: {"included_api_calls", "api_call_tiers"},
        Component.STORAGE: {"price_per_gb_month", "included_storage_gb"},
    }[component]
    return PriceComponents(**{name: getattr(prices, name) for name in keep})


def calls(total: int) -> SegmentUsage:
    return SegmentUsage(api_calls={("zaken", "read"): total})


def storage(byte_hours: int, hours: int) -> SegmentUsage:
    return SegmentUsage(stored_byte_hours=byte_hours, storage_hours=hours)


# (case, period, component, usage, inhabitants, segment start, segment end, expected amount)
CASES = [
    ("flat fee, whole month", "2026-04", Component.FLAT_FEE, None, 0, None, None, "250.00"),
    ("flat fee, half of February", "2026-02", Component.FLAT_FEE, None, 0, "2026-02-15", None, "125.00"),
    ("flat fee, 10 of 31 days rounds half-up", "2026-01", Component.FLAT_FEE, None, 0, "2026-01-22", None, "80.65"),
    ("flat fee, first 36 hours of April", "2026-04", Component.FLAT_FEE, None, 0, None, "2026-04-02T12:00", "12.50"),
    ("per inhabitant: 374.238 × 0,05 / 12 = 1559,325 → 1559,33 (half-up, not half-even)", "2026-04",
     Component.INHABITANTS, None, 374_238, None, None, "1559.33"),
    ("per inhabitant is 1/12 of a year whatever the month's length", "2026-02", Component.INHABITANTS, None, 120_000,
     None, None, "500.00"),
    ("per inhabitant, half a month", "2026-04", Component.INHABITANTS, None, 10_000, "2026-04-16", None, "20.83"),
    ("active clients: 3 × € 10", "2026-04", Component.ACTIVE_CLIENTS,
     SegmentUsage(active_clients=frozenset({"zs", "dms", "portaal"})), 0, None, None, "30.00"),
    ("active clients, none", "2026-04", Component.ACTIVE_CLIENTS, SegmentUsage(), 0, None, None, "0.00"),
    ("api calls inside the bundle", "2026-04", Component.API_CALLS, calls(100_000), 0, None, None, "0.00"),
    ("api calls: 1 over the bundle is € 0,0004 → 0,00", "2026-04", Component.API_CALLS, calls(100_001), 0, None,
     None, "0.00"),
    ("api calls: 13 over is € 0,0052 → 0,01", "2026-04", Component.API_CALLS, calls(100_013), 0, None, None, "0.01"),
    ("api calls across both tiers: 900k × 0,40 + 250k × 0,25 per 1.000", "2026-04", Component.API_CALLS,
     calls(1_250_000), 0, None, None, "422.50"),
    ("api calls: half a month has half the bundle and half the tier", "2026-04", Component.API_CALLS,
     calls(600_000), 0, "2026-04-16", None, "205.00"),
    ("storage: 2 GB all month − 1 GB included = 1 × € 0,25", "2026-04", Component.STORAGE,
     storage(2 * 10**9 * 720, 720), 0, None, None, "0.25"),
    ("storage below the included GB", "2026-04", Component.STORAGE, storage(10**9 * 700, 700), 0, None, None, "0.00"),
    ("storage: GB-months divide by the month's hours (31 days)", "2026-01", Component.STORAGE,
     storage(5 * 10**9 * 744, 744), 0, None, None, "1.00"),
    ("storage: a gap in the readings is not billed", "2026-04", Component.STORAGE, storage(5 * 10**9 * 360, 360), 0,
     None, None, "0.38"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "period", "component", "usage", "inhabitants", "start", "end", "expected"),
                         CASES, ids=[c[0] for c in CASES])  # fmt: skip
def test_component(case, period, component, usage, inhabitants, start, end, expected) -> None:
    p = Period.parse(period)
    segment = Segment(at(start) if start else p.start, at(end) if end else p.end, "basis", "Basis", 1,
                      only(component, BASIS), usage or SegmentUsage())  # fmt: skip
    invoice = price_invoice(p, inhabitants, [segment], VAT)
    assert [line.component for line in invoice.lines] == [component]
    line = invoice.lines[0]
    assert line.amount == D(expected), line.computation
    assert line.computation.endswith(fmt_eur(D(expected))), line.computation


@pytest.mark.parametrize(("value", "places", "expected"), [
    (Fraction(5, 1000), 2, "0.01"), (Fraction(4999, 1000000), 2, "0.00"), (Fraction(-5, 1000), 2, "-0.01"),
    (Fraction(1559325, 1000), 2, "1559.33"), (Fraction(2, 3), 4, "0.6667"), (Fraction(0), 2, "0.00"),
    (Fraction(125, 1000), 2, "0.13"), (Fraction(135, 1000), 2, "0.14"),
])  # fmt: skip
def test_round_half_up(value, places, expected) -> None:
    assert round_half_up(value, places) == D(expected)
    assert str(round_half_up(value, places)) == expected


def test_each_line_rounds_once_and_vat_is_on_the_subtotal() -> None:
    """Two lines of € 0,03: VAT per line would be 0,01 + 0,01; on the subtotal 0,06 × 21% = 0,0126 → 0,01."""
    p = Period.parse("2026-04")
    prices = PriceComponents(monthly_fee=D("0.03"), price_per_active_client=D("0.03"))
    invoice = price_invoice(p, 0, [whole(p, prices, SegmentUsage(active_clients=frozenset({"a"})))], VAT)
    assert [line.amount for line in invoice.lines] == [D("0.03"), D("0.03")]
    assert (invoice.subtotal, invoice.vat, invoice.total) == (D("0.06"), D("0.01"), D("0.07"))


def test_full_invoice_of_a_month() -> None:
    p = Period.parse("2026-04")
    usage = SegmentUsage(api_calls={("zaken", "read"): 900_000, ("zaken", "write"): 150_000,
                                    ("documenten", "read"): 200_000},
                         stored_byte_hours=3 * 10**9 * 720, storage_hours=720,
                         active_clients=frozenset({"zaaksysteem", "dms"}))  # fmt: skip
    invoice = price_invoice(p, 374_238, [whole(p, BASIS, usage)], VAT)
    amounts = {line.component: line.amount for line in invoice.lines}
    assert amounts == {Component.FLAT_FEE: D("250.00"), Component.INHABITANTS: D("1559.33"),
                       Component.ACTIVE_CLIENTS: D("20.00"), Component.API_CALLS: D("422.50"),
                       Component.STORAGE: D("0.50")}  # fmt: skip
    assert invoice.subtotal == D("2252.33")
    assert invoice.vat == D("472.99")  # 2252,33 × 0,21 = 472,9893
    assert invoice.total == D("2725.32")
    assert invoice.cents_by_component()[Component.INHABITANTS] == 155_933
    api = next(line for line in invoice.lines if line.component is Component.API_CALLS)
    assert api.details["overage"] == 1_150_000 and api.details["included"] == 100_000
    assert "1.250.000 aanroepen (documenten read 200.000, zaken read 900.000, zaken write 150.000)" in api.computation
    assert [t["calls"] for t in api.details["tiers"]] == [900_000, 250_000]


def test_mid_period_plan_change_is_prorated() -> None:
    """Basis for the first 14 days of February (28), Plus for the rest: each half of its fee and bundle."""
    p = Period.parse("2026-02")
    plus = PriceComponents(monthly_fee=D("500"), included_api_calls=1_000_000,
                           api_call_tiers=(ApiCallTier(None, D("0.20")),))  # fmt: skip
    change = at("2026-02-15")
    segments = [
        Segment(p.start, change, "basis", "Basis", 1, PriceComponents(
            monthly_fee=D("250"), included_api_calls=100_000, api_call_tiers=BASIS.api_call_tiers), calls(80_000)),
        Segment(change, p.end, "plus", "Plus", 3, plus, calls(700_000)),
    ]  # fmt: skip
    invoice = price_invoice(p, 0, segments, VAT)
    lines = [(line.plan_code, line.component, line.amount) for line in invoice.lines]
    assert lines == [
        ("basis", Component.FLAT_FEE, D("125.00")),
        ("basis", Component.API_CALLS, D("12.00")),  # 80.000 − 50.000 bundle = 30.000 × 0,40 / 1.000
        ("plus", Component.FLAT_FEE, D("250.00")),
        ("plus", Component.API_CALLS, D("40.00")),  # 700.000 − 500.000 = 200.000 × 0,20 / 1.000
    ]
    description = invoice.lines[0].description
    assert description.startswith("Basis v1: ") and "2026-02-15 00:00 UTC" in description
    assert "14 van 28 dagen" in invoice.lines[0].computation
    assert invoice.subtotal == D("427.00")


def test_segments_must_lie_in_the_period_and_not_overlap() -> None:
    p = Period.parse("2026-02")
    with pytest.raises(ValueError, match="overlap"):
        price_invoice(p, 0, [Segment(p.start, at("2026-02-20"), "a", "A", 1, BASIS),
                             Segment(at("2026-02-10"), p.end, "b", "B", 1, BASIS)], VAT)  # fmt: skip
    with pytest.raises(ValueError, match="outside"):
        price_invoice(p, 0, [Segment(p.start, at("2026-03-02"), "a", "A", 1, BASIS)], VAT)


@pytest.mark.parametrize(("moment", "expected"), [
    ("2026-01-31T23:59:59", "2026-01"), ("2026-02-01T00:00:00", "2026-02"), ("2026-12-31T23:59:59", "2026-12"),
    ("2027-01-01T00:00:00", "2027-01"),
])  # fmt: skip
def test_period_boundaries(moment: str, expected: str) -> None:
    period = Period.containing(at(moment))
    assert str(period) == expected
    assert period.start <= at(moment) < period.end


@pytest.mark.parametrize(("period", "days", "hours", "previous", "following"), [
    ("2026-02", 28, 672, "2026-01", "2026-03"), ("2028-02", 29, 696, "2028-01", "2028-03"),
    ("2026-12", 31, 744, "2026-11", "2027-01"), ("2026-01", 31, 744, "2025-12", "2026-02"),
])  # fmt: skip
def test_period_lengths(period: str, days: int, hours: int, previous: str, following: str) -> None:
    p = Period.parse(period)
    assert (p.days, p.hours, str(p.previous()), str(p.next())) == (days, hours, previous, following)
    assert p.end - p.start == timedelta(days=days)


@pytest.mark.parametrize("text", ["2026-13", "2026-1", "26-01", "2026/01", "", "abcd-ef", "1999-12"])
def test_period_refuses_bad_text(text: str) -> None:
    with pytest.raises(ValueError):
        Period.parse(text)


def test_dutch_number_format() -> None:
    assert fmt_number(1_250_000) == "1.250.000"
    assert fmt_eur(D("1559.325")) == "€ 1.559,33"
    assert fmt_eur(D("-0.5")) == "€ -0,50"


# --- the plan history and price versions of a period → segments ---------------------------------------------

PLAN_A, PLAN_B = uuid.uuid4(), uuid.uuid4()


def _version(plan_id: uuid.UUID, number: int, effective: str) -> PlanVersion:
    return PlanVersion(id=uuid.uuid4(), plan_id=plan_id, version=number, effective_from=at(effective),
                       monthly_fee=D(100 * number), api_call_tiers=[])  # fmt: skip


VERSIONS = {
    PLAN_A: [_version(PLAN_A, 1, "2025-01-01"), _version(PLAN_A, 2, "2026-03-10T12:00")],
    PLAN_B: [_version(PLAN_B, 1, "2025-06-01")],
}
PLANS = {PLAN_A: Plan(id=PLAN_A, code="a", name="A"), PLAN_B: Plan(id=PLAN_B, code="b", name="B")}


def _spans(history: list[tuple[str, uuid.UUID | None]], period: str, state: TenantState = TenantState.ACTIVE
           ) -> list[tuple[str, str, str, int]]:  # fmt: skip
    tenant = Tenant(id=uuid.uuid4(), plan_id=PLAN_A, state=state, created_at=at("2024-01-01"))
    changes = [TenantPlanChange(tenant_id=tenant.id, plan_id=plan, effective_from=at(when)) for when, plan in history]
    spans = plan_spans(tenant, changes, VERSIONS, PLANS, Period.parse(period))
    return [(f"{s.start:%m-%d %H:%M}", f"{s.end:%m-%d %H:%M}", s.plan.code, s.version.version) for s in spans]


@pytest.mark.parametrize(("case", "history", "period", "expected"), [
    ("one plan all month", [("2025-01-01", PLAN_A)], "2026-02", [("02-01 00:00", "03-01 00:00", "a", 1)]),
    ("onboarded mid-month", [("2026-02-10T08:00", PLAN_A)], "2026-02", [("02-10 08:00", "03-01 00:00", "a", 1)]),
    ("plan change mid-month", [("2025-01-01", PLAN_A), ("2026-02-15", PLAN_B)], "2026-02",
     [("02-01 00:00", "02-15 00:00", "a", 1), ("02-15 00:00", "03-01 00:00", "b", 1)]),
    ("a change at the period start is the whole month", [("2025-01-01", PLAN_A), ("2026-02-01", PLAN_B)], "2026-02",
     [("02-01 00:00", "03-01 00:00", "b", 1)]),
    ("a change at the next period's start is not in this one", [("2025-01-01", PLAN_A), ("2026-03-01", PLAN_B)],
     "2026-02", [("02-01 00:00", "03-01 00:00", "a", 1)]),
    ("new prices mid-month split the plan's stretch", [("2025-01-01", PLAN_A)], "2026-03",
     [("03-01 00:00", "03-10 12:00", "a", 1), ("03-10 12:00", "04-01 00:00", "a", 2)]),
    ("deprovisioned mid-month: billing stops", [("2025-01-01", PLAN_A), ("2026-02-20", None)], "2026-02",
     [("02-01 00:00", "02-20 00:00", "a", 1)]),
    ("a plan without prices yet is not billed", [("2025-01-01", PLAN_B), ("2025-03-01", PLAN_A)], "2025-02", []),
    ("after billing stopped: nothing", [("2025-01-01", PLAN_A), ("2026-01-20", None)], "2026-02", []),
])  # fmt: skip
def test_plan_spans(case: str, history: list[tuple[str, uuid.UUID | None]], period: str, expected: list) -> None:
    assert _spans(history, period) == expected, case


def test_a_tenant_without_history_is_billed_on_its_plan_only_while_billable() -> None:
    assert _spans([], "2026-02") == [("02-01 00:00", "03-01 00:00", "a", 1)]
    assert _spans([], "2026-02", TenantState.PROVISIONING) == []
