"""App factory of the tenant runtime. Only wiring lives here."""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from tenant_runtime import __version__, health
from tenant_runtime.config import RuntimeSettings, get_settings
from tenant_runtime.container import Runtime, build_runtime
from tenant_runtime.core.forwarded import ForwardedHeadersMiddleware
from tenant_runtime.core.handlers import install_handlers
from tenant_runtime.core.headers import ApiVersionMiddleware
from tenant_runtime.core.nul import NulGuardMiddleware
from tenant_runtime.core.pools import PoolRouting
from tenant_runtime.core.tenancy import TenantMiddleware, TenantResolver
from tenant_runtime.documenten.runner import start_sweeper
from tenant_runtime.logging import configure_logging
from tenant_runtime.metering.middleware import MeteringMiddleware
from tenant_runtime.metering.runner import start_metering
from tenant_runtime.notificaties.runner import start_delivery
from tenant_runtime.openapi import routes as openapi_routes

# The ZGW APIs, each a package with a ``routes.py`` exposing ``router`` (prefix ``/<api>/api/v1``).
API_PACKAGES = ("autorisaties", "catalogi", "zaken", "besluiten", "documenten", "notificaties", "referentielijsten")


def _api_routers() -> list[object]:
    routers = []
    for package in API_PACKAGES:
        try:
            module = importlib.import_module(f"tenant_runtime.{package}.routes")
        except ModuleNotFoundError as exc:
            if exc.name != f"tenant_runtime.{package}.routes" and exc.name != f"tenant_runtime.{package}":
                raise
            continue  # that API is not part of this build yet
        routers.append(module.router)
    return routers


def create_app(settings: RuntimeSettings | None = None, runtime: Runtime | None = None) -> FastAPI:
    settings = settings or get_settings()
    runtime = runtime or build_runtime(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Notification delivery: a background thread (embedded default) or wake-ups for the Celery workers.
        stop_delivery = start_delivery(runtime)
        # Metering: flush the counts into the outboxes (and ship them without a broker); a last flush at stop.
        stop_metering = start_metering(runtime)
        # Documenten content sweep: a background thread (embedded default) or the Celery beat's documenten.sweep.
        stop_sweeper = start_sweeper(runtime)
        yield
        await asyncio.to_thread(stop_sweeper)
        await asyncio.to_thread(stop_delivery)
        await asyncio.to_thread(stop_metering)
        runtime.close()

    app = FastAPI(
        title="zgw-cloud tenant runtime",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.runtime = runtime
    install_handlers(app)
    app.include_router(health.router)
    app.include_router(openapi_routes.router)
    for router in _api_routers():
        app.include_router(router)  # type: ignore[arg-type]
    app.add_middleware(NulGuardMiddleware)  # innermost: NUL in a query or JSON body is a 400, not a 500
    if settings.metering_enabled:
        app.add_middleware(MeteringMiddleware, meter=runtime.meter)
    app.add_middleware(ApiVersionMiddleware)
    app.add_middleware(
        TenantMiddleware,
        resolver=TenantResolver(settings.base_domain, settings.pinned_tenant),
        registry=runtime.registry,
        pools=PoolRouting(settings.pool, settings.pool_routes),
    )
    app.add_middleware(ForwardedHeadersMiddleware, trusted=settings.forwarded_allow_ips)  # outermost
    return app


def app_from_env() -> FastAPI:
    """Entry point for ``uvicorn --factory tenant_runtime.main:app_from_env``."""
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)
    return create_app(settings)
