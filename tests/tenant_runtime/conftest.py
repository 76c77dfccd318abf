"""A multi-tenant ZGW runtime on real PostgreSQL: two tenants, each with its own database, and helpers that
create API clients (applications + credentials) and sign their JWTs."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tenant_runtime.autorisaties import admin
from tenant_runtime.config import RuntimeSettings
from tenant_runtime.container import Runtime, build_runtime
from tenant_runtime.main import create_app
from tenant_runtime.registry.repository import TenantInfo
from tenant_runtime.tenants import service
from tests.fixtures.services import PostgresServer


@dataclass
class ZgwTenant:
    info: TenantInfo
    runtime: Runtime
    client: TestClient

    @property
    def slug(self) -> str:
        return self.info.slug

    @property
    def base(self) -> str:
        """Absolute URL prefix of this tenant's APIs, e.g. ``http://testserver/t/utrecht``."""
        return f"http://testserver/t/{self.slug}"

    def api(self, component: str) -> str:
        return f"{self.base}/{component}/api/v1"

    def session(self) -> Session:
        return Session(self.runtime.engines.get(self.info.database_url))

    def headers_for(
        self,
        *,
        heeft_alle_autorisaties: bool = False,
        autorisaties: list[admin.AutorisatieSpec] | None = None,
        client_id: str = "",
        label: str = "",
    ) -> dict[str, str]:
        """Create an application with these autorisaties and return request headers with its JWT."""
        client_id = client_id or f"app-{uuid.uuid4().hex[:10]}"
        secret = admin.generate_secret()
        with self.session() as session, session.begin():
            admin.upsert_application(
                session,
                admin.ApplicationSpec(
                    client_id=client_id,
                    label=label or client_id,
                    heeft_alle_autorisaties=heeft_alle_autorisaties,
                    autorisaties=list(autorisaties or []),
                ),
            )
            admin.add_credential(session, client_id, secret)
        self.runtime.clients.invalidate(self.slug)
        token = admin.make_jwt(client_id, secret, user_id="tester", user_representation="Test Gebruiker")
        return {"Authorization": f"Bearer {token}"}

    def superuser(self) -> dict[str, str]:
        return self.headers_for(heeft_alle_autorisaties=True, label="superuser")


@dataclass
class ZgwRuntime:
    runtime: Runtime
    client: TestClient
    tenants: dict[str, ZgwTenant] = field(default_factory=dict)


def _runtime_with_tenants(tmp_path: Path, server: PostgresServer, slugs: tuple[str, ...]) -> Iterator[ZgwRuntime]:
    registry_url = server.create_database("registry")
    settings = RuntimeSettings(
        environment="test", data_dir=tmp_path, registry_url=registry_url, registry_cache_seconds=0
    )
    service.migrate_registry(registry_url)
    runtime = build_runtime(settings)
    for slug in slugs:
        service.create_tenant(
            runtime.registry, slug=slug, name=f"Gemeente {slug.title()}", database_url=server.create_database(slug)
        )
    with TestClient(create_app(settings, runtime), raise_server_exceptions=False) as client:
        env = ZgwRuntime(runtime, client)
        for slug in slugs:
            env.tenants[slug] = ZgwTenant(runtime.registry.get(slug), runtime, client)  # type: ignore[arg-type]
        yield env


@pytest.fixture
def zgw(tmp_path: Path, postgres_server: PostgresServer) -> Iterator[ZgwRuntime]:
    """A runtime serving tenants ``alpha`` and ``beta`` on PostgreSQL."""
    yield from _runtime_with_tenants(tmp_path, postgres_server, ("alpha", "beta"))


@pytest.fixture
def alpha(zgw: ZgwRuntime) -> ZgwTenant:
    return zgw.tenants["alpha"]


@pytest.fixture
def beta(zgw: ZgwRuntime) -> ZgwTenant:
    return zgw.tenants["beta"]
