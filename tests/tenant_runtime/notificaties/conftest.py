"""Fixtures for the Notificaties API and delivery: a two-tenant runtime on PostgreSQL with fast delivery
settings (delivery driven by the test unless it asks for the in-process runner), subscribers, helpers."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tenant_runtime.autorisaties.admin import AutorisatieSpec
from tenant_runtime.config import RuntimeSettings
from tenant_runtime.container import build_runtime
from tenant_runtime.core.outbox import OutboxMessage, publish
from tenant_runtime.main import create_app
from tenant_runtime.notificaties import delivery
from tenant_runtime.notificaties.models import Delivery, DeliveryAttempt
from tenant_runtime.notificaties.scopes import COMPONENT, SCOPE_NOTIFICATIES_CONSUMEREN, SCOPE_NOTIFICATIES_PUBLICEREN
from tenant_runtime.notificaties.sender import deliver_abonnement
from tenant_runtime.tenants import service
from tests.fixtures.services import PostgresServer
from tests.tenant_runtime.conftest import ZgwRuntime, ZgwTenant
from tests.tenant_runtime.notificaties.conformance import assert_conforms
from tests.tenant_runtime.notificaties.subscriber import Subscriber

FAST_DELIVERY: dict[str, Any] = {
    "delivery_timeout": 2.0,
    "delivery_retry_base_seconds": 0.2,
    "delivery_retry_max_seconds": 2.0,
    "delivery_max_attempts": 5,
    "delivery_circuit_threshold": 3,
    "delivery_circuit_open_seconds": 0.5,
    "delivery_tick_seconds": 0.2,
    "delivery_in_process": False,
    "admin_token": "platform-test-token",
}


@contextmanager
def nrc_runtime(tmp_path: Path, server: PostgresServer, slugs: tuple[str, ...] = ("alpha", "beta"), **overrides: Any):
    registry_url = server.create_database("registry")
    settings = RuntimeSettings(
        environment="test",
        data_dir=tmp_path,
        registry_url=registry_url,
        registry_cache_seconds=0,
        **{**FAST_DELIVERY, **overrides},
    )
    service.migrate_registry(registry_url)
    runtime = build_runtime(settings)
    for slug in slugs:
        service.create_tenant(
            runtime.registry, slug=slug, name=f"Gemeente {slug.title()}", database_url=server.create_database(slug)
        )
    with TestClient(create_app(settings, runtime), raise_server_exceptions=False) as client:
        env = ZgwRuntime(runtime, client)
        for slug in slugs:
            env.tenants[slug] = ZgwTenant(runtime.registry.get(slug), runtime, client)  # type: ignore[arg-type]
        yield env


@pytest.fixture
def nrc(tmp_path: Path, postgres_server: PostgresServer) -> Iterator[ZgwRuntime]:
    """Tenants ``alpha`` and ``beta``; delivery runs when the test calls ``deliver``."""
    with nrc_runtime(tmp_path, postgres_server) as env:
        yield env


@pytest.fixture
def alpha(nrc: ZgwRuntime) -> ZgwTenant:
    return nrc.tenants["alpha"]


@pytest.fixture
def beta(nrc: ZgwRuntime) -> ZgwTenant:
    return nrc.tenants["beta"]


@pytest.fixture
def subscriber() -> Iterator[Subscriber]:
    sub = Subscriber().start()
    yield sub
    sub.stop()


def consumer(tenant: ZgwTenant) -> dict[str, str]:
    return tenant.headers_for(
        autorisaties=[AutorisatieSpec(component=COMPONENT, scopes=[SCOPE_NOTIFICATIES_CONSUMEREN])]
    )


def publisher(tenant: ZgwTenant) -> dict[str, str]:
    return tenant.headers_for(
        autorisaties=[AutorisatieSpec(component=COMPONENT, scopes=[SCOPE_NOTIFICATIES_PUBLICEREN])]
    )


def subscribe(
    tenant: ZgwTenant,
    callback_url: str,
    kanalen: list[dict[str, Any]] | None = None,
    *,
    auth: str = "Bearer subscriber-secret",
) -> dict[str, Any]:
    response = tenant.client.post(
        f"{tenant.api('notificaties')}/abonnement",
        json={"callbackUrl": callback_url, "auth": auth, "kanalen": kanalen or [{"naam": "zaken"}]},
        headers=consumer(tenant),
    )
    assert response.status_code == 201, response.text
    assert_conforms(response)
    body: dict[str, Any] = response.json()
    return body


def zaak_url(tenant: ZgwTenant, number: int) -> str:
    return f"{tenant.api('zaken')}/zaken/{number:08d}-0000-4000-8000-000000000000"


def publish_zaak(
    tenant: ZgwTenant,
    hoofd_object: str,
    *,
    resource: str = "zaak",
    actie: str = "create",
    resource_url: str | None = None,
    kenmerken: dict[str, str] | None = None,
) -> OutboxMessage:
    """Write an outbox row exactly as the Zaken API does: ``publish`` inside the write's transaction."""
    with tenant.session() as session, session.begin():
        message = publish(
            session,
            kanaal="zaken",
            hoofd_object=hoofd_object,
            resource=resource,
            resource_url=resource_url or hoofd_object,
            actie=actie,
            kenmerken=kenmerken
            if kenmerken is not None
            else {
                "bronorganisatie": "002220647",
                "zaaktype": f"{tenant.api('catalogi')}/zaaktypen/6c7b3c8e-7e2b-4a5f-9a77-2c8f5d2b1a01",
                "vertrouwelijkheidaanduiding": "openbaar",
            },
        )
        session.flush()
        session.expunge(message)
    return message


def deliver(tenant: ZgwTenant, *, budget: float = 30.0) -> None:
    """One delivery pass for a tenant in this thread: fan out, then a sender per abonnement with due work."""
    engine = tenant.runtime.engines.get(tenant.info.database_url)
    settings = tenant.runtime.settings
    delivery.fan_out_all(engine, settings.delivery_batch_size)
    with Session(engine) as session:
        ready = delivery.ready_abonnementen(session)

    async def senders() -> None:
        await asyncio.gather(*(deliver_abonnement(engine, a, settings, budget_seconds=budget) for a in ready))

    asyncio.run(senders())


def delivery_rows(tenant: ZgwTenant) -> list[Delivery]:
    with tenant.session() as session:
        rows = list(session.scalars(select(Delivery).order_by(Delivery.id)))
        session.expunge_all()
    return rows


def attempts_of(tenant: ZgwTenant, delivery_id: int) -> list[DeliveryAttempt]:
    with tenant.session() as session:
        rows = list(
            session.scalars(
                select(DeliveryAttempt).where(DeliveryAttempt.delivery_id == delivery_id).order_by(DeliveryAttempt.id)
            )
        )
        session.expunge_all()
    return rows


def beheer(tenant: ZgwTenant, method: str, path: str, **kwargs: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {tenant.runtime.settings.admin_token}", **kwargs.pop("headers", {})}
    return tenant.client.request(method, f"{tenant.base}/beheer/notificaties{path}", headers=headers, **kwargs)
