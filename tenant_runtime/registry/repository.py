"""Reading and writing the tenant registry. The runtime reads it on every request (cached briefly);
the control plane's drivers and the ``zgwcloud runtime`` CLI write it."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from tenant_runtime.registry.models import RegisteredTenant, TenantStatus


@dataclass(frozen=True, slots=True)
class TenantInfo:
    """An immutable snapshot of a registry row, safe to cache and share across threads."""

    slug: str
    name: str
    database_url: str
    status: TenantStatus
    pool: str


def _snapshot(row: RegisteredTenant) -> TenantInfo:
    return TenantInfo(row.slug, row.name, row.database_url, TenantStatus(row.status), row.pool)


class TenantRegistry:
    def __init__(self, engine: Engine, cache_seconds: float = 2.0) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, TenantInfo | None]] = {}
        self._lock = threading.Lock()

    def get(self, slug: str) -> TenantInfo | None:
        """The tenant for a slug, or None; cached for ``cache_seconds`` so suspension applies quickly."""
        now = time.monotonic()
        cached = self._cache.get(slug)
        if cached is not None and now - cached[0] < self._cache_seconds:
            return cached[1]
        with self._sessions() as session:
            row = session.get(RegisteredTenant, slug)
            info = _snapshot(row) if row else None
        with self._lock:
            self._cache[slug] = (now, info)
        return info

    def list(self) -> list[TenantInfo]:
        with self._sessions() as session:
            rows = session.scalars(select(RegisteredTenant).order_by(RegisteredTenant.slug))
            return [_snapshot(row) for row in rows]

    def upsert(
        self,
        *,
        slug: str,
        name: str,
        database_url: str,
        status: TenantStatus = TenantStatus.ACTIVE,
        pool: str = "default",
    ) -> TenantInfo:
        """Create or update a tenant's registration (idempotent)."""
        with self._sessions.begin() as session:
            row = session.get(RegisteredTenant, slug)
            if row is None:
                row = RegisteredTenant(slug=slug)
                session.add(row)
            row.name, row.database_url, row.status, row.pool = name, database_url, status, pool
            session.flush()
            info = _snapshot(row)
        self.invalidate(slug)
        return info

    def set_status(self, slug: str, status: TenantStatus) -> TenantInfo | None:
        with self._sessions.begin() as session:
            row = session.get(RegisteredTenant, slug)
            if row is None:
                return None
            row.status = status
            session.flush()
            info = _snapshot(row)
        self.invalidate(slug)
        return info

    def remove(self, slug: str) -> bool:
        with self._sessions.begin() as session:
            row = session.get(RegisteredTenant, slug)
            if row is not None:
                session.delete(row)
        self.invalidate(slug)
        return row is not None

    def invalidate(self, slug: str | None = None) -> None:
        with self._lock:
            if slug is None:
                self._cache.clear()
            else:
                self._cache.pop(slug, None)

    def session(self) -> Session:
        return self._sessions()
