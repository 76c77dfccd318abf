"""Demo data for the embedded default: one hosting-provider operator, finance, two municipalities."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from controlplane.accounts.models import Role, User
from controlplane.accounts.passwords import hash_password
from controlplane.billing.catalogue import seed_prices
from controlplane.config import Settings
from controlplane.credentials.service import PLATFORM_AUTORISATIES, PLATFORM_CLIENT_ID, new_secret
from controlplane.drivers.interfaces import ClientSpec, RuntimeStatus, SecretSpec, TenantSpec
from controlplane.drivers.local import LocalDriver
from controlplane.tenants import service as tenant_service
from controlplane.tenants.models import Plan, Tenant, TenantState, Tier
from tenant_runtime.config import RuntimeSettings


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
DEMO_PLANS = (
    ("basis", "Basis", "Gedeelde omgeving, vaste prijs per maand"),
    ("inwoner", "Per inwoner", "Gedeelde omgeving, prijs per inwoner per jaar"),
    ("dedicated", "Dedicated", "Eigen omgeving (namespace) per gemeente"),
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
    """Create the demo (idempotent): plans, two municipalities provisioned in the local runtime, users."""
    plans = {}
    for code, name, description in DEMO_PLANS:
        plan = session.scalar(select(Plan).where(Plan.code == code))
        if plan is None:
            plan = Plan(code=code, name=name, description=description)
            session.add(plan)
            session.flush()
        plans[code] = plan
    seed_prices(session, plans)  # billing: the standard prices of the plans
    provider = tenant_service.default_provider(session)
    driver = LocalDriver(settings)
    fernet = settings.fernet()
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
                    plan_id=plans["basis"].id,
                    provider_id=provider.id,
                    platform_secret_encrypted=fernet.encrypt(new_secret().encode()).decode(),
                )
                session.add(tenant)
                session.flush()
            spec = TenantSpec(slug=slug, name=name)
            # The provisioning steps, run directly (the runtime is not serving yet, so no verification call).
            driver.create_database(spec)
            driver.migrate(spec)
            driver.push_clients(
                spec,
                [
                    ClientSpec(
                        client_id=PLATFORM_CLIENT_ID,
                        label="zgw-cloud platform (verificatie)",
                        secrets=[SecretSpec(fernet.decrypt(tenant.platform_secret_encrypted.encode()).decode())],
                        autorisaties=PLATFORM_AUTORISATIES,
                    )
                ],
            )
            driver.register(spec, RuntimeStatus.ACTIVE)
            tenant.state = TenantState.ACTIVE
            tenant.runtime_version = driver.runtime_version()
            tenant.api_base_url = driver.api_base_url(spec)
            tenants[slug] = tenant
        session.flush()
    finally:
        driver.close()
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
