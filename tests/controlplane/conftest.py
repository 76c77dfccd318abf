"""Fixtures of the control-plane tests: a control plane on PostgreSQL whose local driver creates tenant
databases on the same server, users of every role with API tokens, and two municipalities."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from controlplane.accounts.models import Role, User
from controlplane.accounts.passwords import hash_password
from controlplane.accounts.tokens import create_token
from controlplane.cli import migrate_controlplane
from controlplane.clock import FrozenClock
from controlplane.config import Settings
from controlplane.container import ControlPlane, build_controlplane
from controlplane.credentials.service import new_secret
from controlplane.main import create_app
from controlplane.tenants.models import Plan, Tenant, TenantState, Tier
from tenant_runtime.tenants.service import migrate_registry
from tests.conftest import TEST_ENCRYPTION_KEY
from tests.fixtures.services import PostgresServer

PASSWORD = "correct horse battery staple"


def make_settings(tmp_path: Path, postgres_server: PostgresServer, **overrides: object) -> Settings:
    registry = postgres_server.create_database("registry")
    migrate_registry(registry)
    values: dict[str, object] = {
        "environment": "test",
        "encryption_key": TEST_ENCRYPTION_KEY,
        "secret_key": "test-secret-key-0123456789-abcdefghij",
        "data_dir": tmp_path / "cp",
        "database_url": postgres_server.create_database("cp"),
        "runtime_data_dir": tmp_path / "runtime",
        "runtime_registry_url": registry,
        # Every test's tenant databases apart: orphan detection sees only this control plane's.
        "tenant_database_prefix": f"t{uuid.uuid4().hex[:8]}_",
        **overrides,
    }
    return Settings(**values)  # type: ignore[arg-type]


@dataclass
class Dispatched:
    jobs: list[uuid.UUID] = field(default_factory=list)

    def __call__(self, job_id: uuid.UUID) -> None:
        self.jobs.append(job_id)


@dataclass
class World:
    cp: ControlPlane
    client: TestClient
    dispatched: Dispatched
    clock: FrozenClock
    tenant_a: Tenant
    tenant_b: Tenant
    tokens: dict[str, str]  # role name → bearer token
    users: dict[str, User]

    def headers(self, who: str, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}", **extra}


def add_tenant(cp: ControlPlane, slug: str, code: str, state: TenantState = TenantState.REQUESTED) -> Tenant:
    with cp.sessions() as session:
        plan = session.query(Plan).filter_by(code="basis").one()
        tenant = Tenant(
            slug=slug,
            name=f"Gemeente {slug.title()}",
            gemeentecode=code,
            rsin="002220647",
            inhabitants=10000,
            tier=Tier.SHARED,
            plan_id=plan.id,
            state=state,
            platform_secret_encrypted=cp.settings.fernet().encrypt(new_secret().encode()).decode(),
        )
        session.add(tenant)
        session.commit()
        session.refresh(tenant)
        return tenant


def add_user(cp: ControlPlane, email: str, role: Role, tenant: Tenant | None = None) -> tuple[User, str]:
    with cp.sessions() as session:
        user = User(
            email=email,
            name=email.split("@")[0],
            password_hash=hash_password(PASSWORD),
            role=role,
            tenant_id=tenant.id if tenant else None,
        )
        session.add(user)
        session.flush()
        _, plain = create_token(session, user, "tests")
        session.commit()
        return user, plain


def build_world(settings: Settings, dispatch: object | None = None) -> Iterator[World]:
    migrate_controlplane(settings)
    clock = FrozenClock()
    dispatched = Dispatched()
    cp = build_controlplane(settings, dispatch=dispatch or dispatched)  # type: ignore[arg-type]
    with cp.sessions() as session:
        session.add(Plan(code="basis", name="Basis"))
        session.add(Plan(code="plus", name="Plus"))
        session.commit()
    tenant_a = add_tenant(cp, "alphen", "0484")
    tenant_b = add_tenant(cp, "bodegraven", "1901")
    tokens, users = {}, {}
    for who, role, tenant in (
        ("operator", Role.OPERATOR, None),
        ("finance", Role.FINANCE, None),
        ("admin_a", Role.MUNICIPALITY_ADMIN, tenant_a),
        ("admin_b", Role.MUNICIPALITY_ADMIN, tenant_b),
    ):
        users[who], tokens[who] = add_user(cp, f"{who}@example.nl", role, tenant)
    with TestClient(create_app(settings, controlplane=cp), base_url="http://testserver") as client:
        yield World(cp, client, dispatched, clock, tenant_a, tenant_b, tokens, users)


@pytest.fixture
def world(tmp_path: Path, postgres_server: PostgresServer) -> Iterator[World]:
    yield from build_world(make_settings(tmp_path, postgres_server))
