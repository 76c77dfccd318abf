"""App factory of the control plane. Only wiring lives here."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from controlplane import __version__, health
from controlplane.config import Settings, get_settings
from controlplane.container import ControlPlane, build_controlplane
from controlplane.deps import LoginRequired
from controlplane.web import routes as web_routes
from controlplane.web.templating import STATIC_DIR
from tenant_runtime.logging import configure_logging


def create_app(settings: Settings | None = None, controlplane: ControlPlane | None = None) -> FastAPI:
    settings = settings or get_settings()
    cp = controlplane or build_controlplane(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        cp.close()

    app = FastAPI(
        title="zgw-cloud control plane",
        version=__version__,
        lifespan=lifespan,
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
    )
    app.state.controlplane = cp
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie="zgwcloud_session",
        same_site="lax",
        https_only=settings.public_url.startswith("https://"),
    )
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(health.router)
    app.include_router(web_routes.router)

    @app.exception_handler(LoginRequired)
    async def _to_login(_: Request, __: LoginRequired) -> Response:
        return RedirectResponse("/login", status_code=303)

    return app


def app_from_env() -> FastAPI:
    """Entry point for ``uvicorn --factory controlplane.main:app_from_env``."""
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)
    return create_app(settings)
