"""Helpers of the metering tests: a control plane on PostgreSQL with a runtime service account, and runtime
processes (two tenants) that ship to it, with a metering clock the test moves."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from controlplane.accounts.actors import SYSTEM
from controlplane.cli import migrate_controlplane
from controlplane.container import build_controlplane
from controlplane.tenants.models import Plan, Tenant
from controlplane.usage import service as ledger
from controlplane.usage.models import UsageEntry
from tenant_runtime.config import RuntimeSettings
from tenant_runtime.container import Runtime, build_runtime
from tenant_runtime.main import create_app as create_runtime
from tenant_runtime.metering.models import MeteringRecord
from tenant_runtime.tenants import service as tenants
from tests.controlplane.conftest import add_tenant, make_settings
from tests.fixtures.processes import free_port
from tests.fixtures.services import PostgresServer
from tests.tenant_runtime.conftest import ZgwTenant


class Clock:
    """The runtime's metering clock, moved by the test (the API itself keeps real time)."""

    def __init__(self, moment: datetime) -> None:
        self.now = moment.timestamp()

    def __call__(self) -> float:
        return self.now

    def set(self, moment: datetime) -> None:
        self.now = moment.timestamp()


def wait_until(condition: Callable[[], bool], what: str, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


class World:
    def __init__(self, tmp_path: Path, server: PostgresServer, start: datetime) -> None:
        self.tmp_path = tmp_path
        self.cp_settings = make_settings(tmp_path, server)
        migrate_controlplane(self.cp_settings)
        self.cp = build_controlplane(self.cp_settings)
        with self.cp.sessions() as session:
            session.add(Plan(code="basis", name="Basis"))
            session.commit()
        for slug, code in (("alpha", "0484"), ("beta", "1901")):
            add_tenant(self.cp, slug, code)
        with self.cp.sessions() as session:
            account = ledger.ensure_runtime_account(session, SYSTEM, "shared-test")
            self.token = ledger.issue_runtime_token(session, SYSTEM, account, "tests")
            session.commit()
        self.port = free_port()
        self.registry_url = server.create_database("registry")
        tenants.migrate_registry(self.registry_url)
        registry_runtime = build_runtime(self._settings())
        self.database_urls = {}
        for slug in ("alpha", "beta"):
            self.database_urls[slug] = server.create_database(slug)
            tenants.create_tenant(
                registry_runtime.registry, slug=slug, name=slug, database_url=self.database_urls[slug]
            )
        registry_runtime.close()
        self.clock = Clock(start)

    def _settings(self, **metering: Any) -> RuntimeSettings:
        return RuntimeSettings(
            environment="test",
            data_dir=self.tmp_path / "runtime",
            registry_url=self.registry_url,
            registry_cache_seconds=0,
            metering_controlplane_url=f"http://127.0.0.1:{self.port}",
            metering_token=self.token,
            **metering,
        )

    @contextmanager
    def runtime(self, **metering: Any) -> Iterator[tuple[Runtime, TestClient, dict[str, ZgwTenant]]]:
        """A runtime process: its lifespan starts metering; leaving it stops the process (last flush)."""
        settings = self._settings(**metering)
        runtime = build_runtime(settings)
        runtime.meter.clock = self.clock
        with TestClient(create_runtime(settings, runtime), raise_server_exceptions=False) as http:
            zgw = {slug: ZgwTenant(runtime.registry.get(slug), runtime, http) for slug in ("alpha", "beta")}  # type: ignore[arg-type]
            yield runtime, http, zgw

    def outbox_rows(self, runtime: Runtime, slug: str) -> list[MeteringRecord]:
        with outbox_session(runtime, self.database_urls[slug]) as session:
            return list(session.scalars(select(MeteringRecord)))

    def all_shipped(self, runtime: Runtime) -> bool:
        return all(r.shipped_at is not None for slug in ("alpha", "beta") for r in self.outbox_rows(runtime, slug))

    def ledger_rows(self) -> set[tuple[Any, ...]]:
        with self.cp.sessions() as session:
            rows = session.execute(
                select(Tenant.slug, UsageEntry.meter, UsageEntry.component, UsageEntry.operation, UsageEntry.client_id,
                       UsageEntry.hour, UsageEntry.quantity).join(Tenant, Tenant.id == UsageEntry.tenant_id)
            ).all()  # fmt: skip
        counted = [tuple(row) for row in rows]
        assert len(counted) == len(set(counted)), "a ledger row appears twice"
        return set(counted)


@contextmanager
def outbox_session(runtime: Runtime, url: str) -> Iterator[Any]:
    from sqlalchemy.orm import Session

    with Session(runtime.engines.get(url)) as session:
        yield session
