"""The local driver: the shared tenant runtime runs on this machine (or next to it) and every tenant gets
its own PostgreSQL database and role (when the runtime registry lives in PostgreSQL, or a server is
configured) or its own SQLite file (embedded default)."""

from __future__ import annotations

import httpx
import structlog
from prometheus_client.parser import text_string_to_metric_families

import tenant_runtime
from controlplane.accounts.tokens import shared_runtime_admin_token
from controlplane.config import Settings
from controlplane.drivers.databases import DATABASE_PREFIX, RegistryWriter, TenantDatabases
from controlplane.drivers.interfaces import (
    DEFAULT_POOL,
    ClientSpec,
    Observation,
    PermanentError,
    ProgressReporter,
    RuntimeAdmin,
    RuntimeStatus,
    TemporaryError,
    TenantSpec,
)
from tenant_runtime.autorisaties import admin as runtime_admin

log = structlog.get_logger(__name__)

__all__ = ["DATABASE_PREFIX", "VERIFY_PATH", "LocalDriver", "verify_call"]

# The path a verification call reads: the Notificaties API's kanalen (needs only notificaties.consumeren).
VERIFY_PATH = "/notificaties/api/v1/kanaal"


def verify_call(tenant: TenantSpec, base_url: str, client_id: str, secret: str) -> None:
    """A real authenticated ZGW call to the tenant at ``base_url``; TemporaryError when it does not succeed."""
    token = runtime_admin.make_jwt(client_id, secret)
    url = base_url.rstrip("/") + VERIFY_PATH
    try:
        response = httpx.get(url, headers={"Authorization": f"Bearer {token}", "Accept-Crs": "EPSG:4326"}, timeout=10)
    except httpx.TransportError as exc:
        raise TemporaryError(f"runtime not reachable at {url}: {type(exc).__name__}", delay=3) from None
    if response.status_code != 200:
        raise TemporaryError(f"verification call GET {url} answered {response.status_code}", delay=2)
    log.info("tenant_verified", tenant=tenant.slug, url=url)


def pool_of(tenant: TenantSpec) -> str:
    return tenant.release.pool if tenant.release is not None else DEFAULT_POOL


def tenant_request_counts(metrics: str, slug: str) -> tuple[float, float]:
    """(all, 5xx) of ``zgw_runtime_tenant_requests_total`` for one tenant in a runtime's Prometheus text."""
    total = errors = 0.0
    for family in text_string_to_metric_families(metrics):
        if family.name != "zgw_runtime_tenant_requests":
            continue
        for sample in family.samples:
            if sample.name.endswith("_total") and sample.labels.get("tenant") == slug:
                total += sample.value
                if sample.labels.get("status_class") == "5xx":
                    errors += sample.value
    return total, errors


def read_request_counts(root: str, slug: str) -> tuple[float, float]:
    """The tenant's counters from a runtime process's ``/metrics``; TemporaryError while it does not answer."""
    url = root.rstrip("/") + "/metrics"
    try:
        response = httpx.get(url, timeout=5)
    except httpx.TransportError as exc:
        raise TemporaryError(f"metrics not reachable at {url}: {type(exc).__name__}", delay=2) from None
    if response.status_code != 200:
        raise TemporaryError(f"GET {url} answered {response.status_code}", delay=2)
    return tenant_request_counts(response.text, slug)


class LocalDriver:
    name = "local"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.databases = TenantDatabases(settings)
        self.shared_registry = RegistryWriter(settings.runtime_registry_url)

    def close(self) -> None:
        self.shared_registry.close()
        self.databases.close()

    # --- where things are -------------------------------------------------------------------------
    def database_name(self, tenant: TenantSpec) -> str:
        return self.databases.database_name(tenant)

    def database_url(self, tenant: TenantSpec) -> str:
        return self.databases.database_url(tenant)

    def runtime_version(self) -> str:
        return tenant_runtime.__version__

    def api_base_url(self, tenant: TenantSpec) -> str:
        return f"{self.settings.runtime_public_url.rstrip('/')}/t/{tenant.slug}"

    # --- lifecycle steps --------------------------------------------------------------------------
    def create_database(self, tenant: TenantSpec) -> bool:
        return self.databases.create(tenant)

    def migrate(self, tenant: TenantSpec) -> None:
        self.databases.migrate(tenant)

    def push_clients(self, tenant: TenantSpec, clients: list[ClientSpec]) -> None:
        self.databases.push_clients(tenant, clients)

    def revoke_client(self, tenant: TenantSpec, client_id: str) -> None:
        self.databases.revoke_client(tenant, client_id)

    def register(self, tenant: TenantSpec, status: RuntimeStatus) -> None:
        # The registry's pool routes the tenant to the runtime process of its release (docs/operations/upgrades.md).
        self.shared_registry.register(tenant, self.databases.database_url(tenant), status, pool_of(tenant))

    # The shared runtime is started by the operator (scripts/run.sh, a process manager): a tenant adds nothing to
    # it but its registration, so there is no runtime of its own to deploy or remove.
    def deploy_runtime(self, tenant: TenantSpec, status: RuntimeStatus) -> None:  # noqa: ARG002
        return None

    def pool_url(self, tenant: TenantSpec) -> str:
        """Base URL of the runtime process serving the tenant's pool (the public runtime without a pool route)."""
        return self.settings.runtime_pool_routes.get(pool_of(tenant), self.settings.runtime_public_url).rstrip("/")

    def wait_ready(self, tenant: TenantSpec, report: ProgressReporter) -> None:
        """A pool with its own process (``ZGW_RUNTIME_POOL_ROUTES``): that process answers ``/readyz`` and is that
        pool, at its release's version. Without a route the public runtime serves the tenant, and the verification
        call through it is the check."""
        pool = pool_of(tenant)
        if pool not in self.settings.runtime_pool_routes:
            return
        url = self.pool_url(tenant)
        try:
            ready = httpx.get(f"{url}/readyz", timeout=5)
            health = httpx.get(f"{url}/healthz", timeout=5)
        except httpx.TransportError as exc:
            report(f"runtime-pool {pool} ({url}) niet bereikbaar")
            raise TemporaryError(f"runtime pool {pool} not reachable at {url}: {type(exc).__name__}", delay=2) from None
        if ready.status_code != 200 or health.status_code != 200:
            raise TemporaryError(f"runtime pool {pool} not ready ({ready.status_code}/{health.status_code})", delay=2)
        about = health.json()
        if about.get("pool") != pool:
            raise PermanentError(f"the runtime at {url} is pool {about.get('pool')!r}, not {pool!r}")
        release = tenant.release
        if release is not None and release.package_version and about.get("version") != release.package_version:
            raise PermanentError(
                f"pool {pool} at {url} runs version {about.get('version')}, release {release.version} needs "
                f"{release.package_version}"
            )

    def runtime_admin(self, tenant: TenantSpec) -> RuntimeAdmin:
        """The tenant at its pool's process (``/t/<slug>``), with the shared runtime's admin token."""
        return RuntimeAdmin(f"{self.pool_url(tenant)}/t/{tenant.slug}", shared_runtime_admin_token(self.settings))

    def request_counts(self, tenant: TenantSpec) -> tuple[float, float] | None:
        """(requests, 5xx responses) the tenant's pool process answered for it since it started."""
        return read_request_counts(self.pool_url(tenant), tenant.slug)

    def remove_runtime(self, tenant: TenantSpec, report: ProgressReporter) -> bool:  # noqa: ARG002
        return False

    def verify(self, tenant: TenantSpec, client_id: str, secret: str) -> None:
        # At the pool's own address: the public URL is for browsers and may not resolve here (docker-compose).
        verify_call(tenant, f"{self.pool_url(tenant)}/t/{tenant.slug}", client_id, secret)

    def unregister(self, tenant: TenantSpec) -> bool:
        return self.shared_registry.unregister(tenant)

    def drop_database(self, tenant: TenantSpec) -> bool:
        return self.databases.drop(tenant)

    def observe(self, tenant: TenantSpec) -> Observation:
        database = self.databases.state(tenant)
        registration = self.shared_registry.registration(tenant)
        return Observation(
            database_exists=database.exists,
            schema_current=database.schema_current,
            registered=registration.registered,
            status=registration.status,
            # The registration routes to the tenant's database and to the pool of its release.
            registered_database_matches=(
                registration.registered
                and registration.database_url == self.databases.database_url(tenant)
                and registration.pool == pool_of(tenant)
            ),
        )

    def managed_databases(self) -> set[str]:
        return self.databases.managed_databases()
