"""Fixtures of the billing tests: the control-plane world (PostgreSQL, users of every role, two municipalities)
with priced plans, a plan history, a frozen clock in March 2026 and a way to put usage into the ledger."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from controlplane.billing import service
from controlplane.billing.models import RECORDED_BY_SERVICE, TenantPlanChange
from controlplane.billing.pricing import Period
from controlplane.billing.providers import DisabledProvider
from controlplane.billing.schemas import PlanVersionIn, TierIn
from controlplane.billing.stripe_provider import StripeProvider
from controlplane.clock import FrozenClock
from controlplane.container import ControlPlane
from controlplane.tenants.models import Plan, Tenant, TenantState
from controlplane.usage.models import UsageEntry
from tests.controlplane.billing.fake_stripe import FakeStripe, fake_stripe
from tests.controlplane.conftest import World, build_world, make_settings
from tests.fixtures.services import PostgresServer

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
FEBRUARY = Period(2026, 2)
WEBHOOK_SECRET = "whsec_test_0123456789abcdef"
BASIS_PRICES = PlanVersionIn(
    effective_from=datetime(2025, 1, 1, tzinfo=UTC),
    monthly_fee=Decimal("250"),
    price_per_inhabitant_year=Decimal("0.05"),
    price_per_active_client=Decimal("10"),
    included_api_calls=100_000,
    api_call_tiers=[TierIn(up_to=900_000, price_per_1000=Decimal("0.40")), TierIn(price_per_1000=Decimal("0.25"))],
    price_per_gb_month=Decimal("0.25"),
    included_storage_gb=Decimal("1"),
)
PLUS_PRICES = PlanVersionIn(
    effective_from=datetime(2025, 1, 1, tzinfo=UTC),
    monthly_fee=Decimal("500"),
    included_api_calls=1_000_000,
    api_call_tiers=[TierIn(price_per_1000=Decimal("0.20"))],
)


def hour(day: int, at: int = 0, month: int = 2) -> datetime:
    return datetime(2026, month, day, at, tzinfo=UTC)


@dataclass
class Ledger:
    cp: ControlPlane

    def add(self, tenant: Tenant, when: datetime, meter: str, quantity: int, *, component: str = "",
            operation: str = "", client_id: str = "") -> uuid.UUID:  # fmt: skip
        event_id = uuid.uuid4()
        with self.cp.sessions() as session:
            session.add(UsageEntry(event_id=event_id, tenant_id=tenant.id, meter=meter, component=component,
                                   operation=operation, client_id=client_id, hour=when, quantity=quantity,
                                   recorded_by="tests"))  # fmt: skip
            session.commit()
        return event_id

    def month(self, tenant: Tenant, period: Period, *, calls_per_hour: int = 0, stored_bytes: int = 0,
              clients: tuple[str, ...] = (), zaken: int = 0) -> None:  # fmt: skip
        """Every hour of ``period``: zaken reads, a stored-bytes reading, the clients active, a zaken count."""
        rows = []
        moment = period.start
        while moment < period.end:
            common = {"tenant_id": tenant.id, "hour": moment, "recorded_by": "tests"}
            if calls_per_hour:
                rows.append(UsageEntry(event_id=uuid.uuid4(), meter="api_calls", component="zaken", operation="read",
                                       quantity=calls_per_hour, **common))  # fmt: skip
            if stored_bytes:
                rows.append(UsageEntry(event_id=uuid.uuid4(), meter="stored_bytes", quantity=stored_bytes, **common))
            if zaken:
                rows.append(UsageEntry(event_id=uuid.uuid4(), meter="zaken", quantity=zaken, **common))
            rows.extend(UsageEntry(event_id=uuid.uuid4(), meter="active_client", client_id=c, quantity=1, **common)
                        for c in clients)  # fmt: skip
            moment += timedelta(hours=1)
        with self.cp.sessions() as session:
            session.add_all(rows)
            session.commit()


@dataclass
class BillingWorld:
    world: World
    cp: ControlPlane
    clock: FrozenClock
    ledger: Ledger
    basis: Plan
    plus: Plan

    @property
    def tenant_a(self) -> Tenant:
        return self.world.tenant_a

    @property
    def tenant_b(self) -> Tenant:
        return self.world.tenant_b

    def headers(self, who: str) -> dict[str, str]:
        return self.world.headers(who)

    def history(self, tenant: Tenant, *changes: tuple[datetime, Plan | None]) -> None:
        """Replace a tenant's plan history (and make it active)."""
        with self.cp.sessions() as session:
            session.query(TenantPlanChange).filter_by(tenant_id=tenant.id).delete()
            row = session.get(Tenant, tenant.id)
            assert row is not None
            session.info.setdefault(RECORDED_BY_SERVICE, set()).add(tenant.id)
            row.state = TenantState.ACTIVE
            row.plan_id = next(p.id for _, p in reversed(changes) if p is not None)
            for moment, plan in changes:
                session.add(TenantPlanChange(tenant_id=tenant.id, plan_id=plan.id if plan else None,
                                             effective_from=moment, reason="test"))  # fmt: skip
            session.commit()


def _build(world: World) -> BillingWorld:
    clock = FrozenClock(NOW)
    world.cp.clock = clock
    from controlplane.accounts.actors import SYSTEM

    with world.cp.sessions() as session:
        basis = session.query(Plan).filter_by(code="basis").one()
        plus = session.query(Plan).filter_by(code="plus").one()
        service.add_plan_version(world.cp, session, SYSTEM, basis, BASIS_PRICES)
        service.add_plan_version(world.cp, session, SYSTEM, plus, PLUS_PRICES)
        session.commit()
    billing = BillingWorld(world, world.cp, clock, Ledger(world.cp), basis, plus)
    start = datetime(2025, 12, 1, tzinfo=UTC)
    billing.history(world.tenant_a, (start, basis))
    billing.history(world.tenant_b, (start, plus))
    for tenant in (world.tenant_a, world.tenant_b):
        tenant.state = TenantState.ACTIVE
    return billing


@pytest.fixture
def billing(tmp_path: Path, postgres_server: PostgresServer) -> Iterator[BillingWorld]:
    for world in build_world(make_settings(tmp_path, postgres_server)):
        yield _build(world)


@pytest.fixture
def stripe_fake() -> Iterator[FakeStripe]:
    with fake_stripe() as fake:
        fake.seed_catalog()
        yield fake


def stripe_settings(cp: ControlPlane, base: str, **extra: object) -> object:
    return cp.settings.model_copy(update={
        "stripe_enabled": True, "stripe_api_key": "sk_test_zgwcloud", "stripe_api_base": base,
        "stripe_webhook_secret": WEBHOOK_SECRET, "stripe_timeout_seconds": 2.0, "stripe_max_network_retries": 0,
        **extra,
    })  # fmt: skip


@pytest.fixture
def use_stripe(billing: BillingWorld, stripe_fake: FakeStripe) -> Callable[..., StripeProvider]:
    """Switch the world's payment provider to Stripe on the fake server (options: settings overrides)."""

    def switch(**extra: object) -> StripeProvider:
        settings = stripe_settings(billing.cp, stripe_fake.url, **extra)
        billing.cp.settings = settings  # type: ignore[assignment]
        billing.cp.payments = StripeProvider(settings)  # type: ignore[arg-type]
        return billing.cp.payments

    yield switch
    billing.cp.payments = DisabledProvider()
