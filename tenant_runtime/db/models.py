"""Where the per-tenant database schema is assembled from the components' models and migrations."""

from __future__ import annotations

import importlib
from pathlib import Path

from sqlalchemy import MetaData

from tenant_runtime.db.base import TenantBase
from tenant_runtime.db.meta import TenantMeta

PACKAGE_ROOT = Path(__file__).resolve().parent.parent

# Bounded contexts that own tables in a tenant database, in dependency order. Each keeps its models in
# ``tenant_runtime/<component>/models.py`` and its alembic branch in ``tenant_runtime/<component>/migrations``.
TENANT_COMPONENTS: tuple[str, ...] = (
    "db",
    "core",
    "autorisaties",
    "catalogi",
    "zaken",
    "besluiten",
    "documenten",
    "notificaties",
    "metering",
)


def load_all_models() -> MetaData:
    """Import every component's models so ``TenantBase.metadata`` knows all tables."""
    importlib.import_module("tenant_runtime.core.audit")
    importlib.import_module("tenant_runtime.core.outbox")
    for component in TENANT_COMPONENTS:
        if (PACKAGE_ROOT / component / "models.py").exists():
            importlib.import_module(f"tenant_runtime.{component}.models")
    assert TenantMeta.__table__ is not None
    return TenantBase.metadata


def migration_locations() -> list[Path]:
    """The alembic version directories of all components (one branch each, upgraded to ``heads``)."""
    locations = [PACKAGE_ROOT / "db" / "migrations" / "versions"]
    for component in TENANT_COMPONENTS:
        path = PACKAGE_ROOT / component / "migrations"
        if component not in ("db", "core") and path.is_dir():
            locations.append(path)
    return locations
