"""Tenant database lifecycle: create, migrate, drop; the same for SQLite files and PostgreSQL databases."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from tenant_runtime.db.engines import build_engine
from tenant_runtime.db.meta import TenantMeta
from tenant_runtime.db.migrate import alembic_config, database_heads, script_heads, upgrade
from tenant_runtime.db.models import PACKAGE_ROOT, migration_locations
from tenant_runtime.db.urls import normalise_url
from tenant_runtime.registry.repository import TenantInfo, TenantRegistry

TENANT_MIGRATIONS = PACKAGE_ROOT / "db" / "migrations"
REGISTRY_MIGRATIONS = PACKAGE_ROOT / "registry" / "migrations"


def migrate_registry(registry_url: str) -> None:
    upgrade(alembic_config(REGISTRY_MIGRATIONS, registry_url))


def tenant_alembic_config(database_url: str) -> Config:
    return alembic_config(TENANT_MIGRATIONS, database_url, migration_locations())


def migrate_tenant_database(database_url: str, revision: str = "heads") -> None:
    """Bring a tenant database to ``revision`` (all heads by default). Idempotent."""
    upgrade(tenant_alembic_config(database_url), revision)


def tenant_schema_is_current(database_url: str) -> bool:
    """Every head of every branch is applied. A branch head another branch ``depends_on`` (e.g. catalogi's,
    needed by documenten) is not stored in the version table itself: it counts as applied as an ancestor."""
    config = tenant_alembic_config(database_url)
    applied = database_heads(database_url)
    if not applied:
        return False
    reached = {
        r.revision for r in ScriptDirectory.from_config(config).revision_map.iterate_revisions(tuple(applied), "base")
    }
    return script_heads(config) <= reached


def sqlite_tenant_url(data_dir: Path, slug: str) -> str:
    return f"sqlite:///{(data_dir / 'tenants' / f'{slug}.db').as_posix()}"


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def create_database(database_url: str) -> bool:
    """Create the database a URL names when it does not exist; returns whether it was created."""
    url = normalise_url(database_url)
    if url.get_backend_name() == "sqlite":
        path = Path(url.database or "")
        existed = path.exists()
        path.parent.mkdir(parents=True, exist_ok=True)
        build_engine(url).dispose()
        return not existed
    admin = build_engine(url.set(database="postgres"), pooled=False)
    try:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            exists = connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": url.database}
            ).scalar()
            if exists:
                return False
            connection.execute(text(f"CREATE DATABASE {_quote_ident(url.database or '')}"))
            return True
    finally:
        admin.dispose()


def drop_database(database_url: str) -> bool:
    """Drop a tenant database (terminating its connections); returns whether something was dropped."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        path = Path(url.database or "")
        removed = path.exists()
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return removed
    admin = build_engine(normalise_url(url).set(database="postgres"), pooled=False)
    try:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            exists = connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": url.database}
            ).scalar()
            if not exists:
                return False
            connection.execute(text(f"DROP DATABASE {_quote_ident(url.database or '')} WITH (FORCE)"))
            return True
    finally:
        admin.dispose()


def create_tenant(registry: TenantRegistry, *, slug: str, name: str, database_url: str) -> TenantInfo:
    """Create the database, migrate it, record its owner and register the tenant. Safe to repeat."""
    create_database(database_url)
    migrate_tenant_database(database_url)
    engine = build_engine(database_url, pooled=False)
    try:
        with Session(engine) as session, session.begin():
            session.merge(TenantMeta(key="tenant_slug", value=slug))
    finally:
        engine.dispose()
    return registry.upsert(slug=slug, name=name, database_url=database_url)
