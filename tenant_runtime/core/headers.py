"""The ``API-version`` response header every ZGW API sends, chosen by the API the path belongs to."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tenant_runtime.openapi import SPECS


class ApiVersionMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._versions = {component.encode(): version for component, (_, version) in SPECS.items()}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        root: str = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :]
        version = self._versions.get(path.split("/", 2)[1].encode()) if path.count("/") >= 2 else None
        if version is None:
            await self.app(scope, receive, send)
            return

        async def send_with_version(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["API-version"] = version
            await send(message)

        await self.app(scope, receive, send_with_version)
