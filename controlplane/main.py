"""App factory of the control plane. Only wiring lives here."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from prometheus_client import CollectorRegistry
from starlette.middleware.sessions import SessionMiddleware

from controlplane import __version__, health
from controlplane.accounts import routes as accounts_routes
from controlplane.audit import routes as audit_routes
from controlplane.backups import routes as backups_routes
from controlplane.backups.metrics import BackupCollector
from controlplane.billing import routes as billing_routes
from controlplane.billing.metrics import BillingCollector
from controlplane.config import Settings, get_settings
from controlplane.container import ControlPlane, build_controlplane
from controlplane.credentials import routes as credentials_routes
from controlplane.deps import LoginRequired
from controlplane.jobs import routes as jobs_routes
from controlplane.metrics import ControlPlaneCollector
from controlplane.notifications import routes as notifications_routes
from controlplane.releases import routes as releases_routes
from controlplane.releases.metrics import ReleasesCollector
from controlplane.tenants import plans_routes
from controlplane.tenants import routes as tenants_routes
from controlplane.usage import routes as usage_routes
from controlplane.usage.metrics import UsageCollector
from controlplane.web import routes as web_routes
from controlplane.web.templating import STATIC_DIR, error_page
from tenant_runtime.core.handlers import install_handlers
from tenant_runtime.core.problems import Problem
from tenant_runtime.logging import configure_logging

API_ROUTERS = (
    tenants_routes.router,
    credentials_routes.router,
    plans_routes.router,
    jobs_routes.router,
    audit_routes.router,
    backups_routes.router,
    accounts_routes.router,
    releases_routes.router,
    releases_routes.campaigns_router,
    releases_routes.tenant_router,
    billing_routes.router,
    usage_routes.router,
    notifications_routes.router,
)


def create_app(settings: Settings | None = None, controlplane: ControlPlane | None = None) -> FastAPI:
    settings = settings or get_settings()
    cp = controlplane or build_controlplane(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        cp.close()

    app = FastAPI(
        title="zgw-cloud control plane",
        description="Onboard municipalities, manage their lifecycle, API credentials, users and audit log. "
        "Authenticate with `Authorization: Bearer <API token>` (see POST /api/v1/tokens) or a web session "
        "(then send `X-CSRF-Token` on writes).",
        version=__version__,
        lifespan=lifespan,
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
    )
    app.state.controlplane = cp
    app.state.metrics_registry = CollectorRegistry(auto_describe=False)
    app.state.metrics_registry.register(ControlPlaneCollector(cp))
    app.state.metrics_registry.register(ReleasesCollector(cp))
    app.state.metrics_registry.register(BackupCollector(cp))
    app.state.metrics_registry.register(BillingCollector(cp))
    app.state.metrics_registry.register(UsageCollector(cp))
    install_handlers(app)
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie="zgwcloud_session",
        same_site="lax",
        https_only=settings.public_url.startswith("https://"),
    )
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(health.router)
    for router in API_ROUTERS:
        app.include_router(router)
    for router in web_routes.ROUTERS:
        app.include_router(router)

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> Response:
        if request.url.path.startswith("/api/") or "text/html" not in request.headers.get("accept", ""):
            return exc.response()
        return error_page(request, exc)

    @app.exception_handler(LoginRequired)
    async def _to_login(_: Request, __: LoginRequired) -> Response:
        return RedirectResponse("/login", status_code=303)

    return app


def app_from_env() -> FastAPI:
    """Entry point for ``uvicorn --factory controlplane.main:app_from_env``."""
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)
    return create_app(settings)
