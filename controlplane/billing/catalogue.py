"""Prices of the standard plans (``basis``, ``inwoner``, ``dedicated``) as the demo and the benchmark use them,
modelled on the offers seen in the Dutch market (a fixed price per month, € 0,05–0,08 per inhabitant per year,
€ 10 per application per month, a bundle of API calls with tiers per 1,000 above it, storage per GB-month)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from controlplane.billing.models import PlanVersion
from controlplane.billing.schemas import PlanVersionIn, TierIn
from controlplane.tenants.models import Plan

STANDARD_FROM = datetime(2025, 1, 1, tzinfo=UTC)
STANDARD_PRICES: dict[str, PlanVersionIn] = {
    "basis": PlanVersionIn(
        monthly_fee=Decimal("250"),
        price_per_inhabitant_year=Decimal("0.05"),
        price_per_active_client=Decimal("10"),
        included_api_calls=1_000_000,
        api_call_tiers=[
            TierIn(up_to=9_000_000, price_per_1000=Decimal("0.40")),
            TierIn(price_per_1000=Decimal("0.25")),
        ],
        price_per_gb_month=Decimal("0.25"),
        included_storage_gb=Decimal("10"),
        note="standaardtarief",
    ),
    "inwoner": PlanVersionIn(
        price_per_inhabitant_year=Decimal("0.08"),
        included_api_calls=5_000_000,
        api_call_tiers=[TierIn(price_per_1000=Decimal("0.30"))],
        price_per_gb_month=Decimal("0.20"),
        note="standaardtarief",
    ),
    "dedicated": PlanVersionIn(
        monthly_fee=Decimal("1800"),
        price_per_active_client=Decimal("10"),
        included_api_calls=20_000_000,
        api_call_tiers=[TierIn(price_per_1000=Decimal("0.10"))],
        price_per_gb_month=Decimal("0.15"),
        included_storage_gb=Decimal("100"),
        note="standaardtarief",
    ),
}


def seed_prices(session: Session, plans: Mapping[str, Plan], created_by: str = "demo") -> int:
    """Give each of ``plans`` that has no prices yet its standard prices from 2025-01-01 (idempotent)."""
    priced = set(session.scalars(select(PlanVersion.plan_id)))
    added = 0
    for code, plan in plans.items():
        prices = STANDARD_PRICES.get(code)
        if prices is None or plan.id in priced:
            continue
        session.add(PlanVersion(
            plan_id=plan.id, version=1, effective_from=STANDARD_FROM, monthly_fee=prices.monthly_fee,
            price_per_inhabitant_year=prices.price_per_inhabitant_year,
            price_per_active_client=prices.price_per_active_client, included_api_calls=prices.included_api_calls,
            api_call_tiers=[{"up_to": t.up_to, "price_per_1000": str(t.price_per_1000)} for t in prices.api_call_tiers],
            price_per_gb_month=prices.price_per_gb_month, included_storage_gb=prices.included_storage_gb,
            note=prices.note, created_by=created_by,
        ))  # fmt: skip
        added += 1
    return added
