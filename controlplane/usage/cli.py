"""``zgwcloud runtime-token``: a runtime service account and its API token (local database access)."""

from __future__ import annotations

import sys

from sqlalchemy import select

from controlplane.accounts.actors import Actor
from controlplane.config import Settings
from controlplane.db import make_engine, make_session_factory, unit_of_work
from controlplane.tenants.models import Tenant, Tier
from controlplane.usage import service

CLI = Actor("cli", None, via="cli")


def runtime_token(settings: Settings, name: str, tenant_slug: str = "") -> int:
    """Print a new token for ``runtime-<name>``, which serves the shared tier or only ``tenant_slug``."""
    engine = make_engine(settings.database_url)
    try:
        with unit_of_work(make_session_factory(engine)) as session:
            tenant = None
            if tenant_slug:
                tenant = session.scalar(select(Tenant).where(Tenant.slug == tenant_slug))
                if tenant is None:
                    print(f"error: no tenant {tenant_slug}", file=sys.stderr)
                    return 1
                if tenant.tier is not Tier.DEDICATED:
                    print(f"warning: {tenant_slug} is in the {tenant.tier.value} tier", file=sys.stderr)
            user = service.ensure_runtime_account(session, CLI, name, tenant)
            plain = service.issue_runtime_token(session, CLI, user, "cli")
    finally:
        engine.dispose()
    print(plain)
    return 0


def embedded_runtime_token(settings: Settings) -> str:
    """A fresh token for the embedded default's runtime (``zgwcloud dev``); its previous one is revoked."""
    engine = make_engine(settings.database_url)
    try:
        with unit_of_work(make_session_factory(engine)) as session:
            return service.embedded_runtime_token(session, Actor("zgwcloud dev", None, via="cli"))
    finally:
        engine.dispose()
