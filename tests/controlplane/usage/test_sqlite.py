"""The embedded default keeps the control plane in SQLite: the ledger's migrations, triggers, bulk booking,
deduplication and aggregates work there too."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from controlplane.accounts.actors import SYSTEM
from controlplane.cli import migrate_controlplane
from controlplane.config import Settings
from controlplane.container import ControlPlane, build_controlplane
from controlplane.main import create_app
from controlplane.tenants.models import Plan, Tenant, Tier
from controlplane.usage import service
from tenant_runtime.metering.events import Meter
from tests.conftest import TEST_ENCRYPTION_KEY
from tests.controlplane.usage.conftest import calls, client, gauge, hours_ago


@pytest.fixture
def sqlite_cp(tmp_path: Path) -> Iterator[tuple[ControlPlane, TestClient, str]]:
    settings = Settings(
        environment="test", encryption_key=TEST_ENCRYPTION_KEY, data_dir=tmp_path / "cp",
        runtime_data_dir=tmp_path / "rt", secret_key="test-secret-key-0123456789-abcdefghij",
    )  # fmt: skip
    assert settings.database_url.startswith("sqlite")
    migrate_controlplane(settings)
    cp = build_controlplane(settings)
    with cp.sessions() as session:
        plan = Plan(code="basis", name="Basis")
        session.add(plan)
        session.flush()
        session.add(Tenant(slug="utrecht", name="Utrecht", gemeentecode="0344", rsin="002220647",
                           inhabitants=1, tier=Tier.SHARED, plan_id=plan.id))  # fmt: skip
        token = service.embedded_runtime_token(session, SYSTEM)
        session.commit()
    with TestClient(create_app(settings, controlplane=cp)) as http:
        yield cp, http, token


def test_ledger_on_sqlite(sqlite_cp: tuple[ControlPlane, TestClient, str]) -> None:
    cp, http, token = sqlite_cp
    headers = {"Authorization": f"Bearer {token}"}
    events = [
        calls("utrecht", hours_ago(2), "zaken", "read", 10),
        gauge("utrecht", hours_ago(2), Meter.STORED_BYTES, 500),
        client("utrecht", hours_ago(2), "zaaksysteem"),
    ]
    assert http.post("/api/v1/usage/events", json={"events": events}, headers=headers).json() == {
        "accepted": 3, "duplicates": 0,
    }  # fmt: skip
    with structlog.testing.capture_logs() as logs:
        again = http.post("/api/v1/usage/events", json={"events": [{**events[0], "quantity": 7}]}, headers=headers)
    assert again.json() == {"accepted": 0, "duplicates": 1}
    assert [entry["event"] for entry in logs] == ["usage_event_conflict"]
    assert (logs[0]["stored_quantity"], logs[0]["sent_quantity"]) == (10, 7)
    with cp.sessions() as session:
        tenant_id = session.query(Tenant.id).scalar()
        usage = service.period_usage(session, tenant_id, hours_ago(5), hours_ago(0))
    assert usage.api_calls_total == 10 and usage.stored_byte_hours == 500 and usage.active_clients == {"zaaksysteem"}
    with cp.engine.connect() as connection:
        for statement in ("UPDATE usage_ledger SET quantity = 0", "DELETE FROM usage_ledger"):
            with pytest.raises(DBAPIError, match="append-only"):
                connection.execute(text(statement))
            connection.rollback()
