"""Process-level endpoints: liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from tenant_runtime import __version__

router = APIRouter(tags=["health"])


@router.get("/healthz", include_in_schema=False)
def healthz(request: Request) -> dict[str, str]:
    return {"status": "ok", "version": __version__, "pool": request.app.state.runtime.settings.pool}


@router.get("/readyz", include_in_schema=False)
def readyz(request: Request) -> JSONResponse:
    """Ready when the tenant registry answers (tenant databases are checked per tenant, lazily)."""
    try:
        with request.app.state.runtime.registry_engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # any database failure means not ready
        return JSONResponse({"status": "unavailable", "reason": type(exc).__name__}, status_code=503)
    return JSONResponse({"status": "ready"})


@router.get("/metrics", include_in_schema=False)
def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
