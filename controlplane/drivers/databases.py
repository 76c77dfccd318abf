"""Tenant databases and runtime registries, shared by every driver: a tenant's database (and role) lives on the
configured PostgreSQL server whatever runs its runtime (the shared runtime on this machine, or a dedicated
release on Kubernetes), or is a SQLite file in the embedded default."""

from __future__ import annotations

import hashlib
import hmac
import os
import shutil
import sqlite3
import subprocess
import threading
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import Connection, Engine, inspect, select, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.orm import Session

from controlplane.config import Settings
from controlplane.drivers.interfaces import (
    ClientSpec,
    PermanentError,
    ReleaseSpec,
    RuntimeStatus,
    TemporaryError,
    TenantSpec,
)
from tenant_runtime.autorisaties import admin as runtime_admin
from tenant_runtime.autorisaties.models import ClientCredential
from tenant_runtime.db.engines import build_engine
from tenant_runtime.db.meta import TenantMeta
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


SQLITE_FORMAT = "sqlite3"
PG_FORMAT = "pg_dump-custom"
# Beside a tenant database ``<prefix><slug>``: ``<prefix without _>r_<slug>`` holds an in-place restore being
# prepared, ``<prefix without _>o_<slug>`` the database it replaced until the restored one is verified.
STAGING_MARK = "r_"
REPLACED_MARK = "o_"


@dataclass
class Snapshot:
    """One consistent moment of a tenant database: its dump file and every query see the same data."""

    format: str
    dump_file: Path
    _sqlite_copy: Path | None = None
    _connection: Connection | None = None

    def rows(self, sql: str) -> Sequence[Any]:
        if self._connection is not None:
            return self._connection.execute(text(sql)).all()
        assert self._sqlite_copy is not None
        with closing(sqlite3.connect(self._sqlite_copy)) as connection:
            return connection.execute(sql).fetchall()

    def table_exists(self, name: str) -> bool:
        if self._connection is not None:
            return bool(self._connection.execute(text("SELECT to_regclass(:n) IS NOT NULL"), {"n": name}).scalar())
        with closing(sqlite3.connect(self._sqlite_copy or "")) as connection:
            found = connection.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?", (name,))
            return bool(found.fetchone()[0])

    def heads(self) -> list[str]:
        """The alembic revisions the snapshot is at."""
        if not self.table_exists("alembic_version"):
            return []
        return sorted(str(row[0]) for row in self.rows("SELECT version_num FROM alembic_version"))


def sqlite_copy(source: Path, target: Path) -> None:
    """Copy a SQLite database page by page into ``target`` through SQLite's online backup API."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(source)) as origin, closing(sqlite3.connect(target, timeout=30)) as destination:
        origin.backup(destination)


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection string without the password, and the environment that carries it."""
    env = {**os.environ, "PGPASSWORD": url.password or ""} if url.password else dict(os.environ)
    return url.set(drivername="postgresql", password=None).render_as_string(hide_password=False), env


def _binary(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise PermanentError(f"{name} is not installed")
    return found


def _run_tool(argv: list[str], env: dict[str, str], what: str) -> None:
    result = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=6 * 3600, check=False)
    if result.returncode != 0:
        raise TemporaryError(f"{what} failed: {result.stderr.strip()[:800]}", delay=10)


def schema_locations(release: ReleaseSpec | None) -> list[Path]:
    """The alembic version directories a release brings besides the package's own."""
    return [Path(p) for p in release.migration_paths] if release is not None else []


@dataclass(frozen=True)
class DatabaseState:
    exists: bool
    schema_current: bool


class TenantDatabases:
    """Create, migrate, fill (applications and secrets), snapshot, restore and drop tenant databases."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._server_engine: Engine | None = None
        self._server_lock = threading.Lock()

    def close(self) -> None:
        if self._server_engine is not None:
            self._server_engine.dispose()

    def _server_reads(self) -> Engine:
        """A small pool on the server's maintenance database for the reads the reconciler makes per tenant
        (a new connection per read costs more than the read)."""
        with self._server_lock:
            if self._server_engine is None:
                server = self.server_url
                assert server is not None
                self._server_engine = build_engine(server, pool_size=1, max_overflow=2)
            return self._server_engine

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
        return pg_name(self.settings.tenant_database_prefix, tenant.slug)

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
        """Bring the schema to the tenant's release: exactly its heads (upgrade or downgrade, with the version
        directories it brings), or every head of this package for a tenant on the package's own release."""
        url = self.database_url(tenant)
        release = tenant.release
        if release is not None and release.schema_heads:
            runtime_tenants.migrate_tenant_to(url, release.schema_heads, schema_locations(release))
        else:
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

    # --- snapshots, dumps and restores (backups) ---------------------------------------------------
    def sqlite_path(self, tenant: TenantSpec) -> Path:
        return Path(make_url(self.database_url(tenant)).database or "")

    @contextmanager
    def snapshot(self, tenant: TenantSpec, work: Path) -> Iterator[Snapshot]:
        """Dump the tenant database at one moment into ``work`` and keep that moment open for queries.

        PostgreSQL: a REPEATABLE READ transaction exports its snapshot and ``pg_dump --snapshot`` dumps exactly
        it; SQLite: the online backup API copies the database, and the copy is the dump and is queried."""
        work.mkdir(parents=True, exist_ok=True)
        if self.server_url is None:
            source = self.sqlite_path(tenant)
            if not source.exists():
                raise PermanentError(f"tenant database {source} does not exist")
            copy = work / "database.sqlite3"
            copy.unlink(missing_ok=True)
            sqlite_copy(source, copy)
            yield Snapshot(SQLITE_FORMAT, copy, _sqlite_copy=copy)
            return
        url = self.admin_url(tenant)
        engine = build_engine(url, pooled=False)
        dump = work / "database.dump"
        dump.unlink(missing_ok=True)
        try:
            with engine.connect().execution_options(isolation_level="REPEATABLE READ") as connection:
                connection.execute(text("SET TRANSACTION READ ONLY"))
                snapshot_id = str(connection.execute(text("SELECT pg_export_snapshot()")).scalar())
                libpq, env = _libpq(url)
                _run_tool(
                    [_binary("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", "--compress=1",
                     f"--snapshot={snapshot_id}", "--file", str(dump), "--dbname", libpq],
                    env,
                    "pg_dump",
                )  # fmt: skip
                yield Snapshot(PG_FORMAT, dump, _connection=connection)
                connection.rollback()
        finally:
            engine.dispose()

    def staging_database(self, tenant: TenantSpec) -> str:
        """Where an in-place restore is prepared before it is swapped in."""
        return pg_name(self.settings.tenant_database_prefix[:-1] + STAGING_MARK, tenant.slug)

    def replaced_database(self, tenant: TenantSpec) -> str:
        """The database an in-place restore replaced, kept until the restored one is verified."""
        return pg_name(self.settings.tenant_database_prefix[:-1] + REPLACED_MARK, tenant.slug)

    def _present(self, names: list[str]) -> set[str]:
        server = self.server_url
        assert server is not None
        engine = build_engine(server, pooled=False)
        try:
            with engine.connect() as connection:
                rows = connection.execute(text("SELECT datname FROM pg_database WHERE datname = ANY(:n)"), {"n": names})
                return {row[0] for row in rows}
        finally:
            engine.dispose()

    def restore_dump(self, tenant: TenantSpec, dump: Path, fmt: str, *, staging: bool) -> None:
        """Restore a dump into a fresh database: the tenant's own (a new tenant, nothing there yet) or its
        staging database (in place; ``swap_in`` makes it live). Repeatable: a partial attempt is dropped first.
        SQLite in place: the dump file itself is the staged copy."""
        if self.server_url is None:
            if fmt != SQLITE_FORMAT:
                raise PermanentError(f"a {fmt} dump cannot be restored into a SQLite tenant database")
            if not staging:
                live = self.sqlite_path(tenant)
                for suffix in ("", "-wal", "-shm"):
                    Path(str(live) + suffix).unlink(missing_ok=True)
                sqlite_copy(dump, live)
            return
        if fmt != PG_FORMAT:
            raise PermanentError(f"a {fmt} dump cannot be restored into a PostgreSQL tenant database")
        database = self.staging_database(tenant) if staging else self.database_name(tenant)
        self.ensure_role(tenant)
        self.drop_database(tenant, database)
        self.create_owned_database(tenant, database)
        libpq, env = _libpq(self.admin_url(tenant, database))
        _run_tool(
            [_binary("pg_restore"), "--no-owner", "--no-privileges", f"--role={self.role_name(tenant)}",
             "--exit-on-error", "--jobs=2", "--dbname", libpq, str(dump)],
            env,
            "pg_restore",
        )  # fmt: skip
        log.info("tenant_database_restored", tenant=tenant.slug, database=database)

    def swap_in(self, tenant: TenantSpec, staged_dump: Path) -> None:
        """Make the staged restore the tenant's database; the runtime must not serve the tenant meanwhile.
        PostgreSQL: rename live → replaced and staging → live (each done once, so a re-run after a crash
        finishes the swap); SQLite: copy the staged file into the live one through SQLite (open connections
        see the new content)."""
        server = self.server_url
        if server is None:
            sqlite_copy(staged_dump, self.sqlite_path(tenant))
            return
        live, staged, replaced = (
            self.database_name(tenant),
            self.staging_database(tenant),
            self.replaced_database(tenant),
        )
        present = self._present([live, staged, replaced])
        if staged not in present:
            if live not in present:
                raise PermanentError(f"neither the tenant database {live} nor its staged restore exists")
            return  # swapped by an earlier attempt
        engine = build_engine(server, pooled=False)
        try:
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:

                def close(name: str) -> None:
                    connection.execute(text(f"ALTER DATABASE {quote_ident(name)} WITH ALLOW_CONNECTIONS false"))
                    connection.execute(
                        text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"), {"n": name}
                    )

                if live in present:
                    if replaced in present:  # left by an earlier restore whose clean-up never ran
                        self.drop_database(tenant, replaced)
                    close(live)
                    connection.execute(text(f"ALTER DATABASE {quote_ident(live)} RENAME TO {quote_ident(replaced)}"))
                close(staged)
                connection.execute(text(f"ALTER DATABASE {quote_ident(staged)} RENAME TO {quote_ident(live)}"))
                connection.execute(text(f"ALTER DATABASE {quote_ident(live)} WITH ALLOW_CONNECTIONS true"))
        finally:
            engine.dispose()
        log.info("tenant_database_swapped", tenant=tenant.slug, database=live)

    def drop_restore_leftovers(self, tenant: TenantSpec) -> None:
        """Drop what an in-place restore replaced and a staging database an abandoned attempt left."""
        if self.server_url is None:
            return
        for name in (self.replaced_database(tenant), self.staging_database(tenant)):
            self.drop_database(tenant, name)

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
        with self._server_reads().connect() as connection:
            found = connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": self.database_name(tenant)}
            ).scalar()
        return found is not None

    def schema_heads(self, tenant: TenantSpec) -> list[str] | None:
        """The schema revisions the tenant database is at: None when it does not exist, [] when it was never
        migrated (provisioning failed before its schema was made; the migration runs in one transaction)."""
        if not self.exists(tenant):
            return None
        engine = build_engine(self.database_url(tenant), pooled=False)
        try:
            with engine.connect() as connection:
                if not inspect(connection).has_table("alembic_version"):
                    return []
                return sorted(
                    str(row[0]) for row in connection.execute(text("SELECT version_num FROM alembic_version"))
                )
        finally:
            engine.dispose()

    def state(self, tenant: TenantSpec) -> DatabaseState:
        exists = self.exists(tenant)
        release = tenant.release
        heads = release.schema_heads if release is not None and release.schema_heads else None
        current = exists and runtime_tenants.tenant_schema_is_current(
            self.database_url(tenant), heads, schema_locations(release)
        )
        return DatabaseState(exists, current)

    def managed_databases(self, prefix: str | None = None) -> set[str]:
        """Names of every tenant database with this control plane's prefix on the server (orphan detection)."""
        prefix = self.settings.tenant_database_prefix if prefix is None else prefix
        server = self.server_url
        if server is None:
            folder = self.settings.runtime_data_dir / "tenants"
            return {p.stem for p in folder.glob("*.db")} if folder.exists() else set()
        with self._server_reads().connect() as connection:
            rows = connection.execute(
                text("SELECT datname FROM pg_database WHERE starts_with(datname, :p)"), {"p": prefix}
            )
            return {row[0] for row in rows}


@dataclass(frozen=True)
class Registration:
    registered: bool
    status: RuntimeStatus | None
    database_url: str
    pool: str = ""


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
        return Registration(True, status, info.database_url, info.pool)
