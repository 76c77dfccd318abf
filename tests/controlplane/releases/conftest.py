"""A fleet for upgrade tests: the control plane on PostgreSQL with the local driver, two runtime pools served over
real HTTP (``default``, which is also the public address and forwards, and ``shared-v2``), tenants provisioned by
the real provisioning job, a test release whose migrations come from ``tests/fixtures/releases``, and helpers to
fill tenants through the ZGW APIs, fingerprint their databases and drive a campaign to its end in-process."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import time as clock_time
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from controlplane.accounts.actors import SYSTEM
from controlplane.clock import FrozenClock
from controlplane.config import Settings
from controlplane.container import ControlPlane
from controlplane.credentials import service as credentials
from controlplane.credentials.schemas import CredentialCreate
from controlplane.jobs.models import JobKind, JobStatus
from controlplane.releases import campaigns
from controlplane.releases.models import Campaign, CampaignStatus, TenantUpgrade
from controlplane.tenants import service as tenants
from controlplane.tenants.models import Tenant
from tenant_runtime.autorisaties.admin import make_jwt
from tenant_runtime.config import RuntimeSettings
from tenant_runtime.db.engines import build_engine
from tenant_runtime.db.migrate import database_heads
from tenant_runtime.main import create_app as create_runtime
from tenant_runtime.registry.repository import TenantRegistry
from tenant_runtime.tenants import service as runtime_tenants
from tests.controlplane.backups.conftest import run_job
from tests.controlplane.conftest import World, add_tenant, build_world, make_settings
from tests.fixtures.releases import IRREVERSIBLE, REVERSIBLE
from tests.fixtures.services import PostgresServer
from tests.tenant_runtime.live import serve

POOL_V2 = "shared-v2"
KANALEN = "/notificaties/api/v1/kanaal"


@dataclass
class Fleet:
    world: World
    settings: Settings
    front: str  # the public runtime address (pool "default", forwards shared-v2)
    v2: str  # the shared-v2 pool's own process

    @property
    def cp(self) -> ControlPlane:
        return self.world.cp

    def headers(self, who: str = "operator", **extra: str) -> dict[str, str]:
        return self.world.headers(who, **extra)

    def session(self) -> Session:
        return self.cp.sessions()

    # --- tenants ------------------------------------------------------------------------------------
    def provision(self, slug: str, code: str, *, inhabitants: int = 10000) -> Tenant:
        tenant = add_tenant(self.cp, slug, code)
        with self.session() as session:
            row = session.get(Tenant, tenant.id)
            assert row is not None
            row.inhabitants = inhabitants
            job, _ = tenants.start(self.cp, session, SYSTEM, row, JobKind.PROVISION)
            session.commit()
            job_id = job.id
        self.world.dispatched.jobs.clear()
        assert run_job(self.cp, job_id) is JobStatus.SUCCEEDED
        return self.tenant(tenant.id)

    def tenant(self, tenant_id: uuid.UUID) -> Tenant:
        with self.session() as session:
            found = session.get(Tenant, tenant_id)
            assert found is not None
            return found

    def window(self, tenant: Tenant, weekday: int, start: clock_time, minutes: int = 60) -> None:
        with self.session() as session:
            row = session.get(Tenant, tenant.id)
            assert row is not None
            row.maintenance_weekday, row.maintenance_start, row.maintenance_duration_minutes = weekday, start, minutes
            session.commit()

    def app_headers(self, tenant: Tenant) -> dict[str, str]:
        """An application with every autorisatie, made through the control plane (restores keep it)."""
        with self.session() as session:
            row = session.get(Tenant, tenant.id)
            assert row is not None
            _, secret = credentials.create(
                self.cp, session, SYSTEM, row,
                CredentialCreate(client_id="beheer-app", label="Beheer", heeft_alle_autorisaties=True),
            )  # fmt: skip
            session.commit()
        return {"Authorization": f"Bearer {make_jwt('beheer-app', secret)}", "Accept-Crs": "EPSG:4326"}

    def api(self, tenant: Tenant, component: str) -> str:
        return f"{self.front}/t/{tenant.slug}/{component}/api/v1"

    def fill(self, tenant: Tenant, *, breaks: bool = False, duplicate_names: bool = False) -> dict[str, str]:
        """Catalogi and kanalen through the ZGW APIs (with mixed-case beheerder names an irreversible migration
        rewrites); ``breaks``: a kanaal the test release's migration trips over; ``duplicate_names``: two catalogi
        of one name (the irreversible release's unique index fails on them)."""
        headers = self.app_headers(tenant)
        with httpx.Client(headers=headers, timeout=30) as http:
            for n, domein in enumerate(("AAA", "BBB", "CCC")):
                naam = "Catalogus" if duplicate_names and n < 2 else f"Catalogus {domein}"
                response = http.post(f"{self.api(tenant, 'catalogi')}/catalogussen", json={
                    "domein": domein, "rsin": "002220647", "contactpersoonBeheerNaam": f"Mevr. de Vries {n}",
                    "naam": naam})  # fmt: skip
                assert response.status_code == 201, response.text
            names = ["fleettest-a", "fleettest-breaks" if breaks else "fleettest-b"]
            for naam in names:
                response = http.post(f"{self.api(tenant, 'notificaties')}/kanaal", json={"naam": naam, "filters": []})
                assert response.status_code == 201, response.text
        return headers

    def database_url(self, tenant: Tenant) -> str:
        with self.session() as session:
            row = session.get(Tenant, tenant.id)
            assert row is not None
            return self.cp.driver.database_url(credentials.spec_of(row))  # type: ignore[attr-defined,no-any-return]

    def heads(self, tenant: Tenant) -> set[str]:
        return database_heads(self.database_url(tenant))

    def schema_at(self, tenant: Tenant, release_dir: Path | None = None) -> bool:
        """The tenant's schema is exactly the package's heads plus (if given) a test release's directory."""
        dirs = [release_dir] if release_dir else []
        heads = runtime_tenants.schema_heads(dirs)
        return runtime_tenants.tenant_schema_is_current(self.database_url(tenant), heads, dirs)

    def fingerprint(self, tenant: Tenant) -> dict[str, tuple[int, str]]:
        """Record count and an md5 over every row of every table (but alembic's and the test releases' own)."""
        url = self.database_url(tenant).replace("postgresql://", "postgresql+psycopg://", 1)
        engine = create_engine(url)
        result: dict[str, tuple[int, str]] = {}
        with engine.connect() as connection:
            tables = [row[0] for row in connection.execute(text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version' "
                "AND tablename NOT LIKE 'fleettest%' ORDER BY tablename"))]  # fmt: skip
            for table in tables:
                # Autorisaties are the control plane's credentials pushed into the tenant (again after a restore):
                # compared by content, without their surrogate ids. Every other row exactly.
                row = "(to_jsonb(t) - 'id')::text" if table.startswith("autorisaties_") else "t::text"
                count, digest = connection.execute(text(
                    f"SELECT count(*), coalesce(md5(string_agg({row}, '|' ORDER BY {row})), '') FROM \"{table}\" t"  # noqa: S608
                )).one()  # fmt: skip
                result[table] = (int(count), str(digest))
        engine.dispose()
        return result

    def pool(self, tenant: Tenant) -> str:
        engine = build_engine(self.settings.runtime_registry_url, pooled=False)
        info = TenantRegistry(engine, cache_seconds=0).get(tenant.slug)
        engine.dispose()
        assert info is not None
        return info.pool

    def kanalen(self, tenant: Tenant, headers: dict[str, str]) -> httpx.Response:
        return httpx.get(f"{self.front}/t/{tenant.slug}{KANALEN}", headers=headers, timeout=10)

    # --- releases and campaigns -----------------------------------------------------------------------
    def release(self, version: str = "0.2.0-test", *, irreversible: bool = False, pool: str = POOL_V2) -> None:
        body: dict[str, Any] = {
            "version": version, "package_version": "0.1.0", "pool": pool, "status": "available",
            "migration_paths": [str(IRREVERSIBLE if irreversible else REVERSIBLE)], "reversible": not irreversible,
            "notes": "test release",
        }  # fmt: skip
        response = self.world.client.post("/api/v1/releases", json=body, headers=self.headers())
        assert response.status_code == 201, response.text

    def start(self, **body: Any) -> dict[str, Any]:
        body = {"release": "0.2.0-test", "wave_pause_seconds": 0, **body}
        response = self.world.client.post("/api/v1/campaigns", json=body, headers=self.headers())
        assert response.status_code == 201, response.text
        return response.json()  # type: ignore[no-any-return]

    def campaign(self, campaign_id: str) -> dict[str, Any]:
        response = self.world.client.get(f"/api/v1/campaigns/{campaign_id}", headers=self.headers())
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    def by_slug(self, campaign: dict[str, Any]) -> dict[str, dict[str, Any]]:
        return {t["slug"]: t for t in campaign["tenants"]}

    def drive(self, campaign_id: str, rounds: int = 40) -> dict[str, Any]:
        """Advance the campaign and run the jobs it hands out here, until it stops running or waits for a clock
        (then returns; the test moves the clock)."""
        cid = uuid.UUID(campaign_id)
        for _ in range(rounds):
            wait = campaigns.advance(self.cp, cid)
            started = list(self.world.dispatched.jobs)
            self.world.dispatched.jobs.clear()
            for job_id in started:
                run_job(self.cp, job_id)
            with self.session() as session:
                campaign = session.get(Campaign, cid)
                assert campaign is not None
                status = campaign.status
            if status is not CampaignStatus.RUNNING or (not started and wait):
                break
        return self.campaign(campaign_id)

    def upgrades(self, campaign_id: str) -> list[TenantUpgrade]:
        with self.session() as session:
            return list(session.query(TenantUpgrade).filter_by(campaign_id=uuid.UUID(campaign_id)))


def build_fleet(tmp_path: Path, postgres_server: PostgresServer, **overrides: object) -> Iterator[Fleet]:
    values: dict[str, object] = {
        "upgrade_gate_window_seconds": 0.3, "upgrade_gate_timeout_seconds": 3.0,
        "runtime_registry_cache_seconds": 0.0,  # as the runtimes below: nothing to wait for after maintenance
        **overrides,
    }  # fmt: skip
    base = make_settings(tmp_path, postgres_server, **values)
    runtime = RuntimeSettings(
        environment="test", data_dir=tmp_path / "runtime", registry_url=base.runtime_registry_url,
        registry_cache_seconds=0,
    )  # fmt: skip
    with serve(create_runtime(runtime.model_copy(update={"pool": POOL_V2}))) as v2:
        front_settings = runtime.model_copy(update={"pool": "default", "pool_routes": {POOL_V2: v2}})
        with serve(create_runtime(front_settings)) as front:
            settings = base.model_copy(update={"runtime_public_url": front, "runtime_pool_routes": {POOL_V2: v2}})
            for world in build_world(settings):
                world.cp.clock = FrozenClock()
                yield Fleet(world, settings, front, v2)


@pytest.fixture
def fleet(tmp_path: Path, postgres_server: PostgresServer) -> Iterator[Fleet]:
    yield from build_fleet(tmp_path, postgres_server)
