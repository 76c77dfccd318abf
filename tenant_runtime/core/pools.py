"""Runtime pools: versions of the runtime side by side, each serving only the tenants the registry assigns to it.

A process started with ``ZGW_RUNTIME_POOL=shared-v2`` serves the tenants whose registry ``pool`` is
``shared-v2``. A request for a tenant of another pool is forwarded to that pool's process when
``ZGW_RUNTIME_POOL_ROUTES`` names it (the local driver's ingress: one public address, the registry decides), or
answered 503 with ``Retry-After`` (on Kubernetes the tenant's Ingress is switched to the new pool's Service right
after the registry, so a request can only reach the old pool in that moment). A process without a pool serves
every pool it has no route for (the embedded default: one process, every tenant).

Every request a process serves for a tenant is counted per tenant and status class
(``zgw_runtime_tenant_requests_total``): the upgrade health gate reads a tenant's error rate from it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from enum import Enum

import httpx
import structlog
from prometheus_client import Counter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tenant_runtime.core.problems import Problem

log = structlog.get_logger(__name__)

TENANT_REQUESTS = Counter(
    "zgw_runtime_tenant_requests",
    "Requests this process answered for a tenant, by status class (2xx … 5xx).",
    ["tenant", "status_class"],
)

# Connection-level headers a proxy must not pass on (RFC 9110 section 7.6.1).
HOP_BY_HOP = frozenset(
    {b"connection", b"keep-alive", b"proxy-authenticate", b"proxy-authorization", b"te", b"trailer",
     b"transfer-encoding", b"upgrade", b"host"}
)  # fmt: skip


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class Placement(Enum):
    SERVE = "serve"
    FORWARD = "forward"
    ELSEWHERE = "elsewhere"


class PoolRouting:
    def __init__(self, pool: str = "", routes: dict[str, str] | None = None, timeout: float = 300.0) -> None:
        self.pool = pool
        self.routes = {name: url.rstrip("/") for name, url in (routes or {}).items() if name != pool}
        self.timeout = timeout
        self._client: httpx.AsyncClient | None = None
        self._counters: dict[tuple[str, int], Counter] = {}

    def placement(self, tenant_pool: str) -> Placement:
        if tenant_pool == self.pool:
            return Placement.SERVE
        if tenant_pool in self.routes:
            return Placement.FORWARD
        return Placement.SERVE if not self.pool else Placement.ELSEWHERE

    # --- counting ---------------------------------------------------------------------------------
    def _count(self, slug: str, status: int) -> None:
        status_class = status // 100
        child = self._counters.get((slug, status_class))
        if child is None:
            child = TENANT_REQUESTS.labels(tenant=slug, status_class=f"{status_class}xx")
            self._counters[(slug, status_class)] = child
        child.inc()

    async def serve_counted(self, slug: str, app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
        """Run ``app`` for a request served for ``slug`` and count its response status (one dict lookup) — the
        500 an unhandled exception becomes too: Starlette's outermost error middleware sends that one around
        this counter, and the health gate must see exactly those."""
        started = False

        async def counting_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                self._count(slug, int(message["status"]))
            await send(message)

        try:
            await app(scope, receive, counting_send)
        except Exception:
            if not started:
                self._count(slug, 500)
            raise

    # --- refusing and forwarding ------------------------------------------------------------------
    @staticmethod
    def elsewhere(slug: str, tenant_pool: str) -> Problem:
        return Problem(
            503,
            f"Omgeving '{slug}' wordt door een andere runtime-pool ({tenant_pool}) bediend; probeer het zo opnieuw.",
            code="tenant_other_pool",
            headers={"Retry-After": "1"},
        )

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            # Bodies stream in both directions (documents can be large). Idle connections are dropped well before
            # the upstream's keep-alive timeout (uvicorn: 5 s), so a request is not sent on one it is closing.
            self._client = httpx.AsyncClient(
                timeout=httpx.Timeout(self.timeout, connect=5.0), limits=httpx.Limits(keepalive_expiry=2.0)
            )
        return self._client

    async def forward(self, scope: Scope, receive: Receive, send: Send, tenant_pool: str) -> None:
        """Pass the request on to ``tenant_pool``'s process as a reverse proxy, streaming both bodies."""
        upstream = self.routes[tenant_pool]
        query = scope.get("query_string", b"")
        url = upstream + scope["raw_path"].decode("latin-1") if scope.get("raw_path") else upstream + scope["path"]
        if query:
            url += "?" + query.decode("latin-1")
        headers = [(k, v) for k, v in scope["headers"] if k not in HOP_BY_HOP]
        names = {k for k, _ in headers}
        original_host = next((v for k, v in scope["headers"] if k == b"host"), b"")
        if b"x-forwarded-host" not in names and original_host:
            headers.append((b"x-forwarded-host", original_host))
        if b"x-forwarded-proto" not in names:
            headers.append((b"x-forwarded-proto", scope.get("scheme", "http").encode()))
        if scope.get("client"):
            headers.append((b"x-forwarded-for", str(scope["client"][0]).encode()))

        async def body() -> AsyncIterator[bytes]:
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                chunk = message.get("body", b"")
                if chunk:
                    yield chunk
                if not message.get("more_body", False):
                    return

        client = self._http()
        method = scope["method"]
        # A safe method's (small) body is read first, so it can be sent again once on a fresh connection when a
        # pooled one turns out closed; other requests stream theirs and are never repeated.
        content: bytes | AsyncIterator[bytes] = (
            b"".join([chunk async for chunk in body()]) if method in SAFE_METHODS else body()
        )
        try:
            try:
                response = await client.send(client.build_request(method, url, headers=headers, content=content),
                                             stream=True)  # fmt: skip
            except (httpx.ReadError, httpx.RemoteProtocolError):
                if method not in SAFE_METHODS:
                    raise
                response = await client.send(client.build_request(method, url, headers=headers, content=content),
                                             stream=True)  # fmt: skip
        except httpx.TransportError as exc:
            log.warning("pool_forward_failed", pool=tenant_pool, upstream=upstream, error=type(exc).__name__)
            problem = Problem(
                503,
                f"Runtime-pool {tenant_pool} is niet bereikbaar; probeer het zo opnieuw.",
                code="pool_unavailable",
                headers={"Retry-After": "1"},
            )
            await problem.response()(scope, receive, send)
            return
        try:
            await send(
                {
                    "type": "http.response.start",
                    "status": response.status_code,
                    "headers": [(k, v) for k, v in response.headers.raw if k.lower() not in HOP_BY_HOP],
                }
            )
            async for chunk in response.aiter_raw():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            await response.aclose()
