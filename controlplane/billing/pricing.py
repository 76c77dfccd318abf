"""Pricing: a tenant's plan segments in a billing period and the usage inside them → priced invoice lines.

Pure functions over exact numbers (no database, no clock). The rules, also in docs/operations/billing.md:

* A billing period is a calendar month in UTC: [the 1st 00:00, the next 1st 00:00).
* A *segment* is a stretch of the period with one plan version (a plan change or a new price version starts a
  new segment). Fixed components (monthly fee, price per inhabitant per year ÷ 12, price per active client)
  and allowances (included API calls, tier bounds, included storage) are prorated by the segment's share of
  the period in seconds; allowances are rounded down to whole calls. Usage comes from the ledger hours that
  start inside the segment.
* Every amount is computed exactly (``Fraction``) and each invoice line is rounded once, half-up to cents.
  Subtotal = the sum of the rounded lines; VAT = subtotal × rate, rounded half-up to cents (VAT on the
  invoice total, as Dutch invoicing allows); total = subtotal + VAT.
* API-call overage is priced per 1,000 calls, graduated: the calls above the included volume fill the tiers
  in order, each tier at its own price; a part of 1,000 is charged pro rata.
* Storage: GB = 10^9 bytes; GB-months = Σ hourly stored-bytes readings / 10^9 / hours in the period.
"""

from __future__ import annotations

import calendar
import enum
import itertools
import math
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

CENT = Decimal("0.01")
BYTES_PER_GB = 10**9
SECONDS_PER_DAY = 86_400
MONTHS_NL = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
             "november", "december")  # fmt: skip


class Component(enum.StrEnum):
    FLAT_FEE = "flat_fee"
    INHABITANTS = "inhabitants"
    ACTIVE_CLIENTS = "active_clients"
    API_CALLS = "api_calls"
    STORAGE = "storage"


COMPONENT_LABELS = {
    Component.FLAT_FEE: "Vaste prijs per maand",
    Component.INHABITANTS: "Prijs per inwoner per jaar (maandelijks)",
    Component.ACTIVE_CLIENTS: "Actieve API-clients",
    Component.API_CALLS: "API-aanroepen boven de bundel",
    Component.STORAGE: "Opslag van documenten",
}


@dataclass(frozen=True, order=True)
class Period:
    """A billing period: one calendar month in UTC."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not (1 <= self.month <= 12 and 2000 <= self.year <= 2999):
            raise ValueError("period must be YYYY-MM between 2000-01 and 2999-12")

    @classmethod
    def parse(cls, text: str) -> Period:
        year, sep, month = text.strip().partition("-")
        if not (sep and len(year) == 4 and len(month) == 2 and year.isdigit() and month.isdigit()):
            raise ValueError("period must be written YYYY-MM, e.g. 2026-11")
        return cls(int(year), int(month))

    @classmethod
    def containing(cls, moment: datetime) -> Period:
        moment = moment.astimezone(UTC)
        return cls(moment.year, moment.month)

    @classmethod
    def of_date(cls, day: date) -> Period:
        return cls(day.year, day.month)

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def start(self) -> datetime:
        return datetime(self.year, self.month, 1, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        return self.next().start

    @property
    def days(self) -> int:
        return calendar.monthrange(self.year, self.month)[1]

    @property
    def seconds(self) -> int:
        return self.days * SECONDS_PER_DAY

    @property
    def hours(self) -> int:
        return self.days * 24

    def next(self) -> Period:
        return Period(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> Period:
        return Period(self.year - (self.month == 1), 12 if self.month == 1 else self.month - 1)

    def back(self, months: int) -> list[Period]:
        """This period and the ``months - 1`` before it, oldest first."""
        periods = [self]
        for _ in range(months - 1):
            periods.insert(0, periods[0].previous())
        return periods

    @property
    def label(self) -> str:
        return f"{MONTHS_NL[self.month - 1]} {self.year}"

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


@dataclass(frozen=True)
class ApiCallTier:
    """A band of overage calls: up to ``up_to`` calls above the included volume (cumulative; None = no bound)."""

    up_to: int | None
    price_per_1000: Decimal


@dataclass(frozen=True)
class PriceComponents:
    """The prices of one plan version."""

    monthly_fee: Decimal = Decimal(0)
    price_per_inhabitant_year: Decimal = Decimal(0)
    price_per_active_client: Decimal = Decimal(0)
    included_api_calls: int = 0
    api_call_tiers: tuple[ApiCallTier, ...] = ()
    price_per_gb_month: Decimal = Decimal(0)
    included_storage_gb: Decimal = Decimal(0)

    def tier_problems(self) -> list[str]:
        """Why the tiers are not a valid ladder (empty: valid)."""
        problems = []
        bounds = [t.up_to for t in self.api_call_tiers]
        if any(b is None for b in bounds[:-1]):
            problems.append("only the last tier may be unbounded (up_to null)")
        finite = [b for b in bounds if b is not None]
        if any(b <= 0 for b in finite) or finite != sorted(set(finite)):
            problems.append("tier bounds must be positive and strictly increasing")
        if any(t.price_per_1000 < 0 for t in self.api_call_tiers):
            problems.append("tier prices cannot be negative")
        return problems


@dataclass(frozen=True)
class SegmentUsage:
    """Ledger aggregates of the hours that start inside one segment."""

    api_calls: Mapping[tuple[str, str], int] = field(default_factory=dict)  # (component, operation) → calls
    stored_byte_hours: int = 0  # Σ of the hourly stored-bytes readings
    storage_hours: int = 0  # hours that have a stored-bytes reading
    active_clients: frozenset[str] = frozenset()

    @property
    def api_calls_total(self) -> int:
        return sum(self.api_calls.values())


@dataclass(frozen=True)
class Segment:
    start: datetime
    end: datetime
    plan_code: str
    plan_name: str
    version: int
    prices: PriceComponents
    usage: SegmentUsage = field(default_factory=SegmentUsage)
    version_id: uuid.UUID | None = None

    @property
    def seconds(self) -> int:
        return int((self.end - self.start).total_seconds())


@dataclass(frozen=True)
class PricedLine:
    component: Component
    description: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    amount: Decimal  # rounded half-up to cents
    computation: str  # how the amount follows from the ledger and the plan, in words and numbers
    details: dict[str, Any]  # the same as data (JSON-safe), for the API and the CSV export
    segment_start: datetime
    segment_end: datetime
    plan_code: str
    plan_version: int
    plan_version_id: uuid.UUID | None = None

    @property
    def cents(self) -> int:
        return int(self.amount * 100)


@dataclass(frozen=True)
class PricedInvoice:
    period: Period
    inhabitants: int
    lines: tuple[PricedLine, ...]
    subtotal: Decimal
    vat_rate: Decimal
    vat: Decimal
    total: Decimal

    def cents_by_component(self) -> dict[Component, int]:
        """Rounded line amounts per component, in euro cents (what the payment provider is told)."""
        totals: dict[Component, int] = {}
        for line in self.lines:
            totals[line.component] = totals.get(line.component, 0) + line.cents
        return totals


# --- exact numbers and their Dutch display -----------------------------------------------------------------


def round_half_up(value: Fraction, places: int = 2) -> Decimal:
    """Round an exact value to ``places`` decimals, halves away from zero (0.005 → 0.01, -0.005 → -0.01)."""
    scale = 10**places
    scaled = abs(value) * scale
    units = math.floor(scaled + Fraction(1, 2))
    sign = -1 if value < 0 else 1
    return Decimal(sign * units).scaleb(-places).quantize(Decimal(1).scaleb(-places))


def _group(digits: str) -> str:
    parts: list[str] = []
    while len(digits) > 3:
        parts.insert(0, digits[-3:])
        digits = digits[:-3]
    parts.insert(0, digits)
    return ".".join(parts)


def fmt_number(value: int | Decimal | Fraction, places: int = 0) -> str:
    """Dutch notation: 1.234.567,89 (display only; rounding half-up)."""
    exact = Fraction(value) if not isinstance(value, Fraction) else value
    rounded = round_half_up(exact, places)
    sign = "-" if rounded < 0 else ""
    text = f"{abs(rounded):.{places}f}"
    whole, _, fraction = text.partition(".")
    return sign + _group(whole) + ("," + fraction if fraction else "")


def fmt_eur(value: Decimal | Fraction) -> str:
    return "€ " + fmt_number(Fraction(value) if isinstance(value, Decimal) else value, 2)


def fmt_price(value: Decimal) -> str:
    """A unit price with at least two and at most six decimals, e.g. € 0,05 or € 0,0125."""
    normalized = value.normalize()
    exponent = normalized.as_tuple().exponent
    places = max(2, min(6, -exponent if isinstance(exponent, int) else 2))
    return "€ " + fmt_number(Fraction(value), places)


def fmt_exact(value: Fraction) -> str:
    """An exact amount after its relation sign, with up to six decimals: "= € 93,8335" or "≈ € 0,416667"."""
    rounded = round_half_up(value, 6)
    text = fmt_number(Fraction(rounded), 6).rstrip("0")
    whole, _, decimals = text.partition(",")
    text = f"{whole},{decimals.ljust(2, '0')}"
    return ("= " if Fraction(rounded) == value else "≈ ") + "€ " + text


def _share_text(segment: Segment, period: Period) -> str:
    if segment.seconds == period.seconds:
        return f"hele maand ({period.days} dagen)"
    days = fmt_number(Fraction(segment.seconds, SECONDS_PER_DAY), 4).rstrip("0").rstrip(",")
    return f"{days} van {period.days} dagen"


def _range_text(segment: Segment, period: Period) -> str:
    if segment.start == period.start and segment.end == period.end:
        return ""
    return f" ({segment.start:%Y-%m-%d %H:%M} – {segment.end:%Y-%m-%d %H:%M} UTC)"


# --- the components ---------------------------------------------------------------------------------------


def _line(
    segment: Segment,
    period: Period,
    component: Component,
    *,
    quantity: Fraction | int,
    unit: str,
    unit_price: Decimal,
    exact: Fraction,
    computation: str,
    details: dict[str, Any],
    several_segments: bool,
) -> PricedLine:
    amount = round_half_up(exact)
    prefix = f"{segment.plan_name} v{segment.version}: " if several_segments else ""
    share = Fraction(segment.seconds, period.seconds)
    return PricedLine(
        component=component,
        description=prefix + COMPONENT_LABELS[component] + _range_text(segment, period),
        quantity=round_half_up(Fraction(quantity), 6).normalize(),
        unit=unit,
        unit_price=unit_price,
        amount=amount,
        computation=f"{computation} {fmt_exact(exact)} → {fmt_eur(amount)}"
        if exact != Fraction(amount)
        else f"{computation} = {fmt_eur(amount)}",
        details={
            "exact_amount": f"{exact.numerator}/{exact.denominator}",
            "share_seconds": [segment.seconds, period.seconds],
            "share": str(round_half_up(share, 6)),
            **details,
        },
        segment_start=segment.start,
        segment_end=segment.end,
        plan_code=segment.plan_code,
        plan_version=segment.version,
        plan_version_id=segment.version_id,
    )


def _tiers(overage: int, tiers: Sequence[ApiCallTier], share: Fraction) -> tuple[Fraction, list[dict[str, Any]]]:
    """Graduated tiers over the overage calls; bounds prorated by ``share`` (rounded down)."""
    amount, used, lower = Fraction(0), [], 0
    for tier in tiers:
        upper = None if tier.up_to is None else math.floor(tier.up_to * share)
        if upper is not None and upper <= lower:
            continue
        calls = (min(overage, upper) if upper is not None else overage) - lower
        if calls <= 0:
            break
        tier_amount = Fraction(calls) * Fraction(tier.price_per_1000) / 1000
        amount += tier_amount
        used.append({"from": lower, "to": upper, "calls": calls, "price_per_1000": str(tier.price_per_1000),
                     "amount": str(round_half_up(tier_amount, 6))})  # fmt: skip
        if upper is None:
            break
        lower = upper
    return amount, used


def _segment_lines(segment: Segment, period: Period, inhabitants: int, several: bool) -> list[PricedLine]:
    prices, usage = segment.prices, segment.usage
    share = Fraction(segment.seconds, period.seconds)
    share_text = _share_text(segment, period)
    lines: list[PricedLine] = []
    common = {"several_segments": several}

    if prices.monthly_fee:
        exact = Fraction(prices.monthly_fee) * share
        lines.append(_line(segment, period, Component.FLAT_FEE, quantity=share, unit="maand",
                           unit_price=prices.monthly_fee, exact=exact,
                           computation=f"{fmt_price(prices.monthly_fee)} per maand × {share_text}",
                           details={}, **common))  # fmt: skip

    if prices.price_per_inhabitant_year:
        exact = inhabitants * Fraction(prices.price_per_inhabitant_year) / 12 * share
        lines.append(_line(segment, period, Component.INHABITANTS, quantity=inhabitants, unit="inwoners",
                           unit_price=prices.price_per_inhabitant_year, exact=exact,
                           computation=f"{fmt_number(inhabitants)} inwoners × "
                           f"{fmt_price(prices.price_per_inhabitant_year)} per jaar ÷ 12 × {share_text}",
                           details={"inhabitants": inhabitants}, **common))  # fmt: skip

    if prices.price_per_active_client:
        count = len(usage.active_clients)
        exact = count * Fraction(prices.price_per_active_client) * share
        lines.append(_line(segment, period, Component.ACTIVE_CLIENTS, quantity=count, unit="clients",
                           unit_price=prices.price_per_active_client, exact=exact,
                           computation=f"{count} actieve client(s) in de ledger × "
                           f"{fmt_price(prices.price_per_active_client)} per maand × {share_text}",
                           details={"active_clients": sorted(usage.active_clients)}, **common))  # fmt: skip

    if prices.included_api_calls or any(t.price_per_1000 for t in prices.api_call_tiers):
        total = usage.api_calls_total
        included = math.floor(prices.included_api_calls * share)
        overage = max(0, total - included)
        exact, used = _tiers(overage, prices.api_call_tiers, share)
        by_kind = ", ".join(
            f"{component or '-'} {operation or '-'} {fmt_number(calls)}"
            for (component, operation), calls in sorted(usage.api_calls.items())
        )
        tier_text = " + ".join(
            f"{fmt_number(t['calls'])} × {fmt_price(Decimal(t['price_per_1000']))}/1.000" for t in used
        )
        included_text = f"bundel {fmt_number(included)}" + ("" if share == 1 else f" ({share_text})")
        computation = (
            f"{fmt_number(total)} aanroepen ({by_kind or 'geen'}) − {included_text} = {fmt_number(overage)} "
            f"boven de bundel" + (f": {tier_text}" if tier_text else "")
        )
        lines.append(_line(segment, period, Component.API_CALLS, quantity=overage, unit="aanroepen",
                           unit_price=prices.api_call_tiers[0].price_per_1000 if prices.api_call_tiers
                           else Decimal(0), exact=exact, computation=computation,
                           details={"api_calls_total": total, "included": included, "overage": overage,
                                    "api_calls": {f"{c}:{o}": n for (c, o), n in sorted(usage.api_calls.items())},
                                    "tiers": used}, **common))  # fmt: skip

    if prices.price_per_gb_month:
        gb_months = Fraction(usage.stored_byte_hours, BYTES_PER_GB * period.hours)
        included_gb = Fraction(prices.included_storage_gb) * share
        billable = max(Fraction(0), gb_months - included_gb)
        exact = billable * Fraction(prices.price_per_gb_month)
        computation = (
            f"{fmt_number(Fraction(usage.stored_byte_hours, BYTES_PER_GB), 3)} GB-uur over "
            f"{usage.storage_hours} uur ÷ {period.hours} uur = {fmt_number(gb_months, 4)} GB-maand"
            + (f" − {fmt_number(included_gb, 4)} inbegrepen" if included_gb else "")
            + f" = {fmt_number(billable, 4)} × {fmt_price(prices.price_per_gb_month)} per GB-maand"
        )
        lines.append(_line(segment, period, Component.STORAGE, quantity=billable, unit="GB-maand",
                           unit_price=prices.price_per_gb_month, exact=exact, computation=computation,
                           details={"stored_byte_hours": usage.stored_byte_hours,
                                    "storage_hours": usage.storage_hours,
                                    "gb_months": str(round_half_up(gb_months, 6)),
                                    "included_gb_months": str(round_half_up(included_gb, 6))}, **common))  # fmt: skip
    return lines


def price_invoice(period: Period, inhabitants: int, segments: Sequence[Segment], vat_rate: Decimal) -> PricedInvoice:
    """The invoice of one tenant for ``period``: lines per segment and component, subtotal, VAT and total."""
    ordered = sorted(segments, key=lambda s: s.start)
    for first, second in itertools.pairwise(ordered):
        if first.end > second.start:
            raise ValueError("segments overlap")
    for segment in ordered:
        if segment.start < period.start or segment.end > period.end or segment.end <= segment.start:
            raise ValueError("a segment lies outside its period or is empty")
    several = len(ordered) > 1
    lines = tuple(line for s in ordered for line in _segment_lines(s, period, inhabitants, several))
    subtotal = sum((line.amount for line in lines), Decimal("0.00"))
    vat = round_half_up(Fraction(subtotal) * Fraction(vat_rate))
    return PricedInvoice(period, inhabitants, lines, subtotal, vat_rate, vat, subtotal + vat)
