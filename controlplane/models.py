"""Imports every context's models so the metadata is complete (alembic, tests)."""

from controlplane.accounts import models as accounts_models
from controlplane.audit import models as audit_models
from controlplane.backups import models as backups_models
from controlplane.billing import models as billing_models
from controlplane.credentials import models as credentials_models
from controlplane.db import Base
from controlplane.jobs import models as jobs_models
from controlplane.notifications import models as notifications_models
from controlplane.releases import models as releases_models
from controlplane.tenants import models as tenants_models
from controlplane.usage import models as usage_models

metadata = Base.metadata
__all__ = [
    "accounts_models",
    "audit_models",
    "backups_models",
    "billing_models",
    "credentials_models",
    "jobs_models",
    "metadata",
    "notifications_models",
    "releases_models",
    "tenants_models",
    "usage_models",
]
