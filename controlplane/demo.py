"""Demo data for the embedded default: one hosting-provider operator, finance, two municipalities."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from controlplane.accounts.models import Role, User
from controlplane.accounts.passwords import hash_password
from controlplane.config import Settings
from controlplane.tenants.models import Plan, Tenant, TenantState, Tier
from tenant_runtime.config import RuntimeSettings
from tenant_runtime.container import build_runtime
from tenant_runtime.tenants import service as runtime_tenants


@dataclass(frozen=True)
class DemoLogin:
    email: str
    password: str
    role: Role
    tenant: str | None = None


DEMO_PASSWORD = "zgw-demo-2026"  # noqa: S105 - printed for the newcomer; development only
DEMO_MUNICIPALITIES = (
    # slug, name, CBS gemeentecode, RSIN, inhabitants
    ("utrecht", "Gemeente Utrecht", "0344", "002220647", 374238),
    ("groningen", "Gemeente Groningen", "0014", "001589623", 238147),
)
DEMO_LOGINS = (
    DemoLogin("operator@zgw-cloud.local", DEMO_PASSWORD, Role.OPERATOR),
    DemoLogin("finance@zgw-cloud.local", DEMO_PASSWORD, Role.FINANCE),
    DemoLogin("beheer@utrecht.demo", DEMO_PASSWORD, Role.MUNICIPALITY_ADMIN, "utrecht"),
    DemoLogin("beheer@groningen.demo", DEMO_PASSWORD, Role.MUNICIPALITY_ADMIN, "groningen"),
)


def runtime_settings_for(settings: Settings) -> RuntimeSettings:
    return RuntimeSettings(data_dir=settings.runtime_data_dir, registry_url=settings.runtime_registry_url)


def seed_demo(session: Session, settings: Settings) -> list[DemoLogin]:
    """Create the demo (idempotent): plans, tenants registered and migrated in the local runtime, users."""
    plan = session.scalar(select(Plan).where(Plan.code == "basis"))
    if plan is None:
        plan = Plan(code="basis", name="Basis", description="Gedeelde omgeving, vaste prijs per maand")
        session.add(plan)
        session.flush()
    runtime_settings = runtime_settings_for(settings)
    runtime_tenants.migrate_registry(runtime_settings.registry_url)
    runtime = build_runtime(runtime_settings)
    try:
        tenants: dict[str, Tenant] = {}
        for slug, name, code, rsin, inhabitants in DEMO_MUNICIPALITIES:
            tenant = session.scalar(select(Tenant).where(Tenant.slug == slug))
            if tenant is None:
                tenant = Tenant(
                    slug=slug,
                    name=name,
                    gemeentecode=code,
                    rsin=rsin,
                    inhabitants=inhabitants,
                    tier=Tier.SHARED,
                    plan_id=plan.id,
                )
                session.add(tenant)
            url = runtime_tenants.sqlite_tenant_url(runtime_settings.data_dir, slug)
            runtime_tenants.create_tenant(runtime.registry, slug=slug, name=name, database_url=url)
            tenant.state = TenantState.ACTIVE
            tenant.api_base_url = f"{settings.runtime_public_url.rstrip('/')}/t/{slug}"
            tenants[slug] = tenant
        session.flush()
    finally:
        runtime.close()
    for login in DEMO_LOGINS:
        if session.scalar(select(User).where(User.email == login.email)) is None:
            session.add(
                User(
                    email=login.email,
                    name=login.email.split("@")[0].title(),
                    password_hash=hash_password(login.password),
                    role=login.role,
                    tenant_id=tenants[login.tenant].id if login.tenant else None,
                )
            )
    return list(DEMO_LOGINS)
