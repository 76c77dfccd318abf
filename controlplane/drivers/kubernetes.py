"""The Kubernetes driver. A dedicated tenant gets a namespace of its own (labelled with tenant and tier, Pod
Security ``restricted``), a ResourceQuota and LimitRange from its plan, a namespace-wide default-deny policy,
the Secret with its runtime's secret settings, and the runtime release (``kubernetes_release``); its database
and role live on the configured PostgreSQL server, beside a small registry database that lists only this
tenant (its runtime never sees another tenant's credentials). A shared-tier tenant is registered with the shared
runtime release's registry and gets its database there, exactly as with the local driver.

Every method is a level-based, idempotent step: it runs inside a Celery task (never in the API process), a
retry converges, and waiting (Deployments, hook Jobs, namespace deletion) is bounded by the poll window, after
which a ``TemporaryError`` hands the step back to the job runner."""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import structlog
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

import tenant_runtime
from controlplane.accounts.tokens import runtime_admin_token, runtime_metering_token, shared_runtime_admin_token
from controlplane.config import Settings
from controlplane.drivers import kubernetes_objects as objects
from controlplane.drivers.databases import Registration, RegistryWriter, TenantDatabases, pg_name
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
from controlplane.drivers.kubernetes_api import KubeApi, Manifest
from controlplane.drivers.kubernetes_release import ChartRenderer, RuntimeRelease
from controlplane.drivers.local import read_request_counts, verify_call

log = structlog.get_logger(__name__)

POLL_INTERVAL = 0.5


class TenantRegistries:
    """The registry database of each dedicated tenant (``<prefix>reg_<slug>``, owned by the tenant's role)."""

    def __init__(self, databases: TenantDatabases, settings: Settings, size: int = 512) -> None:
        self.databases, self.settings = databases, settings
        self._writers: OrderedDict[str, RegistryWriter] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def name(self, tenant: TenantSpec) -> str:
        # "zgwt_" → "zgwtreg_": outside the tenant-database prefix, so never taken for an orphan tenant database.
        return pg_name(self.settings.tenant_database_prefix.rstrip("_") + "reg_", tenant.slug)

    def url(self, tenant: TenantSpec) -> str:
        return self.databases.url_for(tenant, self.name(tenant))

    def writer(self, tenant: TenantSpec) -> RegistryWriter:
        with self._lock:
            writer = self._writers.get(tenant.slug)
            if writer is None:
                writer = self._writers[tenant.slug] = RegistryWriter(self.url(tenant), pooled=False)
                while len(self._writers) > self._size:
                    self._writers.popitem(last=False)[1].close()
            self._writers.move_to_end(tenant.slug)
            return writer

    def create(self, tenant: TenantSpec) -> bool:
        created = self.databases.create_owned_database(tenant, self.name(tenant))
        self.writer(tenant).ensure()  # the registry schema, migrated as the tenant's role
        return created

    def registration(self, tenant: TenantSpec) -> Registration:
        """Read without migrating: a registry database or table that does not exist means "not registered"."""
        writer = self.writer(tenant)
        try:
            info = writer.registry.get(tenant.slug)
        except DBAPIError:
            return Registration(False, None, "")
        if info is None:
            return Registration(False, None, "")
        statuses = {s.value for s in RuntimeStatus}
        return Registration(True, RuntimeStatus(info.status.value) if info.status.value in statuses else None,
                            info.database_url)  # fmt: skip

    def drop(self, tenant: TenantSpec) -> bool:
        with self._lock:
            writer = self._writers.pop(tenant.slug, None)
        if writer is not None:
            writer.close()
        return self.databases.drop_database(tenant, self.name(tenant))


@contextmanager
def _requests(api: KubeApi, operation: str, tenant: TenantSpec) -> Iterator[None]:
    """Log how many API requests one operation took (``kubernetes_requests operation=... requests=...``)."""
    before = api.thread_calls
    try:
        yield
    finally:
        log.info("kubernetes_requests", tenant=tenant.slug, operation=operation, requests=api.thread_calls - before)


class KubernetesDriver:
    name = "kubernetes"

    def __init__(self, settings: Settings, api_client: Any | None = None) -> None:
        self.settings = settings
        self.databases = TenantDatabases(settings)
        self.shared_registry = RegistryWriter(settings.runtime_registry_url)
        self.registries = TenantRegistries(self.databases, settings)
        self.api = KubeApi(settings, api_client)
        self.release = RuntimeRelease(self.api, ChartRenderer(settings), settings)

    def close(self) -> None:
        self.shared_registry.close()
        self.databases.close()
        self.api.close()

    # --- where things are -------------------------------------------------------------------------
    def database_name(self, tenant: TenantSpec) -> str:
        return self.databases.database_name(tenant)

    def namespace(self, tenant: TenantSpec) -> str:
        return objects.namespace_name(self.settings, tenant)

    def runtime_version(self) -> str:
        return self.settings.kubernetes_image_tag or tenant_runtime.__version__

    def api_base_url(self, tenant: TenantSpec) -> str:
        if tenant.dedicated:
            return objects.api_base_url(self.settings, tenant)
        return f"{self.settings.runtime_public_url.rstrip('/')}/t/{tenant.slug}"

    def runtime_database_url(self, tenant: TenantSpec, database_url: str | None = None) -> str:
        """A database URL as the dedicated runtime's pods reach the server (ZGW_KUBERNETES_RUNTIME_DATABASE_HOST)."""
        url = make_url(database_url or self.databases.database_url(tenant))
        if self.settings.kubernetes_runtime_database_host:
            host, _, port = self.settings.kubernetes_runtime_database_host.partition(":")
            url = url.set(host=host, port=int(port) if port else url.port)
        return url.render_as_string(hide_password=False)

    def _pool(self, tenant: TenantSpec) -> str:
        if tenant.release is not None and tenant.release.pool != DEFAULT_POOL:
            return tenant.release.pool
        return self.settings.kubernetes_shared_pool

    def _require_server(self) -> None:
        """What the dedicated tier needs besides a cluster: a PostgreSQL server and a domain for the API URLs."""
        if not self.settings.kubernetes_base_domain and "{base_domain}" in self.settings.kubernetes_api_url_template:
            raise PermanentError(
                "dedicated tenants need ZGW_KUBERNETES_BASE_DOMAIN (or a ZGW_KUBERNETES_API_URL_TEMPLATE without "
                "{base_domain})"
            )
        if self.databases.server_url is None:
            raise PermanentError(
                "dedicated tenants need a PostgreSQL server (ZGW_TENANT_DATABASE_SERVER_URL or a PostgreSQL "
                "ZGW_RUNTIME_REGISTRY_URL): their runtime pods cannot reach SQLite files"
            )

    # --- databases and registration (the shared component) ------------------------------------------
    def create_database(self, tenant: TenantSpec) -> bool:
        if not tenant.dedicated:
            return self.databases.create(tenant)
        self._require_server()
        created = self.databases.create(tenant)
        return self.registries.create(tenant) or created

    def migrate(self, tenant: TenantSpec) -> None:
        """A dedicated tenant whose runtime is deployed migrates to its release by a Job running that release's
        image (an upgrade or its rollback, controlplane.releases); provisioning and shared-tier tenants from the
        control plane, which carries every release's migrations (docs/operations/upgrades.md)."""
        if tenant.dedicated and tenant.release is not None and self.release.record(tenant) is not None:
            self.release.run_migrations(tenant)
            return
        self.databases.migrate(tenant)

    def push_clients(self, tenant: TenantSpec, clients: list[ClientSpec]) -> None:
        self.databases.push_clients(tenant, clients)

    def revoke_client(self, tenant: TenantSpec, client_id: str) -> None:
        self.databases.revoke_client(tenant, client_id)

    def register(self, tenant: TenantSpec, status: RuntimeStatus) -> None:
        if tenant.dedicated:
            self.registries.writer(tenant).register(tenant, self.runtime_database_url(tenant), status)
        else:
            self.shared_registry.register(tenant, self.databases.database_url(tenant), status, pool=self._pool(tenant))

    def unregister(self, tenant: TenantSpec) -> bool:
        if not tenant.dedicated:
            return self.shared_registry.unregister(tenant)
        if not self.registries.registration(tenant).registered:
            return False
        return self.registries.writer(tenant).unregister(tenant)

    def drop_database(self, tenant: TenantSpec) -> bool:
        if tenant.dedicated:
            self.registries.drop(tenant)
        return self.databases.drop(tenant)

    def managed_databases(self) -> set[str]:
        return self.databases.managed_databases()

    # --- the tenant's own runtime (dedicated tier) ----------------------------------------------------
    def secret_data(self, tenant: TenantSpec) -> dict[str, str]:
        return {
            "ZGW_RUNTIME_REGISTRY_URL": self.runtime_database_url(tenant, self.registries.url(tenant)),
            "ZGW_RUNTIME_ADMIN_TOKEN": runtime_admin_token(self.settings.secret_key, tenant.slug),
            # Registered for the tenant's runtime account by the provisioning job (usage.dedicated_runtime_account).
            "ZGW_RUNTIME_METERING_TOKEN": runtime_metering_token(self.settings.secret_key, tenant.slug),
        }

    def namespace_objects(self, tenant: TenantSpec) -> list[Manifest]:
        return [
            *objects.tenant_objects(self.settings, tenant),
            objects.runtime_secret(self.settings, tenant, self.secret_data(tenant)),
        ]

    def deploy_runtime(self, tenant: TenantSpec, status: RuntimeStatus, report: ProgressReporter | None = None) -> None:
        """Namespace, quota, limits, default deny and Secret, then the release (hooks first)."""
        if not tenant.dedicated:
            return
        self._require_server()
        with _requests(self.api, "deploy_runtime", tenant):
            for manifest in self.namespace_objects(tenant):
                self.api.apply(manifest)
            self.release.apply(tenant, status, report)

    def wait_ready(self, tenant: TenantSpec, report: ProgressReporter) -> None:
        if not tenant.dedicated:
            return
        with _requests(self.api, "wait_ready", tenant):
            self._wait_ready(tenant, report)

    def _wait_ready(self, tenant: TenantSpec, report: ProgressReporter) -> None:
        deadline = time.monotonic() + self.settings.kubernetes_ready_poll_seconds
        last = ""
        while True:
            ready, progress = self.release.readiness(tenant)
            if ready:
                log.info("runtime_ready", tenant=tenant.slug, progress=progress)
                return
            if progress != last:
                report(progress)
                last = progress
            if time.monotonic() >= deadline:
                raise TemporaryError(f"runtime not ready: {progress}", delay=2)
            time.sleep(POLL_INTERVAL)

    def remove_runtime(self, tenant: TenantSpec, report: ProgressReporter) -> bool:
        """Uninstall the release, delete the namespace and wait until it is gone (its finalizer runs once
        everything in it is deleted). The databases stay until the purge."""
        if not tenant.dedicated:
            return False
        with _requests(self.api, "remove_runtime", tenant):
            return self._remove_runtime(tenant, report)

    def _remove_runtime(self, tenant: TenantSpec, report: ProgressReporter) -> bool:
        name = self.namespace(tenant)
        existing = self.api.get("Namespace", None, name)
        if existing is None:
            return False
        if existing["metadata"].get("deletionTimestamp") is None:
            self.release.uninstall(tenant)
            self.api.delete("Namespace", None, name)
            log.info("tenant_namespace_deleting", tenant=tenant.slug, namespace=name)
        deadline = time.monotonic() + self.settings.kubernetes_ready_poll_seconds
        last = ""
        while True:
            current = self.api.get("Namespace", None, name)
            if current is None:
                log.info("tenant_namespace_deleted", tenant=tenant.slug, namespace=name)
                return True
            if (progress := _termination_progress(current)) != last:
                report(progress)
                last = progress
            if time.monotonic() >= deadline:
                raise TemporaryError(f"namespace {name} still terminating", delay=3)
            time.sleep(POLL_INTERVAL)

    def verify(self, tenant: TenantSpec, client_id: str, secret: str) -> None:
        base = objects.verify_base_url(self.settings, tenant) if tenant.dedicated else self.api_base_url(tenant)
        verify_call(tenant, base, client_id, secret)

    def runtime_admin(self, tenant: TenantSpec) -> RuntimeAdmin:
        """A dedicated tenant's own runtime (pinned: the tenant at the root) through its Service, with the token in
        its Secret; a shared-tier tenant at its pool's process (``/t/<slug>``) with the shared runtime's token."""
        if tenant.dedicated:
            base = objects.verify_base_url(self.settings, tenant)
            return RuntimeAdmin(base, runtime_admin_token(self.settings.secret_key, tenant.slug))
        root = self.settings.runtime_pool_routes.get(self._pool(tenant), self.settings.runtime_public_url)
        return RuntimeAdmin(f"{root.rstrip('/')}/t/{tenant.slug}", shared_runtime_admin_token(self.settings))

    def request_counts(self, tenant: TenantSpec) -> tuple[float, float] | None:
        """From ``/metrics`` of the runtime serving the tenant: a dedicated runtime at its verification address
        (one pod per scrape behind its Service), a shared pool at its ``ZGW_RUNTIME_POOL_ROUTES`` address."""
        if tenant.dedicated:
            root = objects.verify_base_url(self.settings, tenant)
        else:
            root = self.settings.runtime_pool_routes.get(self._pool(tenant), self.settings.runtime_public_url)
        return read_request_counts(root, tenant.slug)

    # --- observing ------------------------------------------------------------------------------------
    def observe(self, tenant: TenantSpec) -> Observation:
        database = self.databases.state(tenant)
        if tenant.dedicated:
            registration = self.registries.registration(tenant)
            expected_url = self.runtime_database_url(tenant)
        else:
            registration = self.shared_registry.registration(tenant)
            expected_url = self.databases.database_url(tenant)
        drift: tuple[str, ...] = ()
        if tenant.dedicated:
            with _requests(self.api, "observe", tenant):
                drift = tuple(self.runtime_drift(tenant, registration.status or RuntimeStatus.ACTIVE))
        return Observation(
            database_exists=database.exists,
            schema_current=database.schema_current,
            registered=registration.registered,
            status=registration.status,
            registered_database_matches=registration.registered and registration.database_url == expected_url,
            runtime_drift=drift,
        )

    def runtime_drift(self, tenant: TenantSpec, status: RuntimeStatus) -> list[str]:
        """What differs between the cluster and the tenant's desired namespace and release (few reads: no render)."""
        namespace = self.namespace(tenant)
        found = self.api.get("Namespace", None, namespace)
        if found is None:
            return ["Namespace ontbreekt"]
        drift: list[str] = []
        wanted_labels = objects.namespace(self.settings, tenant)["metadata"]["labels"]
        labels = found["metadata"].get("labels") or {}
        if any(labels.get(k) != v for k, v in wanted_labels.items()):
            drift.append("Namespace-labels gewijzigd")
        quota = self.api.get("ResourceQuota", namespace, objects.QUOTA)
        if quota is None:
            drift.append("ResourceQuota ontbreekt")
        elif not _same_quantities(objects.quota_hard(tenant.sizing), quota.get("spec", {}).get("hard") or {}):
            drift.append("ResourceQuota gewijzigd")
        limits = self.api.get("LimitRange", namespace, objects.LIMITS)
        if limits is None:
            drift.append("LimitRange ontbreekt")
        elif not _same_limit_range(objects.limit_range_item(tenant.sizing), limits):
            drift.append("LimitRange gewijzigd")
        secret = self.api.get("Secret", namespace, objects.SECRET)
        wanted_secret = objects.encode_secret_data(self.secret_data(tenant))
        if secret is None:
            drift.append("Secret ontbreekt")
        elif any((secret.get("data") or {}).get(k) != v for k, v in wanted_secret.items()):
            drift.append("Secret gewijzigd")
        record = self.release.record(tenant)
        if record is None:
            return [*drift, "release ontbreekt"]
        data = record.get("data") or {}
        if data.get("valuesDigest") != objects.digest(objects.release_values(self.settings, tenant, status)):
            drift.append("release verouderd")
        keys = json.loads(data.get("objects", "[]"))
        policies = {p["metadata"]["name"] for p in self.api.list("NetworkPolicy", namespace)}
        if objects.NAMESPACE_DENY not in policies:
            drift.append(f"NetworkPolicy {objects.NAMESPACE_DENY} ontbreekt")
        present = {"NetworkPolicy": policies}
        for kind in sorted({k.split("/", 1)[0] for k in keys} - {"NetworkPolicy"}):
            items = self.api.list(kind, namespace)
            present[kind] = {item["metadata"]["name"] for item in items}
            if kind == "Deployment":
                drift += _deployment_drift(items, json.loads(data.get("image", "{}")), data.get("status", ""), status)
        drift += [f"{key.replace('/', ' ')} ontbreekt" for key in keys
                  if key.split("/", 1)[1] not in present.get(key.split("/", 1)[0], set())]  # fmt: skip
        return drift


def _deployment_drift(
    items: list[Manifest], image: dict[str, str], applied_status: str, status: RuntimeStatus
) -> list[str]:
    drift = []
    for item in items:
        name = item["metadata"]["name"]
        if applied_status and applied_status != status.value:
            drift.append(f"Deployment {name} staat op {applied_status}")
        wanted = image.get("digest") or image.get("tag")
        for container in item.get("spec", {}).get("template", {}).get("spec", {}).get("containers", []):
            if wanted and not str(container.get("image", "")).endswith(wanted):
                drift.append(f"Deployment {name}: image {container.get('image')}")
    return drift


def _same_quantities(wanted: dict[str, str], actual: dict[str, str]) -> bool:
    from kubernetes.utils import parse_quantity

    try:
        return all(
            key in actual and parse_quantity(actual[key]) == parse_quantity(value)  # type: ignore[no-untyped-call]
            for key, value in wanted.items()
        )
    except ValueError:
        return False


def _same_limit_range(wanted: dict[str, Any], actual: Manifest) -> bool:
    items = [i for i in actual.get("spec", {}).get("limits") or [] if i.get("type") == "Container"]
    if len(items) != 1:
        return False
    fields = ("default", "defaultRequest", "max")
    return all(_same_quantities(wanted[field], items[0].get(field) or {}) for field in fields)


def _termination_progress(namespace: Manifest) -> str:
    conditions = [c for c in namespace.get("status", {}).get("conditions") or [] if c.get("status") == "True"]
    remaining = "; ".join(c.get("message", "") for c in conditions if c.get("type", "").startswith("NamespaceContent"))
    finalizers = ", ".join(namespace.get("spec", {}).get("finalizers") or []) or "geen"
    return f"namespace wordt verwijderd (finalizers: {finalizers}){'; ' + remaining if remaining else ''}"[:500]
