"""HTTP to subscribers' callback URLs: the pooled client deliveries use, the verification on subscribe, and
(optionally) refusing callbacks on non-public addresses.

aiohttp is used rather than httpx here: delivery is the hot path (hundreds of small POSTs per second, many in
flight), where httpx's async pool is about ten times slower on this workload.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import socket
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from tenant_runtime import __version__
from tenant_runtime.config import RuntimeSettings

USER_AGENT = f"zgw-cloud-notificaties/{__version__}"
ERROR_LIMIT = 1000  # characters of an error kept in the delivery log

# What the standard's reference implementation POSTs to verify a callback on subscribe.
TEST_NOTIFICATION: dict[str, Any] = {
    "kanaal": "test",
    "hoofdObject": "http://some.hoofdobject.nl/",
    "resource": "some_resource",
    "resourceUrl": "http://some.resource.nl/",
    "actie": "create",
    "aanmaakdatum": "2019-01-01T12:00:00Z",
    "kenmerken": {},
}


class NonPublicAddress(OSError):
    """The callback's host is (or resolves to) an address the runtime may not call."""


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (
        ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_reserved or ip.is_unspecified
    )


class PublicOnlyResolver(AbstractResolver):
    """Resolves like aiohttp's default resolver but drops non-public addresses (checked at connect time, so a
    DNS answer that changes after the subscribe check cannot point deliveries inside the platform)."""

    def __init__(self) -> None:
        self._inner = DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        allowed = [r for r in results if is_public(r["host"])]
        if not allowed:
            raise NonPublicAddress(f"{host} verwijst niet naar een publiek adres")
        return allowed

    async def close(self) -> None:
        await self._inner.close()


def literal_host_refused(url: str) -> bool:
    """An IP-literal host is not resolved (so not filtered by the resolver); check it directly."""
    host = urlsplit(url).hostname or ""
    try:
        return not is_public(host)
    except ValueError:
        return host in ("localhost", "localhost.localdomain")


def client_session(settings: RuntimeSettings, connections: int) -> aiohttp.ClientSession:
    """A pooled client for callbacks with the delivery timeout (and the address guard when configured)."""
    connector = aiohttp.TCPConnector(
        limit=connections,
        ttl_dns_cache=60,
        resolver=PublicOnlyResolver() if settings.delivery_block_private_callbacks else None,
    )
    return aiohttp.ClientSession(
        connector=connector,
        timeout=aiohttp.ClientTimeout(total=settings.delivery_timeout),
        headers={"User-Agent": USER_AGENT},
        auto_decompress=False,
    )


@dataclass(frozen=True, slots=True)
class PostResult:
    status_code: int | None
    error: str
    duration_ms: int

    @property
    def success(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


async def post_notification(
    session: aiohttp.ClientSession, settings: RuntimeSettings, url: str, auth: str, body: bytes
) -> PostResult:
    """POST one notification; a 2xx answer is success, anything else (incl. redirects) a failure."""
    started = time.perf_counter()

    def elapsed() -> int:
        return int((time.perf_counter() - started) * 1000)

    if settings.delivery_block_private_callbacks and literal_host_refused(url):
        return PostResult(None, "callback URL wijst naar een niet-publiek adres", 0)
    headers = {"Content-Type": "application/json"}
    if auth:
        headers["Authorization"] = auth
    try:
        async with session.post(url, data=body, headers=headers, allow_redirects=False) as response:
            status = response.status
            if 200 <= status < 300:
                await response.read()
                return PostResult(status, "", elapsed())
            text = (await response.content.read(ERROR_LIMIT)).decode("utf-8", errors="replace")
            return PostResult(status, f"HTTP {status}: {text}"[:ERROR_LIMIT], elapsed())
    except TimeoutError:
        return PostResult(None, f"geen antwoord binnen {settings.delivery_timeout:g}s", elapsed())
    except NonPublicAddress as exc:
        return PostResult(None, str(exc)[:ERROR_LIMIT], elapsed())
    except (aiohttp.ClientError, OSError, ValueError) as exc:
        return PostResult(None, f"{type(exc).__name__}: {exc}"[:ERROR_LIMIT], elapsed())


def encode(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def verify_callback(settings: RuntimeSettings, url: str, auth: str) -> str | None:
    """POST the standard's test notification to a callback; None when it answered 2xx, else the reason."""

    async def attempt() -> PostResult:
        async with client_session(settings, connections=1) as session:
            return await post_notification(session, settings, url, auth, encode(TEST_NOTIFICATION))

    result = asyncio.run(attempt())
    if result.success:
        return None
    return result.error or f"HTTP {result.status_code}"
