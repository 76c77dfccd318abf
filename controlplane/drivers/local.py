"""The local driver: the shared tenant runtime runs on this machine (or next to it) and every tenant gets
its own PostgreSQL database and role (when the runtime registry lives in PostgreSQL, or a server is
configured) or its own SQLite file (embedded default)."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import shutil
import sqlite3
import subprocess
import threading
from datetime import UTC, datetime
from pathlib import Path

import httpx
import structlog
from sqlalchemy import select, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.orm import Session

import tenant_runtime
from controlplane.config import Settings
from controlplane.drivers.interfaces import (
    ClientSpec,
    ExportResult,
    Observation,
    PermanentError,
    RuntimeStatus,
    TemporaryError,
    TenantSpec,
)
from tenant_runtime.autorisaties import admin as runtime_admin
from tenant_runtime.autorisaties.models import ClientCredential
from tenant_runtime.db.engines import build_engine
from tenant_runtime.db.meta import TenantMeta
from tenant_runtime.db.migrate import database_heads
from tenant_runtime.db.urls import normalise_url
from tenant_runtime.registry.models import TenantStatus
from tenant_runtime.registry.repository import TenantRegistry
from tenant_runtime.tenants import service as runtime_tenants

log = structlog.get_logger(__name__)

DATABASE_PREFIX = "zgwt_"
# The path a verification call reads: the Notificaties API's kanalen (needs only notificaties.consumeren).
VERIFY_PATH = "/notificaties/api/v1/kanaal"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class LocalDriver:
    name = "local"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._registry_engine = build_engine(settings.runtime_registry_url, pool_size=2, max_overflow=2)
        self.registry = TenantRegistry(self._registry_engine, cache_seconds=0)
        self._registry_ready = False
        self._lock = threading.Lock()

    def close(self) -> None:
        self._registry_engine.dispose()

    # --- where things are -------------------------------------------------------------------------
    @property
    def server_url(self) -> URL | None:
        """The PostgreSQL server (maintenance database) tenant databases are created on, or None for SQLite."""
        if self.settings.tenant_database_server_url:
            return normalise_url(self.settings.tenant_database_server_url).set(database="postgres")
        registry = make_url(self.settings.runtime_registry_url)
        if registry.get_backend_name() == "postgresql":
            return normalise_url(registry).set(database="postgres")
        return None

    def database_name(self, tenant: TenantSpec) -> str:
        if self.server_url is None:
            return tenant.slug  # the SQLite file <runtime data dir>/tenants/<slug>.db
        slug = tenant.slug.replace("-", "_")
        if len(slug) > 40:  # PostgreSQL names are at most 63 bytes
            slug = slug[:30] + "_" + hashlib.sha256(tenant.slug.encode()).hexdigest()[:10]
        return DATABASE_PREFIX + slug

    def _password(self, tenant: TenantSpec) -> str:
        # Derived, not stored: every retry of the create step sets the same password.
        return hmac.new(self.settings.secret_key.encode(), f"tenant-db:{tenant.slug}".encode(), "sha256").hexdigest()

    def database_url(self, tenant: TenantSpec) -> str:
        server = self.server_url
        if server is None:
            return runtime_tenants.sqlite_tenant_url(self.settings.runtime_data_dir, tenant.slug)
        url = server.set(
            database=self.database_name(tenant), username=self.database_name(tenant), password=self._password(tenant)
        )
        return url.render_as_string(hide_password=False)

    def _admin_url(self, tenant: TenantSpec) -> URL:
        """The tenant database reached with the server's administrative credentials."""
        server = self.server_url
        assert server is not None
        return server.set(database=self.database_name(tenant))

    def runtime_version(self) -> str:
        return tenant_runtime.__version__

    def api_base_url(self, tenant: TenantSpec) -> str:
        return f"{self.settings.runtime_public_url.rstrip('/')}/t/{tenant.slug}"

    # --- lifecycle steps --------------------------------------------------------------------------
    def create_database(self, tenant: TenantSpec) -> bool:
        server = self.server_url
        if server is None:
            return runtime_tenants.create_database(self.database_url(tenant))
        name, password = self.database_name(tenant), self._password(tenant)
        engine = build_engine(server, pooled=False)
        try:
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                role_exists = connection.execute(
                    text("SELECT 1 FROM pg_roles WHERE rolname = :n"), {"n": name}
                ).scalar()
                verb = "ALTER" if role_exists else "CREATE"
                # The password is a hex digest (no quotes possible); DDL takes no bind parameters.
                connection.execute(text(f"{verb} ROLE {_quote(name)} WITH LOGIN PASSWORD '{password}'"))
                exists = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar()
                if exists:
                    return False
                try:
                    connection.execute(text(f"CREATE DATABASE {_quote(name)} OWNER {_quote(name)}"))
                except ProgrammingError as exc:  # created concurrently by a re-delivered task
                    if "already exists" not in str(exc):
                        raise
                    return False
                connection.execute(text(f"REVOKE ALL ON DATABASE {_quote(name)} FROM PUBLIC"))
                log.info("tenant_database_created", tenant=tenant.slug, database=name)
                return True
        finally:
            engine.dispose()

    def migrate(self, tenant: TenantSpec) -> None:
        url = self.database_url(tenant)
        runtime_tenants.migrate_tenant_database(url)
        engine = build_engine(url, pooled=False)
        try:
            with Session(engine) as session, session.begin():
                session.merge(TenantMeta(key="tenant_slug", value=tenant.slug))
        finally:
            engine.dispose()

    def push_clients(self, tenant: TenantSpec, clients: list[ClientSpec]) -> None:
        engine = build_engine(self.database_url(tenant), pooled=False)
        try:
            with Session(engine) as session, session.begin():
                for client in clients:
                    runtime_admin.upsert_application(
                        session,
                        runtime_admin.ApplicationSpec(
                            client_id=client.client_id,
                            label=client.label,
                            heeft_alle_autorisaties=client.heeft_alle_autorisaties,
                            autorisaties=[
                                runtime_admin.AutorisatieSpec(
                                    component=a.component,
                                    scopes=list(a.scopes),
                                    zaaktype=a.zaaktype,
                                    informatieobjecttype=a.informatieobjecttype,
                                    besluittype=a.besluittype,
                                    max_vertrouwelijkheidaanduiding=a.max_vertrouwelijkheidaanduiding,
                                )
                                for a in client.autorisaties
                            ],
                        ),
                    )
                    self._sync_secrets(session, client)
        finally:
            engine.dispose()

    @staticmethod
    def _sync_secrets(session: Session, client: ClientSpec) -> None:
        existing = {
            c.secret: c
            for c in session.scalars(select(ClientCredential).where(ClientCredential.client_id == client.client_id))
        }
        wanted = {s.secret: s for s in client.secrets}
        for secret, row in existing.items():
            if secret not in wanted:
                session.delete(row)
            else:
                row.expires_at = wanted[secret].expires_at
        for secret, spec in wanted.items():
            if secret not in existing:
                runtime_admin.add_credential(session, client.client_id, secret, spec.expires_at)

    def revoke_client(self, tenant: TenantSpec, client_id: str) -> None:
        engine = build_engine(self.database_url(tenant), pooled=False)
        try:
            with Session(engine) as session, session.begin():
                runtime_admin.revoke_client(session, client_id)
        finally:
            engine.dispose()

    def _ensure_registry(self) -> None:
        with self._lock:
            if not self._registry_ready:
                runtime_tenants.migrate_registry(self.settings.runtime_registry_url)
                self._registry_ready = True

    def register(self, tenant: TenantSpec, status: RuntimeStatus) -> None:
        self._ensure_registry()
        self.registry.upsert(
            slug=tenant.slug,
            name=tenant.name,
            database_url=self.database_url(tenant),
            status=TenantStatus(status.value),
        )

    def verify(self, tenant: TenantSpec, client_id: str, secret: str) -> None:
        token = runtime_admin.make_jwt(client_id, secret)
        url = self.api_base_url(tenant) + VERIFY_PATH
        try:
            response = httpx.get(
                url, headers={"Authorization": f"Bearer {token}", "Accept-Crs": "EPSG:4326"}, timeout=10
            )
        except httpx.TransportError as exc:
            raise TemporaryError(f"runtime not reachable at {url}: {type(exc).__name__}", delay=3) from None
        if response.status_code != 200:
            raise TemporaryError(f"verification call GET {url} answered {response.status_code}", delay=2)
        log.info("tenant_verified", tenant=tenant.slug, url=url)

    def export(self, tenant: TenantSpec, directory: Path, name: str, index: dict[str, object]) -> ExportResult:
        directory.mkdir(parents=True, exist_ok=True)
        server = self.server_url
        data_file = directory / (name + (".sqlite3" if server is None else ".dump"))
        partial = data_file.with_name(data_file.name + ".partial")
        if server is None:
            source_path = make_url(self.database_url(tenant)).database or ""
            if not Path(source_path).exists():
                raise PermanentError(f"tenant database {source_path} does not exist")
            with sqlite3.connect(source_path) as source, sqlite3.connect(partial) as target:
                source.backup(target)
            fmt = "sqlite3"
        else:
            pg_dump = shutil.which("pg_dump")
            if pg_dump is None:
                raise PermanentError("pg_dump is not installed")
            url = self._admin_url(tenant)
            env = {**os.environ, "PGPASSWORD": url.password or ""} if url.password else dict(os.environ)
            libpq = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
            result = subprocess.run(
                [pg_dump, "--format=custom", "--no-owner", "--file", str(partial), "--dbname", libpq],
                env=env,
                capture_output=True,
                text=True,
                timeout=3600,
                check=False,
            )
            if result.returncode != 0:
                raise TemporaryError(f"pg_dump failed: {result.stderr.strip()[:500]}", delay=10)
            fmt = "pg_dump-custom"
        partial.replace(data_file)
        digest = hashlib.sha256()
        with data_file.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        size = data_file.stat().st_size
        index_file = directory / f"{name}.json"
        document = {
            **index,
            "tenant": tenant.slug,
            "name": tenant.name,
            "format": fmt,
            "file": data_file.name,
            "size_bytes": size,
            "sha256": digest.hexdigest(),
            "schema_revisions": sorted(database_heads(self.database_url(tenant))),
            "runtime_version": self.runtime_version(),
            "created_at": datetime.now(UTC).isoformat(),
        }
        temporary_index = index_file.with_name(index_file.name + ".partial")
        temporary_index.write_text(json.dumps(document, indent=2, sort_keys=True))
        temporary_index.replace(index_file)
        log.info("tenant_exported", tenant=tenant.slug, file=str(data_file), size_bytes=size)
        return ExportResult(data_file, index_file, size, digest.hexdigest())

    def unregister(self, tenant: TenantSpec) -> bool:
        self._ensure_registry()
        return self.registry.remove(tenant.slug)

    def drop_database(self, tenant: TenantSpec) -> bool:
        server = self.server_url
        if server is None:
            return runtime_tenants.drop_database(self.database_url(tenant))
        dropped = runtime_tenants.drop_database(self._admin_url(tenant).render_as_string(hide_password=False))
        engine = build_engine(server, pooled=False)
        try:
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text(f"DROP ROLE IF EXISTS {_quote(self.database_name(tenant))}"))
        finally:
            engine.dispose()
        log.info("tenant_database_dropped", tenant=tenant.slug, dropped=dropped)
        return dropped

    def _database_exists(self, tenant: TenantSpec) -> bool:
        server = self.server_url
        if server is None:
            return Path(make_url(self.database_url(tenant)).database or "").exists()
        return self.database_name(tenant) in self.managed_databases()

    def observe(self, tenant: TenantSpec) -> Observation:
        exists = self._database_exists(tenant)
        current = exists and runtime_tenants.tenant_schema_is_current(self.database_url(tenant))
        self._ensure_registry()
        info = self.registry.get(tenant.slug)
        status = None
        if info is not None and info.status.value in {s.value for s in RuntimeStatus}:
            status = RuntimeStatus(info.status.value)
        return Observation(
            database_exists=exists,
            schema_current=current,
            registered=info is not None,
            status=status,
            registered_database_matches=info is not None and info.database_url == self.database_url(tenant),
        )

    def managed_databases(self) -> set[str]:
        server = self.server_url
        if server is None:
            folder = self.settings.runtime_data_dir / "tenants"
            return {p.stem for p in folder.glob("*.db")} if folder.exists() else set()
        engine = build_engine(server, pooled=False)
        try:
            with engine.connect() as connection:
                rows = connection.execute(
                    text("SELECT datname FROM pg_database WHERE datname LIKE :p"), {"p": DATABASE_PREFIX + "%"}
                )
                return {row[0] for row in rows}
        finally:
            engine.dispose()
