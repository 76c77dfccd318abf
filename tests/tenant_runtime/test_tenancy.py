"""Routing requests to tenants: path prefix, host name, pinned tenant; unknown and suspended tenants."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import APIRouter, Request
from fastapi.testclient import TestClient

from tenant_runtime.config import RuntimeSettings
from tenant_runtime.container import build_runtime
from tenant_runtime.main import create_app
from tenant_runtime.registry.models import TenantStatus
from tenant_runtime.tenants import service

probe = APIRouter()


@probe.get("/probe")
def whoami(request: Request) -> dict[str, str]:
    return {"tenant": request.state.tenant.slug, "url": str(request.url_for("whoami"))}


@pytest.fixture
def settings(tmp_path: Path) -> RuntimeSettings:
    settings = RuntimeSettings(environment="test", data_dir=tmp_path, registry_cache_seconds=0, base_domain="zgw.test")
    service.migrate_registry(settings.registry_url)
    runtime = build_runtime(settings)
    for slug in ("utrecht", "groningen"):
        service.create_tenant(
            runtime.registry,
            slug=slug,
            name=slug.title(),
            database_url=service.sqlite_tenant_url(tmp_path, slug),
        )
    runtime.close()
    return settings


def _client(settings: RuntimeSettings, peer: tuple[str, int] = ("testclient", 50000)) -> TestClient:
    app = create_app(settings)
    app.include_router(probe)
    return TestClient(app, client=peer)


def test_path_prefix_selects_tenant_and_is_kept_in_urls(settings: RuntimeSettings) -> None:
    with _client(settings) as client:
        body = client.get("/t/utrecht/probe").json()
    assert body == {"tenant": "utrecht", "url": "http://testserver/t/utrecht/probe"}


def test_host_name_selects_tenant(settings: RuntimeSettings) -> None:
    with _client(settings) as client:
        body = client.get("/probe", headers={"Host": "groningen.zgw.test"}).json()
        untrusted = client.get(
            "/probe", headers={"Host": "groningen.zgw.test", "X-Forwarded-Host": "utrecht.zgw.test"}
        ).json()
    with _client(settings, peer=("127.0.0.1", 50000)) as proxy:  # ZGW_RUNTIME_FORWARDED_ALLOW_IPS' default
        forwarded = proxy.get("/probe", headers={"X-Forwarded-Host": "utrecht.zgw.test"}).json()
    assert body["tenant"] == "groningen"
    assert untrusted["tenant"] == "groningen"
    assert forwarded["tenant"] == "utrecht"


def test_unknown_tenant_is_a_404_problem(settings: RuntimeSettings) -> None:
    with _client(settings) as client:
        response = client.get("/t/atlantis/probe")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "tenant_not_found"


def test_suspended_tenant_is_a_403_problem_and_resumes(settings: RuntimeSettings) -> None:
    runtime = build_runtime(settings)
    with _client(settings) as client:
        runtime.registry.set_status("utrecht", TenantStatus.SUSPENDED)
        suspended = client.get("/t/utrecht/probe")
        other = client.get("/t/groningen/probe")
        runtime.registry.set_status("utrecht", TenantStatus.ACTIVE)
        resumed = client.get("/t/utrecht/probe")
    runtime.close()
    assert suspended.status_code == 403
    assert suspended.json()["code"] == "tenant_suspended"
    assert other.status_code == 200
    assert resumed.status_code == 200


def test_pinned_tenant_needs_no_prefix(settings: RuntimeSettings) -> None:
    pinned = settings.model_copy(update={"pinned_tenant": "groningen"})
    with _client(pinned) as client:
        assert client.get("/probe").json()["tenant"] == "groningen"
        assert client.get("/healthz").json()["status"] == "ok"


def test_health_endpoints(settings: RuntimeSettings) -> None:
    with _client(settings) as client:
        assert client.get("/healthz").status_code == 200
        assert client.get("/readyz").json() == {"status": "ready"}
        assert "python_info" in client.get("/metrics").text


def test_tenant_database_on_postgres(tmp_path: Path, postgres_server) -> None:  # type: ignore[no-untyped-def]
    """The same tenant lifecycle on PostgreSQL: database created, migrated, registered, dropped."""
    url = postgres_server.create_database("registry")
    settings = RuntimeSettings(environment="test", data_dir=tmp_path, registry_url=url, registry_cache_seconds=0)
    service.migrate_registry(url)
    runtime = build_runtime(settings)
    tenant_url = postgres_server.url.rsplit("/", 1)[0] + "/tenant_pg_probe"
    info = service.create_tenant(runtime.registry, slug="pgprobe", name="PG", database_url=tenant_url)
    assert info.status is TenantStatus.ACTIVE
    assert service.tenant_schema_is_current(tenant_url)
    # Idempotent: a second create changes nothing and does not fail.
    service.create_tenant(runtime.registry, slug="pgprobe", name="PG", database_url=tenant_url)
    assert [t.slug for t in runtime.registry.list()] == ["pgprobe"]
    runtime.close()
    assert service.drop_database(tenant_url) is True
    assert service.drop_database(tenant_url) is False
