"""Tenant database lifecycle: create, migrate, drop; the same for SQLite files and PostgreSQL databases."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.script.revision import RevisionError
from alembic.util import CommandError
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from tenant_runtime.db.engines import build_engine
from tenant_runtime.db.meta import TenantMeta
from tenant_runtime.db.migrate import alembic_config, database_heads, downgrade, upgrade
from tenant_runtime.db.models import PACKAGE_ROOT, migration_locations
from tenant_runtime.db.urls import normalise_url
from tenant_runtime.registry.repository import TenantInfo, TenantRegistry

TENANT_MIGRATIONS = PACKAGE_ROOT / "db" / "migrations"
REGISTRY_MIGRATIONS = PACKAGE_ROOT / "registry" / "migrations"


def migrate_registry(registry_url: str) -> None:
    upgrade(alembic_config(REGISTRY_MIGRATIONS, registry_url))


def tenant_alembic_config(database_url: str, extra_locations: Sequence[Path] = ()) -> Config:
    """The tenant schema's alembic configuration: the package's branches plus ``extra_locations`` (version
    directories a release brings besides those shipped in this package, see docs/operations/upgrades.md)."""
    return alembic_config(TENANT_MIGRATIONS, database_url, [*migration_locations(), *extra_locations])


def migrate_tenant_database(database_url: str, revision: str = "heads") -> None:
    """Bring a tenant database to ``revision`` (all heads by default). Idempotent."""
    upgrade(tenant_alembic_config(database_url), revision)


@lru_cache(maxsize=32)
def _scripts(extra_locations: tuple[Path, ...]) -> ScriptDirectory:
    """The tenant schema's revisions, read once per process (the reconciler asks for every tenant every pass;
    reading the version directories took ~14 ms a time). The files only change with a new release's process."""
    return ScriptDirectory.from_config(tenant_alembic_config("sqlite://", extra_locations))


def schema_heads(extra_locations: Sequence[Path] = ()) -> set[str]:
    """The heads of the tenant schema this package (plus ``extra_locations``) defines."""
    return set(_scripts(tuple(extra_locations)).get_heads())


def _ancestry(script: ScriptDirectory, heads: Iterable[str]) -> set[str]:
    """The revisions applied when a database is at ``heads`` (including what they depend on)."""
    reached: set[str] = set()
    for head in heads:  # one at a time: alembic refuses overlapping requests (a head another depends on)
        if head not in reached:
            reached |= {r.revision for r in script.revision_map.iterate_revisions(head, "base") if r is not None}
    return reached


def tenant_schema_is_current(
    database_url: str, heads: Iterable[str] | None = None, extra_locations: Sequence[Path] = ()
) -> bool:
    """Every revision of ``heads`` (default: every head of every branch this package defines) is applied, and
    nothing beyond them. A branch head another branch ``depends_on`` (e.g. catalogi's, needed by documenten) is
    not stored in the version table itself: it counts as applied as an ancestor."""
    applied = database_heads(database_url)
    if not applied:
        return False
    script = _scripts(tuple(extra_locations))
    try:
        reached = _ancestry(script, applied)
    except RevisionError:  # the database is at a revision these scripts do not know (a newer release)
        return False
    target = set(heads) if heads is not None else set(script.get_heads())
    if heads is None:
        return target <= reached
    return _ancestry(script, target) == reached


def migrate_tenant_to(database_url: str, heads: Iterable[str], extra_locations: Sequence[Path] = ()) -> set[str]:
    """Bring a tenant database to exactly ``heads``: upgrade along every branch, or downgrade the revisions the
    target does not have (a rollback to an earlier release). Idempotent; returns the database's heads after."""
    config = tenant_alembic_config(database_url, extra_locations)
    script = _scripts(tuple(extra_locations))
    target = tuple(sorted(set(heads)))
    try:
        wanted = _ancestry(script, target)
    except RevisionError as exc:
        raise CommandError(f"unknown tenant-schema revision in {list(target)}: {exc}") from None
    for _ in range(100):  # each round removes at least one revision; a schema has far fewer
        applied = database_heads(database_url)
        extra = [head for head in sorted(applied) if head not in wanted]
        if not extra:
            break
        head = script.get_revision(extra[0])
        assert head is not None
        # Walk down this head's own line to the newest revision the target keeps; nothing kept: the branch's base.
        below = head
        keep: str | None = None
        while below is not None and below.down_revision is not None:
            down = below.down_revision
            parents = (down,) if isinstance(down, str) else tuple(down)
            if len(parents) != 1:
                raise CommandError(f"cannot downgrade through the merge revision {below.revision}")
            if parents[0] in wanted:
                keep = parents[0]
                break
            below = script.get_revision(parents[0])
        downgrade(config, keep if keep is not None else f"{head.revision}@base")
    if set(target) == set(script.get_heads()):
        upgrade(config, "heads")  # one alembic run instead of one per head (each loads the environment)
    else:
        for revision in target:
            upgrade(config, revision)
    reached = _ancestry(script, database_heads(database_url))
    if reached != wanted:
        raise CommandError(
            f"tenant schema is at {sorted(reached - wanted)} beyond / missing {sorted(wanted - reached)}"
        )
    return database_heads(database_url)


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
