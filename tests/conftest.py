"""Session-wide real services (started lazily, once) and per-test fresh resources."""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
import redis
import structlog
from fastapi.testclient import TestClient

from controlplane.config import Settings
from tenant_runtime.config import RuntimeSettings
from tests.fixtures.kubernetes import KubeCluster
from tests.fixtures.services import MinioServer, PostgresServer, RedisServer, StripeMockServer

# structlog's unconfigured default renders a logged exception with rich, every frame's locals included: seconds per
# error, on a runtime's event loop too. Tests log as the processes do (tenant_runtime.logging): plain tracebacks.
structlog.configure(
    processors=[*structlog.get_config()["processors"][:-1],
                structlog.dev.ConsoleRenderer(colors=False, exception_formatter=structlog.dev.plain_traceback)]
)  # fmt: skip


@pytest.fixture(scope="session")
def services_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="zgw-test-services-"))
    path.chmod(0o755)  # PostgreSQL runs as its own user and must reach its data dir
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _service_dir(root: Path, name: str) -> Path:
    path = root / name
    path.mkdir()
    return path


@pytest.fixture(scope="session")
def postgres_server(services_dir: Path) -> Iterator[PostgresServer]:
    server = PostgresServer.start(_service_dir(services_dir, "postgres"))
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _drop_test_databases(request: pytest.FixtureRequest) -> Iterator[None]:
    """Drop the databases a test (and its function-scoped fixtures) created once it ends, so a full run does not
    keep ~10 MB per database on disk. Wider-scoped fixtures are set up before this one, so their databases are in
    the snapshot and survive."""
    if "postgres_server" not in request.fixturenames or os.environ.get("ZGW_TEST_POSTGRES_URL"):
        yield
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    before = server.databases()
    yield
    server.drop_databases(server.databases() - before)


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """A fresh, empty PostgreSQL database for this test."""
    return postgres_server.create_database()


@pytest.fixture(scope="session")
def redis_server(services_dir: Path) -> Iterator[RedisServer]:
    server = RedisServer.start(_service_dir(services_dir, "redis"))
    yield server
    server.stop()


_redis_databases = itertools.cycle(range(1, 64))


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """A flushed Redis logical database for this test."""
    url = f"{redis_server.url}/{next(_redis_databases)}"
    redis.Redis.from_url(url).flushdb()
    return url


@pytest.fixture(scope="session")
def stripe_mock(services_dir: Path) -> Iterator[StripeMockServer]:
    server = StripeMockServer.start(_service_dir(services_dir, "stripe-mock"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def minio_server(services_dir: Path) -> Iterator[MinioServer]:
    server = MinioServer.start(_service_dir(services_dir, "minio"))
    yield server
    server.stop()


@dataclass(frozen=True)
class S3Bucket:
    endpoint: str
    access_key: str
    secret_key: str
    bucket: str

    def client(self):  # type: ignore[no-untyped-def]
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name="us-east-1",
        )


@pytest.fixture
def s3_bucket(minio_server: MinioServer) -> S3Bucket:
    """A fresh, empty bucket on the test MinIO server."""
    bucket = S3Bucket(
        minio_server.endpoint,
        minio_server.access_key,
        minio_server.secret_key,
        f"test-{uuid.uuid4().hex[:16]}",
    )
    bucket.client().create_bucket(Bucket=bucket.bucket)
    return bucket


@pytest.fixture(scope="session")
def kube_cluster(services_dir: Path) -> Iterator[KubeCluster]:
    cluster = KubeCluster.start(_service_dir(services_dir, "kubernetes"))
    yield cluster
    cluster.stop()


@pytest.fixture
def kubeconfig(kube_cluster: KubeCluster) -> Path:
    return kube_cluster.kubeconfig


@pytest.fixture
def runtime_settings(tmp_path: Path) -> RuntimeSettings:
    return RuntimeSettings(environment="test", data_dir=tmp_path / "runtime", registry_cache_seconds=0)


@pytest.fixture
def runtime_client(runtime_settings: RuntimeSettings) -> Iterator[TestClient]:
    from tenant_runtime.main import create_app
    from tenant_runtime.tenants.service import migrate_registry

    migrate_registry(runtime_settings.registry_url)
    with TestClient(create_app(runtime_settings)) as client:
        yield client


TEST_ENCRYPTION_KEY = "zP3o0sVt0H8oX3f3a0m0b3Yy6c5V7Qe6J2pQm3JrXx8="  # a fixed Fernet key, tests only


@pytest.fixture
def controlplane_settings(tmp_path: Path, postgres_url: str) -> Settings:
    return Settings(
        environment="test",
        encryption_key=TEST_ENCRYPTION_KEY,
        data_dir=tmp_path / "cp",
        database_url=postgres_url,
        runtime_data_dir=tmp_path / "runtime",
        runtime_registry_url="",
    )


@pytest.fixture
def controlplane_client(controlplane_settings: Settings) -> Iterator[TestClient]:
    from controlplane.cli import migrate_controlplane
    from controlplane.main import create_app

    migrate_controlplane(controlplane_settings)
    with TestClient(create_app(controlplane_settings)) as client:
        yield client
