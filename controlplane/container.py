"""Long-lived objects of a control-plane process, built once from settings (our ``bootstrap``)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from controlplane.billing.interfaces import PaymentProvider
from controlplane.billing.providers import DisabledProvider, build_payment_provider
from controlplane.clock import Clock, SystemClock
from controlplane.config import Settings
from controlplane.db import make_engine, make_session_factory
from controlplane.drivers import build_driver
from controlplane.drivers.interfaces import TenantDriver

Dispatcher = Callable[[uuid.UUID], None]


def celery_dispatcher(job_id: uuid.UUID) -> None:
    """Hand a job to the workers (Celery; in-process queue in the embedded default)."""
    from controlplane.tenants.tasks import run_job

    run_job.delay(str(job_id))


@dataclass
class ControlPlane:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    driver: TenantDriver
    clock: Clock = field(default_factory=SystemClock)
    dispatch: Dispatcher = celery_dispatcher
    payments: PaymentProvider = field(default_factory=DisabledProvider)  # Stripe or disabled (billing)

    def close(self) -> None:
        close = getattr(self.driver, "close", None)
        if close is not None:
            close()
        self.engine.dispose()


def build_controlplane(
    settings: Settings, *, clock: Clock | None = None, dispatch: Dispatcher | None = None
) -> ControlPlane:
    engine = make_engine(settings.database_url)
    return ControlPlane(
        settings=settings,
        engine=engine,
        sessions=make_session_factory(engine),
        driver=build_driver(settings),
        clock=clock or SystemClock(),
        dispatch=dispatch or celery_dispatcher,
        payments=build_payment_provider(settings),
    )
