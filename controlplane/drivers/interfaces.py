"""What a provisioning driver does for a tenant. Every operation is idempotent: a retry after a crash
(or a repeat by the reconciler) converges on the same state and never creates a second copy."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol


class TemporaryError(Exception):
    """A condition expected to pass (a runtime that is still starting, a lock): retry after ``delay`` seconds."""

    def __init__(self, message: str, delay: float = 2.0) -> None:
        super().__init__(message)
        self.delay = delay


class PermanentError(Exception):
    """A failure a retry will not fix without someone changing something."""


class RuntimeStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    MAINTENANCE = "maintenance"  # the runtime answers 503 (a restore in place is running)


# The shared-tier pool of tenants on the release shipped with this control plane (registry default).
DEFAULT_POOL = "default"


@dataclass(frozen=True)
class ReleaseSpec:
    """A runtime release as a driver needs it (controlplane.releases): the code and the schema it needs."""

    version: str
    image: str = ""  # container image reference (Kubernetes driver); empty: the driver's default image
    pool: str = DEFAULT_POOL  # shared tier: the runtime pool that runs this release
    package_version: str = ""  # the version its runtime reports on /healthz; empty: not checked
    schema_heads: tuple[str, ...] = ()  # tenant-schema heads; empty: every head this package defines
    migration_paths: tuple[str, ...] = ()  # alembic version directories besides those in the package


@dataclass(frozen=True)
class Sizing:
    """What a tenant's plan gives its own runtime (dedicated tier), in Kubernetes quantities: API replicas, each
    container's requests and limits, and the namespace's quota."""

    api_replicas: int = 2
    cpu_request: str = "250m"
    memory_request: str = "256Mi"
    cpu_limit: str = "1"
    memory_limit: str = "512Mi"
    quota_cpu: str = "4"
    quota_memory: str = "4Gi"
    quota_pods: int = 10


@dataclass(frozen=True)
class TenantSpec:
    slug: str
    name: str
    tier: str = "shared"  # "shared": served by the shared runtime; "dedicated": its own runtime (namespace)
    sizing: Sizing = field(default_factory=Sizing)
    # The release serving the tenant (None: the release shipped with this control plane, i.e. the package's
    # own schema heads and the default pool).
    release: ReleaseSpec | None = None

    @property
    def dedicated(self) -> bool:
        return self.tier == "dedicated"


# Progress of a long step (e.g. "API 1/2 beschikbaar"), shown with the job while it waits.
ProgressReporter = Callable[[str], None]


@dataclass(frozen=True)
class AutorisatieGrant:
    component: str
    scopes: list[str]
    zaaktype: str = ""
    informatieobjecttype: str = ""
    besluittype: str = ""
    max_vertrouwelijkheidaanduiding: str = ""


@dataclass(frozen=True)
class SecretSpec:
    secret: str
    expires_at: datetime | None = None


@dataclass(frozen=True)
class ClientSpec:
    """An application and its secrets as they must be in the tenant's runtime database."""

    client_id: str
    label: str
    secrets: list[SecretSpec]
    heeft_alle_autorisaties: bool = False
    autorisaties: list[AutorisatieGrant] = field(default_factory=list)


@dataclass(frozen=True)
class Observation:
    """The actual state of a tenant in the runtime, for the reconciler."""

    database_exists: bool
    schema_current: bool
    registered: bool
    status: RuntimeStatus | None
    registered_database_matches: bool
    # What differs in the tenant's own runtime deployment (dedicated tier), e.g. "Deployment zgw-runtime
    # missing"; the reconciler re-applies the deployment when this is not empty.
    runtime_drift: tuple[str, ...] = ()


@dataclass(frozen=True)
class RuntimeAdmin:
    """Where the control plane reaches the platform endpoints (``/beheer/...``) of the runtime serving a tenant:
    the tenant's root there (every path below it is the tenant's) and the Bearer token that runtime expects."""

    base_url: str
    token: str = field(repr=False)


class TenantDriver(Protocol):
    name: str

    def runtime_version(self) -> str: ...

    def api_base_url(self, tenant: TenantSpec) -> str: ...

    def create_database(self, tenant: TenantSpec) -> bool:
        """Create the tenant's database (and its role); returns whether something was created."""
        ...

    def migrate(self, tenant: TenantSpec) -> None: ...

    def push_clients(self, tenant: TenantSpec, clients: list[ClientSpec]) -> None:
        """Make these applications and secrets exist in the tenant's runtime database (exactly these secrets)."""
        ...

    def revoke_client(self, tenant: TenantSpec, client_id: str) -> None: ...

    def register(self, tenant: TenantSpec, status: RuntimeStatus) -> None:
        """Register (or update) the tenant in the runtime's registry with ``status``."""
        ...

    def deploy_runtime(self, tenant: TenantSpec, status: RuntimeStatus) -> None:
        """Make the tenant's own runtime (dedicated tier) exist as desired: serving (active) or scaled to zero
        (suspended). Nothing to do for a tenant of a shared runtime, which exists independently of it."""
        ...

    def wait_ready(self, tenant: TenantSpec, report: ProgressReporter) -> None:
        """Return once the tenant's runtime serves; raises TemporaryError (after reporting progress) while not."""
        ...

    def remove_runtime(self, tenant: TenantSpec, report: ProgressReporter) -> bool:
        """Remove the tenant's own runtime (dedicated tier: the release and its namespace, waiting until the
        namespace is gone); the database stays until it is dropped. Returns whether something was removed."""
        ...

    def verify(self, tenant: TenantSpec, client_id: str, secret: str) -> None:
        """A real authenticated ZGW call to the tenant; raises TemporaryError when it does not succeed."""
        ...

    def request_counts(self, tenant: TenantSpec) -> tuple[float, float] | None:
        """(requests, 5xx responses) the runtime serving the tenant (at ``tenant.release``) has answered for it so
        far, from its ``zgw_runtime_tenant_requests_total`` counters: the upgrade health gate's error rate is the
        difference over a window. TemporaryError while the runtime is not reachable; None when this driver cannot
        read them."""
        ...

    def runtime_admin(self, tenant: TenantSpec) -> RuntimeAdmin:
        """Where the runtime serving the tenant answers its ``/beheer`` endpoints (notification delivery log), and
        with which platform token; the runtime may differ per tier, pool and release."""
        ...

    def unregister(self, tenant: TenantSpec) -> bool: ...

    def drop_database(self, tenant: TenantSpec) -> bool:
        """Drop the tenant's database (and role); returns whether something was dropped."""
        ...

    def observe(self, tenant: TenantSpec) -> Observation: ...

    def database_name(self, tenant: TenantSpec) -> str:
        """The name of the tenant's database (deterministic: a retry never makes a second one)."""
        ...

    def managed_databases(self) -> set[str]:
        """Names of every tenant database that exists on this driver's server (for orphan detection)."""
        ...
