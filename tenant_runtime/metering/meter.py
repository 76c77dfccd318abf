"""Counting in memory: what the request path touches.

``UsageMeter.call`` is one lock-protected dictionary increment (the lock is uncontended: requests are counted on
the event loop's thread; only the flusher, every few seconds, takes the counts away). Hours are kept as integer
hour numbers (seconds since the epoch // 3600) so the hot path does no datetime arithmetic.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from tenant_runtime.registry.repository import TenantInfo

# (hour number, component, operation) → calls
CallCounts = dict[tuple[int, str, str], int]
# (hour number, client_id)
ClientMarks = set[tuple[int, str]]


@dataclass
class TenantCounts:
    """One tenant's counts since the last flush."""

    tenant: TenantInfo
    calls: CallCounts = field(default_factory=dict)
    clients: ClientMarks = field(default_factory=set)

    def merge(self, other: TenantCounts) -> None:
        for key, count in other.calls.items():
            self.calls[key] = self.calls.get(key, 0) + count
        self.clients |= other.clients

    def __bool__(self) -> bool:
        return bool(self.calls or self.clients)


class UsageMeter:
    """Per tenant and hour: API calls per (component, operation), and the clients that called."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock  # seconds since the epoch; tests move it
        self._lock = threading.Lock()
        self._counts: dict[str, TenantCounts] = {}

    def hour_number(self) -> int:
        return int(self.clock() // 3600)

    def call(self, tenant: TenantInfo, component: str, operation: str, client_id: str = "") -> None:
        hour = int(self.clock() // 3600)
        with self._lock:
            counts = self._counts.get(tenant.slug)
            if counts is None:
                counts = self._counts[tenant.slug] = TenantCounts(tenant)
            key = (hour, component, operation)
            counts.calls[key] = counts.calls.get(key, 0) + 1
            if client_id:
                counts.clients.add((hour, client_id))

    def drain(self) -> list[TenantCounts]:
        """Take every tenant's counts (the flusher writes them to the outbox)."""
        with self._lock:
            taken, self._counts = self._counts, {}
        return [counts for counts in taken.values() if counts]

    def restore(self, counts: TenantCounts) -> None:
        """Put counts back after a failed flush, to be written with the next one."""
        with self._lock:
            current = self._counts.get(counts.tenant.slug)
            if current is None:
                self._counts[counts.tenant.slug] = counts
            else:
                current.merge(counts)

    def pending(self) -> int:
        """Calls counted but not flushed yet."""
        with self._lock:
            return sum(sum(c.calls.values()) for c in self._counts.values())
