"""Fixtures of the usage tests: runtime service accounts (shared tier and dedicated) and event builders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from controlplane.accounts.actors import SYSTEM
from controlplane.tenants.models import Tenant, Tier
from controlplane.usage import service
from tenant_runtime.metering.events import Meter, event_id, hour_of, wire
from tests.controlplane.conftest import World, add_tenant


@dataclass
class UsageWorld:
    world: World
    shared_token: str  # a shared runtime pool: every shared-tier tenant
    dedicated_token: str  # the dedicated runtime of tenant ``dedicated``
    dedicated: Tenant

    def post(self, events: list[dict[str, Any]], token: str | None = None) -> Any:
        return self.world.client.post(
            "/api/v1/usage/events",
            json={"events": events},
            headers={"Authorization": f"Bearer {token or self.shared_token}"},
        )


def hours_ago(n: int) -> datetime:
    return hour_of(datetime.now(UTC)) - timedelta(hours=n)


def calls(slug: str, hour: datetime, component: str, operation: str, quantity: int, seq: int = 0) -> dict[str, Any]:
    ident = event_id(slug, Meter.API_CALLS, hour, component, operation, "", seq)
    return wire(ident, slug, Meter.API_CALLS, hour, quantity, component, operation)


def gauge(slug: str, hour: datetime, meter: Meter, quantity: int) -> dict[str, Any]:
    return wire(event_id(slug, meter, hour), slug, meter, hour, quantity)


def client(slug: str, hour: datetime, client_id: str) -> dict[str, Any]:
    ident = event_id(slug, Meter.ACTIVE_CLIENT, hour, client_id=client_id)
    return wire(ident, slug, Meter.ACTIVE_CLIENT, hour, 1, client_id=client_id)


@pytest.fixture
def usage(world: World) -> UsageWorld:
    dedicated = add_tenant(world.cp, "dedicatedstad", "0363")
    with world.cp.sessions() as session:
        tenant = session.get(Tenant, dedicated.id)
        assert tenant is not None
        tenant.tier = Tier.DEDICATED
        shared_user = service.ensure_runtime_account(session, SYSTEM, "shared-v1")
        shared = service.issue_runtime_token(session, SYSTEM, shared_user, "tests")
        dedicated_user = service.ensure_runtime_account(session, SYSTEM, "dedicatedstad", tenant)
        own = service.issue_runtime_token(session, SYSTEM, dedicated_user, "tests")
        session.commit()
    return UsageWorld(world, shared, own, dedicated)
