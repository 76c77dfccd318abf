"""Liveness, readiness and Prometheus metrics of the control plane. Ready means: the database answers and, when
tasks go through a Celery broker (not the embedded in-process mode), the broker answers too — each within a short
timeout, so a probe never hangs on an unreachable service."""

from __future__ import annotations

from urllib.parse import urlsplit

import redis
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from kombu.connection import Connection
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from sqlalchemy import text

from controlplane import __version__
from controlplane.config import Settings
from controlplane.deps import ControlPlaneDep

router = APIRouter(tags=["health"])
BROKER_TIMEOUT_SECONDS = 2.0


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok", "version": __version__}


def broker_location(url: str) -> str:
    """The broker URL without credentials (for the readiness answer and logs)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or ''}{f':{parts.port}' if parts.port else ''}{parts.path}"


def check_broker(settings: Settings, timeout: float = BROKER_TIMEOUT_SECONDS) -> None:
    """Raise when the Celery broker does not answer within ``timeout`` seconds (Redis: PING; others: connect)."""
    url = settings.celery_broker_url
    if urlsplit(url).scheme in ("redis", "rediss"):
        client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
        try:
            client.ping()
        finally:
            client.close()
        return
    with Connection(url, connect_timeout=timeout) as connection:  # type: ignore[no-untyped-call]
        connection.ensure_connection(max_retries=1, timeout=timeout)


@router.get("/readyz")
def readyz(cp: ControlPlaneDep) -> JSONResponse:
    try:
        with cp.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # any database failure means not ready
        return JSONResponse(
            {"status": "unavailable", "check": "database", "reason": type(exc).__name__}, status_code=503
        )
    if not cp.settings.tasks_in_process:
        try:
            check_broker(cp.settings)
        except Exception as exc:  # an unreachable or refusing broker: no work would get done
            return JSONResponse(
                {
                    "status": "unavailable",
                    "check": "broker",
                    "broker": broker_location(cp.settings.celery_broker_url),
                    "reason": f"{type(exc).__name__}: {exc}"[:300],
                },
                status_code=503,
            )
    return JSONResponse({"status": "ready"})


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    registry: CollectorRegistry = request.app.state.metrics_registry
    return Response(generate_latest(REGISTRY) + generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
