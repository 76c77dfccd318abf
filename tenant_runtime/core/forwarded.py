"""Proxy headers from trusted peers only.

The runtime builds every URL it emits from the request (``core/urls.py``: scheme from ``X-Forwarded-Proto``, host
from ``X-Forwarded-Host``/Host, ``X-Forwarded-Prefix``) and selects a tenant by ``X-Forwarded-Host`` — which any
client can send. This outermost middleware keeps the ``X-Forwarded-*`` headers only when the connecting peer is one
of ``ZGW_RUNTIME_FORWARDED_ALLOW_IPS`` (the ingress or reverse proxy, which sets them) and then applies uvicorn's
proxy-header handling (scheme from ``X-Forwarded-Proto``, client address from ``X-Forwarded-For``); from any other
peer they are dropped, so the request's own Host and scheme count. Run uvicorn with ``--no-proxy-headers`` (the
image and chart do): uvicorn's own handling would replace the peer address before this check sees it.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

_FORWARDED_PREFIX = b"x-forwarded-"


class ForwardedHeadersMiddleware:
    def __init__(self, app: ASGIApp, trusted: str) -> None:
        self.app = app
        # uvicorn's parser of the trusted list: "*", addresses, networks (CIDR) and literals (unix sockets).
        self._proxied = ProxyHeadersMiddleware(app, trusted_hosts=[h.strip() for h in trusted.split(",") if h.strip()])  # type: ignore[arg-type]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        if (client[0] if client else None) in self._proxied.trusted_hosts:
            await self._proxied(scope, receive, send)  # type: ignore[arg-type]
            return
        headers = scope.get("headers", ())
        if any(name.startswith(_FORWARDED_PREFIX) for name, _ in headers):
            scope = dict(scope)
            scope["headers"] = [(name, value) for name, value in headers if not name.startswith(_FORWARDED_PREFIX)]
        await self.app(scope, receive, send)
