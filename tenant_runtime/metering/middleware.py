"""Counting the API calls of a request as plain ASGI middleware (inside ``TenantMiddleware``, which has put the
tenant in the scope's state): a few string operations and one in-memory increment after the response started.

What counts: every request to a tenant's ZGW API (``/<component>/api/...``, the OpenAPI documents excluded) that
was answered with a status below 500 — except requests refused for missing or invalid credentials (401, or a 403
before any client was authenticated), which no application of the municipality made. The client id of an
authenticated request marks the client active for the hour.
"""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tenant_runtime.metering import metrics
from tenant_runtime.metering.events import COMPONENTS, operation_of
from tenant_runtime.metering.meter import UsageMeter

_COMPONENTS = frozenset(COMPONENTS)


def component_of(path: str) -> str | None:
    """``zaken`` for ``/zaken/api/v1/zaken/…``; None outside the metered APIs (and for their schema documents)."""
    parts = path.split("/", 4)  # "", component, "api", version, rest
    if len(parts) < 4 or parts[1] not in _COMPONENTS or parts[2] != "api":
        return None
    if len(parts) == 5 and parts[4].startswith("schema/"):
        return None
    return parts[1]


class MeteringMiddleware:
    def __init__(self, app: ASGIApp, meter: UsageMeter) -> None:
        self.app = app
        self.meter = meter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        state: dict[str, Any] = scope.get("state") or {}
        tenant = state.get("tenant") if scope["type"] == "http" else None
        if tenant is None:
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        root: str = scope.get("root_path", "")
        component = component_of(path[len(root) :] if root and path.startswith(root) else path)
        if component is None:
            await self.app(scope, receive, send)
            return
        status = 500

        async def send_counting(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_counting)
        finally:
            client = state.get("client")
            client_id: str = getattr(client, "client_id", "") if client is not None else ""
            if status < 500 and (client_id or status not in (401, 403)):
                self.meter.call(tenant, component, operation_of(scope["method"], path), client_id)
            else:
                metrics.UNCOUNTED.labels("server_error" if status >= 500 else "not_authenticated").inc()
