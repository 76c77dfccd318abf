"""One conformance suite for every provisioning driver (house rule 9): each operation is idempotent — run twice it
converges and reports honestly whether it changed something — and observe tells the truth at every stage. Run
for the local driver, the Kubernetes driver's shared tier and its dedicated tier (on the test cluster)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from controlplane.accounts.tokens import shared_runtime_admin_token
from controlplane.credentials.service import PLATFORM_AUTORISATIES, new_secret
from controlplane.drivers.interfaces import (
    ClientSpec,
    RuntimeStatus,
    SecretSpec,
    TemporaryError,
    TenantDriver,
    TenantSpec,
)
from controlplane.drivers.kubernetes import KubernetesDriver
from controlplane.drivers.local import LocalDriver
from tenant_runtime.config import RuntimeSettings
from tenant_runtime.main import create_app as create_runtime
from tests.controlplane.conftest import make_settings
from tests.controlplane.drivers.conftest import kubernetes_settings
from tests.fixtures.kubernetes import KubeCluster
from tests.fixtures.processes import free_port
from tests.fixtures.services import PostgresServer
from tests.tenant_runtime.live import serve


@pytest.fixture(params=["local", pytest.param("kubernetes-shared", marks=pytest.mark.k8s),
                        pytest.param("kubernetes-dedicated", marks=pytest.mark.k8s)])  # fmt: skip
def subject(
    request: pytest.FixtureRequest, tmp_path: Path, postgres_server: PostgresServer
) -> Iterator[tuple[TenantDriver, TenantSpec]]:
    """A driver, a tenant, and a real runtime serving that tenant where the driver says it is."""
    driver: TenantDriver
    port = free_port()
    if request.param == "local":
        settings = make_settings(tmp_path, postgres_server, runtime_public_url=f"http://127.0.0.1:{port}")
        driver, spec = LocalDriver(settings), TenantSpec("conform", "Gemeente Conform")
    else:
        cluster: KubeCluster = request.getfixturevalue("kube_cluster")
        settings = kubernetes_settings(tmp_path, postgres_server, cluster, port,
                                       runtime_public_url=f"http://127.0.0.1:{port}")  # fmt: skip
        driver = KubernetesDriver(settings)
        tier = "dedicated" if request.param.endswith("dedicated") else "shared"
        spec = TenantSpec("conform", "Gemeente Conform", tier=tier)
    if spec.dedicated:  # its own runtime, pinned to it, on its own registry, with its Secret (as its pods run it)
        assert isinstance(driver, KubernetesDriver)
        runtime = RuntimeSettings(environment="test", pinned_tenant=spec.slug, registry_url=driver.registries.url(spec),
                                  data_dir=tmp_path / "rt", registry_cache_seconds=0,
                                  admin_token=driver.secret_data(spec)["ZGW_RUNTIME_ADMIN_TOKEN"])  # fmt: skip
    else:  # the shared runtime on the shared registry, with the shared admin token (as deployed)
        runtime = RuntimeSettings(environment="test", registry_url=settings.runtime_registry_url,
                                  data_dir=tmp_path / "rt", registry_cache_seconds=0,
                                  admin_token=shared_runtime_admin_token(settings))  # fmt: skip
    with serve(create_runtime(runtime), port):
        yield driver, spec
    driver.remove_runtime(spec, lambda _: None)
    driver.drop_database(spec)
    close = getattr(driver, "close", None)
    if close is not None:
        close()


def test_every_operation_is_idempotent_and_observed(subject: tuple[TenantDriver, TenantSpec]) -> None:
    driver, spec = subject
    progress: list[str] = []
    before = driver.observe(spec)
    assert not before.database_exists and not before.registered and before.status is None

    assert driver.create_database(spec) is True
    assert driver.create_database(spec) is False  # a retry never makes a second one
    assert driver.database_name(spec) in driver.managed_databases()
    driver.migrate(spec)
    driver.migrate(spec)
    driver.register(spec, RuntimeStatus.ACTIVE)
    driver.register(spec, RuntimeStatus.ACTIVE)
    driver.deploy_runtime(spec, RuntimeStatus.ACTIVE)
    driver.deploy_runtime(spec, RuntimeStatus.ACTIVE)
    driver.wait_ready(spec, progress.append)
    secret = new_secret()
    client = ClientSpec("conformance", "Conformance", [SecretSpec(secret)], autorisaties=PLATFORM_AUTORISATIES)
    driver.push_clients(spec, [client])
    driver.push_clients(spec, [client])
    driver.verify(spec, "conformance", secret)  # a real authenticated ZGW call where the driver says it serves
    with pytest.raises(TemporaryError):
        driver.verify(spec, "conformance", "not-the-secret")
    observed = driver.observe(spec)
    assert observed.database_exists and observed.schema_current and observed.registered
    assert observed.status is RuntimeStatus.ACTIVE and observed.registered_database_matches
    assert observed.runtime_drift == ()

    driver.register(spec, RuntimeStatus.SUSPENDED)
    assert driver.observe(spec).status is RuntimeStatus.SUSPENDED
    with pytest.raises(TemporaryError, match="403"):
        driver.verify(spec, "conformance", secret)  # suspended: refused
    driver.deploy_runtime(spec, RuntimeStatus.SUSPENDED)
    driver.wait_ready(spec, progress.append)  # zero replicas: ready at once
    assert driver.observe(spec).runtime_drift == ()

    removed = driver.remove_runtime(spec, progress.append)
    assert removed is spec.dedicated  # only a dedicated tenant has a runtime of its own
    assert driver.remove_runtime(spec, progress.append) is False
    assert driver.observe(spec).database_exists  # the data stays until it is dropped
    assert driver.unregister(spec) is True
    assert driver.unregister(spec) is False
    assert driver.drop_database(spec) is True
    assert driver.drop_database(spec) is False
    after = driver.observe(spec)
    assert not after.database_exists and not after.registered
    assert driver.database_name(spec) not in driver.managed_databases()


def test_runtime_admin_reaches_the_runtime_serving_the_tenant(subject: tuple[TenantDriver, TenantSpec]) -> None:
    """Where the driver says the tenant's /beheer API is, with its token, the runtime answers for that tenant."""
    driver, spec = subject
    driver.create_database(spec)
    driver.migrate(spec)
    driver.register(spec, RuntimeStatus.ACTIVE)
    driver.deploy_runtime(spec, RuntimeStatus.ACTIVE)
    admin = driver.runtime_admin(spec)
    assert admin.token not in repr(admin)  # never in logs or tracebacks
    url = f"{admin.base_url}/beheer/notificaties/deliveries"
    answer = httpx.get(url, headers={"Authorization": f"Bearer {admin.token}"}, timeout=10)
    assert answer.status_code == 200, answer.text
    assert answer.json()["count"] == 0
    assert httpx.get(url, headers={"Authorization": "Bearer guess"}, timeout=10).status_code == 401
