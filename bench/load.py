"""A bounded HTTP load driver shared by the benchmarks: N concurrent users send requests for a fixed time (or
until a request count is reached) to a loopback server and the latencies are summarised as a table row.

Every loop is bounded in both count and time, and only loopback URLs are accepted.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}

# One request of a user: gets the client and the user's sequence number, returns the response.
RequestFn = Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]]


@dataclass
class LoadResult:
    name: str
    users: int
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)

    @property
    def requests(self) -> int:
        return len(self.latencies_ms) + sum(self.errors.values())

    @property
    def per_second(self) -> float:
        return len(self.latencies_ms) / self.seconds if self.seconds else 0.0

    def percentile(self, fraction: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]

    def cells(self) -> list[str]:
        median = statistics.median(self.latencies_ms) if self.latencies_ms else float("nan")
        errors = ", ".join(f"{k}×{v}" for k, v in sorted(self.errors.items())) or "0"
        return [
            self.name,
            str(self.users),
            str(self.requests),
            f"{self.per_second:.0f}",
            f"{median:.1f}",
            f"{self.percentile(0.95):.1f}",
            f"{self.percentile(0.99):.1f}",
            errors,
        ]


HEADERS = ["scenario", "users", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors"]


def print_table(rows: list[list[str]], headers: list[str] = HEADERS) -> None:
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]
    line = " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    print(line)
    print("-+-".join("-" * w for w in widths))
    for row in rows:
        print(" | ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))


def _check_loopback(base_url: str) -> None:
    host = urlsplit(base_url).hostname or ""
    if host not in LOOPBACK_HOSTS:
        raise SystemExit(f"refusing to send load to {host!r}: benchmarks only target loopback")


async def _run(
    name: str,
    base_url: str,
    request: RequestFn,
    users: int,
    seconds: float,
    max_requests: int,
    expect: tuple[int, ...],
) -> LoadResult:
    _check_loopback(base_url)
    result = LoadResult(name, users, seconds)
    limits = httpx.Limits(max_connections=users, max_keepalive_connections=users)
    deadline = time.monotonic() + seconds
    budget = [max_requests]

    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30.0) as client:

        async def user(number: int) -> None:
            sequence = number
            while time.monotonic() < deadline and budget[0] > 0:
                budget[0] -= 1
                started = time.perf_counter()
                try:
                    response = await request(client, sequence)
                except httpx.HTTPError as exc:
                    key = type(exc).__name__
                    result.errors[key] = result.errors.get(key, 0) + 1
                    continue
                finally:
                    sequence += users
                elapsed = (time.perf_counter() - started) * 1000
                if response.status_code in expect:
                    result.latencies_ms.append(elapsed)
                else:
                    key = str(response.status_code)
                    result.errors[key] = result.errors.get(key, 0) + 1

        started = time.monotonic()
        await asyncio.gather(*(user(n) for n in range(users)))
        result.seconds = time.monotonic() - started
    return result


def run_load(
    name: str,
    base_url: str,
    request: RequestFn,
    *,
    users: int,
    seconds: float,
    max_requests: int = 1_000_000,
    expect: tuple[int, ...] = (200,),
) -> LoadResult:
    """Run ``users`` concurrent loops of ``request`` for at most ``seconds`` and ``max_requests`` in total."""
    return asyncio.run(_run(name, base_url, request, users, seconds, max_requests, expect))
