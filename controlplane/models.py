"""Imports every context's models so the metadata is complete (alembic, tests)."""

from controlplane.accounts import models as accounts_models
from controlplane.db import Base
from controlplane.tenants import models as tenants_models

metadata = Base.metadata
__all__ = ["accounts_models", "metadata", "tenants_models"]
