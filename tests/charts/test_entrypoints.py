"""The commands the charts render, run as the pods would run them: with exactly the rendered environment (Secret
references resolved the way the kubelet resolves them) against real PostgreSQL and Redis. This proves the
processes start from what the charts give them: the env var names, the production settings checks, the
migrations' scope (pinned tenant, pool), the probe endpoints and the Celery entry points."""

from __future__ import annotations

import base64
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.charts.rendering import CONTROLPLANE_CHART, RUNTIME_CHART, Helm, Manifest, container
from tests.fixtures.processes import ManagedProcess, free_port, wait_for
from tests.fixtures.services import PostgresServer

VENV_BIN = Path(sys.executable).parent


def pod_environment(spec: Manifest, secret: dict[str, str], tmp: Path) -> dict[str, str]:
    """The environment a container gets: plain values, and secretKeyRefs from ``secret`` (a missing required key
    fails as the kubelet's CreateContainerConfigError would). The pod's /tmp emptyDir becomes ``tmp``."""
    env = {"PATH": f"{VENV_BIN}:/usr/bin:/bin", "HOME": str(tmp), "LANG": "C.UTF-8"}
    for item in spec.get("env", []):
        if "value" in item:
            value = str(item["value"])
            env[item["name"]] = str(tmp) + value[len("/tmp") :] if value.startswith("/tmp/") else value
            continue
        ref = item["valueFrom"]["secretKeyRef"]
        if ref["key"] in secret:
            env[item["name"]] = secret[ref["key"]]
        else:
            assert ref.get("optional"), f"the Secret lacks the required key {ref['key']}"
    return env


def command_of(spec: Manifest, tmp: Path) -> list[str]:
    """The container's command, with the pod's /tmp emptyDir at ``tmp``."""
    prefix = "--schedule=/tmp/"
    return [f"--schedule={tmp}/{arg[len(prefix) :]}" if arg.startswith(prefix) else arg for arg in spec["command"]]


def start(
    name: str, command: list[str], env: dict[str, str], tmp: Path, processes: list[ManagedProcess]
) -> ManagedProcess:
    """A long-running container command with only its pod environment (``env -i``; no .env file in its cwd)."""
    clean = ["/usr/bin/env", "-i", "-C", str(tmp), *(f"{key}={value}" for key, value in env.items())]
    process = ManagedProcess(name, [*clean, *command], tmp)
    processes.append(process)
    return process


@pytest.fixture
def processes() -> Iterator[list[ManagedProcess]]:
    started: list[ManagedProcess] = []
    yield started
    for process in started:
        process.stop()


def run_to_completion(spec: Manifest, env: dict[str, str], cwd: Path) -> str:
    import subprocess

    result = subprocess.run(
        command_of(spec, cwd), env=env, cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def serve(
    spec: Manifest, env: dict[str, str], tmp: Path, processes: list[ManagedProcess], name: str
) -> tuple[ManagedProcess, str]:
    """Start the API container's command on a free port (the pod's port is taken on a shared machine)."""
    port = free_port()
    command = list(spec["command"])
    command[command.index("--port") + 1] = str(port)
    command[command.index("--host") + 1] = "127.0.0.1"
    process = start(name, command, env, tmp, processes)
    base = f"http://127.0.0.1:{port}"
    process.wait_ready(lambda: httpx.get(f"{base}/healthz", timeout=1).status_code == 200, timeout=90)
    return process, base


def probe(base: str, spec: Manifest) -> None:
    for kind, expected in (("livenessProbe", "ok"), ("readinessProbe", "ready")):
        response = httpx.get(base + spec[kind]["httpGet"]["path"], timeout=5)
        assert response.status_code == 200, response.text
        assert response.json()["status"] == expected


def _register(registry_url: str, tenants: dict[str, tuple[str, str]]) -> None:
    from tenant_runtime.db.engines import build_engine
    from tenant_runtime.registry.repository import TenantRegistry
    from tenant_runtime.tenants.service import migrate_registry

    migrate_registry(registry_url)
    engine = build_engine(registry_url, pooled=False)
    try:
        registry = TenantRegistry(engine, cache_seconds=0)
        for slug, (database_url, pool) in tenants.items():
            registry.upsert(slug=slug, name=slug.title(), database_url=database_url, pool=pool)
    finally:
        engine.dispose()


def _migrated(database_url: str) -> bool:
    """The database carries the tenant schema's revisions (an untouched one has none)."""
    from tenant_runtime.db.migrate import database_heads

    return "core0002" in database_heads(database_url) or bool(database_heads(database_url) - {"core0001"})


def test_shared_pool_migrations_job_migrates_only_its_pool(
    helm: Helm, postgres_server: PostgresServer, tmp_path: Path
) -> None:
    registry = postgres_server.create_database("registry")
    tenants = {
        "utrecht": (postgres_server.create_database("utrecht"), "shared-v1"),
        "zeist": (postgres_server.create_database("zeist"), "shared-v1"),
        "amersfoort": (postgres_server.create_database("amersfoort"), "shared-v2"),
    }
    _register(registry, tenants)
    job = container(helm.template(RUNTIME_CHART, RUNTIME_CHART / "ci" / "shared-values.yaml").one("Job", "migrations"))
    env = pod_environment(
        job, {"ZGW_RUNTIME_REGISTRY_URL": registry, "ZGW_RUNTIME_CELERY_BROKER_URL": "redis://x"}, tmp_path
    )
    output = run_to_completion(job, env, tmp_path)
    assert output.split() == ["migrated", "utrecht", "migrated", "zeist"]
    assert _migrated(tenants["utrecht"][0]) and _migrated(tenants["zeist"][0])
    assert not _migrated(tenants["amersfoort"][0]), "another pool's database must be left to its own release"


def test_dedicated_release_migrates_and_serves_its_tenant(
    helm: Helm, postgres_server: PostgresServer, redis_url: str, tmp_path: Path, processes: list[ManagedProcess]
) -> None:
    registry = postgres_server.create_database("registry")
    tenants = {
        "utrecht": (postgres_server.create_database("utrecht"), "default"),
        "zeist": (postgres_server.create_database("zeist"), "default"),
    }
    _register(registry, tenants)
    rendered = helm.template(RUNTIME_CHART, RUNTIME_CHART / "ci" / "dedicated-values.yaml")
    secret = {"ZGW_RUNTIME_REGISTRY_URL": registry, "ZGW_RUNTIME_CELERY_BROKER_URL": redis_url}
    job = container(rendered.one("Job", "migrations"))
    assert run_to_completion(job, pod_environment(job, secret, tmp_path), tmp_path).split() == ["migrated", "utrecht"]
    assert _migrated(tenants["utrecht"][0]) and not _migrated(tenants["zeist"][0])

    api = container(rendered.one("Deployment", "api"))
    env = pod_environment(api, secret, tmp_path)
    _, base = serve(api, env, tmp_path, processes, "runtime-api")
    probe(base, api)
    # pinned: the tenant's API is served at the root (unpinned, this path names no tenant: 404)
    response = httpx.get(f"{base}/notificaties/api/v1/kanaal", timeout=10)
    assert response.status_code in (401, 403), response.text
    assert response.headers["content-type"].startswith("application/problem+json")


def test_dedicated_migrations_job_fails_for_an_unregistered_tenant(
    helm: Helm, postgres_server: PostgresServer, tmp_path: Path
) -> None:
    import subprocess

    registry = postgres_server.create_database("registry")
    _register(registry, {})
    job = container(
        helm.template(RUNTIME_CHART, sets=["tier=dedicated", "tenant.slug=nowhere", "worker.enabled=false"]).one(
            "Job", "migrations"
        )
    )
    result = subprocess.run(
        job["command"],
        env=pod_environment(job, {"ZGW_RUNTIME_REGISTRY_URL": registry}, tmp_path),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1 and "nowhere is not registered" in result.stderr


def _controlplane_secret(postgres_server: PostgresServer, redis_url: str) -> dict[str, str]:
    from cryptography.fernet import Fernet

    return {
        "ZGW_DATABASE_URL": postgres_server.create_database("controlplane"),
        "ZGW_SECRET_KEY": os.urandom(32).hex(),
        "ZGW_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "ZGW_BACKUP_PLATFORM_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode(),
        "ZGW_CELERY_BROKER_URL": redis_url,
        "ZGW_RUNTIME_REGISTRY_URL": postgres_server.create_database("registry"),
    }


def test_controlplane_migrates_and_serves_in_production_mode(
    helm: Helm, postgres_server: PostgresServer, redis_url: str, tmp_path: Path, processes: list[ManagedProcess]
) -> None:
    # The Kubernetes driver (the chart's default) needs the in-cluster API; outside a pod the processes run with
    # the local driver, everything else exactly as rendered.
    rendered = helm.template(
        CONTROLPLANE_CHART, CONTROLPLANE_CHART / "ci" / "production-values.yaml", sets=["config.driver=local"]
    )
    secret = _controlplane_secret(postgres_server, redis_url)
    job = container(rendered.one("Job", "migrations"))
    env = pod_environment(job, secret, tmp_path)
    assert env["ZGW_ENVIRONMENT"] == "production"
    assert "migrated" in run_to_completion(job, env, tmp_path)

    api = container(rendered.one("Deployment", "api"))
    _, base = serve(api, pod_environment(api, secret, tmp_path), tmp_path, processes, "controlplane-api")
    probe(base, api)


def test_controlplane_refuses_to_start_without_its_secret_keys(
    helm: Helm, postgres_server: PostgresServer, redis_url: str, tmp_path: Path
) -> None:
    import subprocess

    job = container(helm.template(CONTROLPLANE_CHART).one("Job", "migrations"))
    secret = _controlplane_secret(postgres_server, redis_url)
    secret["ZGW_SECRET_KEY"] = "short"
    result = subprocess.run(
        job["command"],
        env=pod_environment(job, secret, tmp_path),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0 and "ZGW_SECRET_KEY" in result.stderr


@pytest.mark.parametrize("chart", [RUNTIME_CHART, CONTROLPLANE_CHART], ids=lambda c: c.name)
def test_celery_worker_and_beat_start_from_the_rendered_commands(
    helm: Helm,
    chart: Path,
    postgres_server: PostgresServer,
    redis_url: str,
    tmp_path: Path,
    processes: list[ManagedProcess],
) -> None:
    rendered = helm.template(chart, sets=["config.driver=local"] if chart == CONTROLPLANE_CHART else [])
    if chart == RUNTIME_CHART:
        registry = postgres_server.create_database("registry")
        _register(registry, {})
        secret = {"ZGW_RUNTIME_REGISTRY_URL": registry, "ZGW_RUNTIME_CELERY_BROKER_URL": redis_url}
    else:
        secret = _controlplane_secret(postgres_server, redis_url)
    logs: dict[str, Any] = {}
    for component in ("worker", "beat"):
        spec = container(rendered.one("Deployment", component))
        env = pod_environment(spec, secret, tmp_path)
        logs[component] = start(f"{chart.name}-{component}", command_of(spec, tmp_path), env, tmp_path, processes)
    wait_for(
        lambda: "ready." in logs["worker"].log.read_text(errors="replace"),
        timeout=90,
        what="celery worker",
        process=logs["worker"].process,
        log=logs["worker"].log,
    )
    wait_for(
        lambda: (tmp_path / "celerybeat-schedule").exists() or any(tmp_path.glob("celerybeat-schedule*")),
        timeout=60,
        what="celery beat",
        process=logs["beat"].process,
        log=logs["beat"].log,
    )
    assert logs["worker"].alive() and logs["beat"].alive()
