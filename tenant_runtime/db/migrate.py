"""Running alembic programmatically; shared by the runtime's two migration environments and the control plane.

Migrations are an explicit step (CLI, a Celery task, a Kubernetes Job) and never run at process start.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData

from tenant_runtime.db.engines import build_engine
from tenant_runtime.db.urls import normalise_url


def alembic_config(script_location: Path, url: str, version_locations: Sequence[Path] = ()) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location))
    if version_locations:
        config.set_main_option("version_locations", " ".join(str(p) for p in version_locations))
        config.set_main_option("path_separator", "space")
    # Percent signs in passwords would otherwise be read as interpolation.
    config.set_main_option(
        "sqlalchemy.url", normalise_url(url).render_as_string(hide_password=False).replace("%", "%%")
    )
    return config


def upgrade(config: Config, revision: str = "heads") -> None:
    command.upgrade(config, revision)


def downgrade(config: Config, revision: str) -> None:
    command.downgrade(config, revision)


def script_heads(config: Config) -> set[str]:
    return set(ScriptDirectory.from_config(config).get_heads())


def database_heads(url: str) -> set[str]:
    """The revisions a database is at (empty when never migrated)."""
    engine = build_engine(url, pooled=False)
    try:
        with engine.connect() as connection:
            return set(MigrationContext.configure(connection).get_current_heads())
    finally:
        engine.dispose()


def run_env(target_metadata: MetaData) -> None:
    """Body of every ``env.py``: online migrations on the configured URL, one transaction per migration."""
    from alembic import context

    config = context.config
    url = config.get_main_option("sqlalchemy.url")
    assert url, "sqlalchemy.url must be set by alembic_config()"
    if context.is_offline_mode():
        context.configure(
            url=url,
            target_metadata=target_metadata,
            literal_binds=True,
            render_as_batch=url.startswith("sqlite"),
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    connectable = config.attributes.get("connection")
    if connectable is not None:
        _run(connectable, target_metadata, url)
        return
    engine = build_engine(url, pooled=False)
    try:
        with engine.connect() as connection:
            _run(connection, target_metadata, url)
    finally:
        engine.dispose()


def _run(connection: object, target_metadata: MetaData, url: str) -> None:
    from alembic import context

    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=url.startswith("sqlite"),  # SQLite needs batch mode for ALTERs
        transaction_per_migration=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
