"""Tenant databases and runtime registries, shared by every driver: a tenant's database (and role) lives on the
configured PostgreSQL server whatever runs its runtime (the shared runtime on this machine, or a dedicated
release on Kubernetes), or is a SQLite file in the embedded default."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import shutil
import sqlite3
import subprocess
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import structlog
from sqlalchemy import Engine, select, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.orm import Session

import tenant_runtime
from controlplane.config import Settings
from controlplane.drivers.interfaces import (
    ClientSpec,
    ExportResult,
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


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def pg_name(prefix: str, slug: str) -> str:
    """A PostgreSQL name (at most 63 bytes) for a tenant slug, deterministic: a retry never makes a second one."""
    name = slug.replace("-", "_")
    if len(name) > 40:
        name = name[:30] + "_" + hashlib.sha256(slug.encode()).hexdigest()[:10]
    return prefix + name


@dataclass(frozen=True)
class DatabaseState:
    exists: bool
    schema_current: bool


class TenantDatabases:
    """Create, migrate, fill (applications and secrets), export and drop tenant databases."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

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
        return pg_name(DATABASE_PREFIX, tenant.slug)

    def role_name(self, tenant: TenantSpec) -> str:
        """The tenant's own login role (PostgreSQL): it owns the tenant's database and nothing else."""
        return self.database_name(tenant)

    def password(self, tenant: TenantSpec) -> str:
        # Derived, not stored: every retry of the create step sets the same password.
        return hmac.new(self.settings.secret_key.encode(), f"tenant-db:{tenant.slug}".encode(), "sha256").hexdigest()

    def database_url(self, tenant: TenantSpec) -> str:
        """The URL the runtime uses for the tenant's database (the tenant's own role)."""
        server = self.server_url
        if server is None:
            return runtime_tenants.sqlite_tenant_url(self.settings.runtime_data_dir, tenant.slug)
        return self.url_for(tenant, self.database_name(tenant))

    def url_for(self, tenant: TenantSpec, database: str) -> str:
        """A database on the server, reached as the tenant's role."""
        server = self.server_url
        assert server is not None
        url = server.set(database=database, username=self.role_name(tenant), password=self.password(tenant))
        return url.render_as_string(hide_password=False)

    def admin_url(self, tenant: TenantSpec, database: str | None = None) -> URL:
        """The tenant database (or another of the server) reached with the server's administrative credentials."""
        server = self.server_url
        assert server is not None
        return server.set(database=database or self.database_name(tenant))

    # --- lifecycle --------------------------------------------------------------------------------
    def ensure_role(self, tenant: TenantSpec) -> None:
        server = self.server_url
        assert server is not None
        name, password = self.role_name(tenant), self.password(tenant)
        engine = build_engine(server, pooled=False)
        try:
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                role_exists = connection.execute(
                    text("SELECT 1 FROM pg_roles WHERE rolname = :n"), {"n": name}
                ).scalar()
                verb = "ALTER" if role_exists else "CREATE"
                # The password is a hex digest (no quotes possible); DDL takes no bind parameters.
                connection.execute(text(f"{verb} ROLE {quote_ident(name)} WITH LOGIN PASSWORD '{password}'"))
        finally:
            engine.dispose()

    def create_owned_database(self, tenant: TenantSpec, database: str) -> bool:
        """Create ``database`` owned by the tenant's role (which must exist), closed to everyone else."""
        server = self.server_url
        assert server is not None
        owner = self.role_name(tenant)
        engine = build_engine(server, pooled=False)
        try:
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                exists = connection.execute(
                    text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": database}
                ).scalar()
                if exists:
                    return False
                try:
                    connection.execute(text(f"CREATE DATABASE {quote_ident(database)} OWNER {quote_ident(owner)}"))
                except ProgrammingError as exc:  # created concurrently by a re-delivered task
                    if "already exists" not in str(exc):
                        raise
                    return False
                connection.execute(text(f"REVOKE ALL ON DATABASE {quote_ident(database)} FROM PUBLIC"))
                log.info("tenant_database_created", tenant=tenant.slug, database=database)
                return True
        finally:
            engine.dispose()

    def create(self, tenant: TenantSpec) -> bool:
        """Create the tenant's database (and its role); returns whether something was created."""
        if self.server_url is None:
            return runtime_tenants.create_database(self.database_url(tenant))
        self.ensure_role(tenant)
        return self.create_owned_database(tenant, self.database_name(tenant))

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
        """Make these applications and secrets exist in the tenant's database (exactly these secrets)."""
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

    def export(self, tenant: TenantSpec, directory: Path, name: str, index: dict[str, object]) -> ExportResult:
        """Write a full export of the tenant database and a JSON index describing it to ``directory``."""
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
            url = self.admin_url(tenant)
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
            "runtime_version": tenant_runtime.__version__,
            "created_at": datetime.now(UTC).isoformat(),
        }
        temporary_index = index_file.with_name(index_file.name + ".partial")
        temporary_index.write_text(json.dumps(document, indent=2, sort_keys=True))
        temporary_index.replace(index_file)
        log.info("tenant_exported", tenant=tenant.slug, file=str(data_file), size_bytes=size)
        return ExportResult(data_file, index_file, size, digest.hexdigest())

    def drop_database(self, tenant: TenantSpec, database: str) -> bool:
        return runtime_tenants.drop_database(self.admin_url(tenant, database).render_as_string(hide_password=False))

    def drop_role(self, tenant: TenantSpec) -> None:
        server = self.server_url
        assert server is not None
        engine = build_engine(server, pooled=False)
        try:
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text(f"DROP ROLE IF EXISTS {quote_ident(self.role_name(tenant))}"))
        finally:
            engine.dispose()

    def drop(self, tenant: TenantSpec) -> bool:
        """Drop the tenant's database (and role); returns whether something was dropped."""
        if self.server_url is None:
            return runtime_tenants.drop_database(self.database_url(tenant))
        dropped = self.drop_database(tenant, self.database_name(tenant))
        self.drop_role(tenant)
        log.info("tenant_database_dropped", tenant=tenant.slug, dropped=dropped)
        return dropped

    # --- observing --------------------------------------------------------------------------------
    def exists(self, tenant: TenantSpec) -> bool:
        if self.server_url is None:
            return Path(make_url(self.database_url(tenant)).database or "").exists()
        return self.database_name(tenant) in self.managed_databases()

    def state(self, tenant: TenantSpec) -> DatabaseState:
        exists = self.exists(tenant)
        return DatabaseState(exists, exists and runtime_tenants.tenant_schema_is_current(self.database_url(tenant)))

    def managed_databases(self, prefix: str = DATABASE_PREFIX) -> set[str]:
        """Names of every tenant database that exists on the server (for orphan detection)."""
        server = self.server_url
        if server is None:
            folder = self.settings.runtime_data_dir / "tenants"
            return {p.stem for p in folder.glob("*.db")} if folder.exists() else set()
        engine = build_engine(server, pooled=False)
        try:
            with engine.connect() as connection:
                rows = connection.execute(
                    text("SELECT datname FROM pg_database WHERE datname LIKE :p"), {"p": prefix + "%"}
                )
                return {row[0] for row in rows}
        finally:
            engine.dispose()


@dataclass(frozen=True)
class Registration:
    registered: bool
    status: RuntimeStatus | None
    database_url: str


class RegistryWriter:
    """A runtime's tenant registry as the control plane writes it (migrated on first use)."""

    def __init__(self, registry_url: str, *, pooled: bool = True) -> None:
        self.url = registry_url
        self._engine: Engine = build_engine(registry_url, pool_size=2, max_overflow=2, pooled=pooled)
        self.registry = TenantRegistry(self._engine, cache_seconds=0)
        self._ready = False
        self._lock = threading.Lock()

    def close(self) -> None:
        self._engine.dispose()

    def ensure(self) -> None:
        with self._lock:
            if not self._ready:
                runtime_tenants.migrate_registry(self.url)
                self._ready = True

    def register(self, tenant: TenantSpec, database_url: str, status: RuntimeStatus, pool: str = "default") -> None:
        self.ensure()
        self.registry.upsert(
            slug=tenant.slug, name=tenant.name, database_url=database_url, status=TenantStatus(status.value), pool=pool
        )

    def unregister(self, tenant: TenantSpec) -> bool:
        self.ensure()
        return self.registry.remove(tenant.slug)

    def registration(self, tenant: TenantSpec) -> Registration:
        self.ensure()
        info = self.registry.get(tenant.slug)
        if info is None:
            return Registration(False, None, "")
        status = None
        if info.status.value in {s.value for s in RuntimeStatus}:
            status = RuntimeStatus(info.status.value)
        return Registration(True, status, info.database_url)
