"""Resolving the tenant of a request: pinned (dedicated tier), path prefix ``/t/<slug>/`` or host name.

Implemented as plain ASGI middleware so it costs one dict lookup on the hot path. For a path prefix it sets
``root_path`` to ``/t/<slug>``: ``/t/utrecht/zaken/api/v1/zaken`` is routed as ``/zaken/api/v1/zaken`` and every
URL the runtime emits carries the prefix.
"""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Receive, Scope, Send

from tenant_runtime.core.pools import Placement, PoolRouting
from tenant_runtime.core.problems import Problem
from tenant_runtime.registry.models import TenantStatus
from tenant_runtime.registry.repository import TenantInfo, TenantRegistry

SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_PREFIX = re.compile(r"^/t/([^/]+)(/.*)?$")

# Paths that belong to the process, not to a tenant.
GLOBAL_PATHS = frozenset({"/healthz", "/readyz", "/metrics", "/"})


class TenantResolver:
    """Finds the slug a request addresses, or None for process-level endpoints."""

    def __init__(self, base_domain: str, pinned_tenant: str = "") -> None:
        self.base_domain = base_domain.lower().strip(".")
        self.pinned_tenant = pinned_tenant

    def slug_from_host(self, host: str) -> str | None:
        hostname = host.split(":", 1)[0].lower().rstrip(".")
        suffix = "." + self.base_domain
        if self.base_domain and hostname.endswith(suffix):
            candidate = hostname[: -len(suffix)]
            if "." not in candidate:
                return candidate
        return None


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return ""


class TenantMiddleware:
    def __init__(
        self, app: ASGIApp, resolver: TenantResolver, registry: TenantRegistry, pools: PoolRouting | None = None
    ) -> None:
        self.app = app
        self.resolver = resolver
        self.registry = registry
        self.pools = pools or PoolRouting()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        slug: str | None = None
        if self.resolver.pinned_tenant:
            slug = self.resolver.pinned_tenant if path not in GLOBAL_PATHS else None
        elif match := _PREFIX.match(path):
            slug = match.group(1)
            # ASGI keeps the full path in "path"; routing strips "root_path" from it.
            scope = dict(scope)
            scope["root_path"] = scope.get("root_path", "") + f"/t/{slug}"
        elif path not in GLOBAL_PATHS:
            host = _header(scope, b"x-forwarded-host") or _header(scope, b"host")
            slug = self.resolver.slug_from_host(host.split(",")[0].strip())

        if slug is not None:
            problem, tenant = self._check(slug)
            if problem is not None:
                response = problem.response()
                await response(scope, receive, send)
                return
            assert tenant is not None
            placement = self.pools.placement(tenant.pool)
            if placement is Placement.ELSEWHERE:  # maybe just moved here: the cached row may be stale, look again
                self.registry.invalidate(slug)
                problem, tenant = self._check(slug)
                if problem is not None:
                    await problem.response()(scope, receive, send)
                    return
                assert tenant is not None
                placement = self.pools.placement(tenant.pool)
            if placement is Placement.FORWARD:  # another pool's process serves this tenant (runtime pools)
                await self.pools.forward(scope, receive, send, tenant.pool)
                return
            if placement is Placement.ELSEWHERE:
                await self.pools.elsewhere(slug, tenant.pool).response()(scope, receive, send)
                return
            scope.setdefault("state", {})
            scope["state"]["tenant"] = tenant
            await self.pools.serve_counted(slug, self.app, scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _check(self, slug: str) -> tuple[Problem | None, TenantInfo | None]:
        if not SLUG_PATTERN.match(slug):
            return Problem(404, f"Onbekende tenant '{slug}'.", code="tenant_not_found"), None
        tenant = self.registry.get(slug)
        if tenant is None:
            return Problem(404, f"Onbekende tenant '{slug}'.", code="tenant_not_found"), None
        if tenant.status is TenantStatus.SUSPENDED:
            return Problem(
                403,
                "Deze omgeving is opgeschort door de beheerder.",
                code="tenant_suspended",
                title="Omgeving opgeschort.",
            ), None
        if tenant.status is TenantStatus.MAINTENANCE:
            return Problem(
                503,
                "Deze omgeving is tijdelijk in onderhoud.",
                code="tenant_maintenance",
                headers={"Retry-After": "30"},
            ), None
        return None, tenant
