"""App factory of the tenant runtime. Only wiring lives here."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from tenant_runtime import __version__, health
from tenant_runtime.config import RuntimeSettings, get_settings
from tenant_runtime.container import Runtime, build_runtime
from tenant_runtime.core.tenancy import TenantMiddleware, TenantResolver
from tenant_runtime.logging import configure_logging


def create_app(settings: RuntimeSettings | None = None, runtime: Runtime | None = None) -> FastAPI:
    settings = settings or get_settings()
    runtime = runtime or build_runtime(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
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
    app.include_router(health.router)
    app.add_middleware(
        TenantMiddleware,
        resolver=TenantResolver(settings.base_domain, settings.pinned_tenant),
        registry=runtime.registry,
    )
    return app


def app_from_env() -> FastAPI:
    """Entry point for ``uvicorn --factory tenant_runtime.main:app_from_env``."""
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)
    return create_app(settings)
