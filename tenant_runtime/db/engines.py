"""Engines for tenant databases: one small, bounded pool per tenant database, least recently used closed first.

Hundreds of tenants share one process, so each pool is small and the number of open pools is capped.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL
from sqlalchemy.pool import NullPool

from tenant_runtime.core.counts import track_write_generation
from tenant_runtime.db.urls import normalise_url


def _enable_sqlite_pragmas(dbapi_connection: Any, _: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def build_engine(
    url: str | URL,
    *,
    pool_size: int = 2,
    max_overflow: int = 4,
    pool_timeout: float = 10.0,
    pooled: bool = True,
) -> Engine:
    """An engine with the pragmas/pool settings we use everywhere (SQLite files and PostgreSQL alike)."""
    parsed = normalise_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"check_same_thread": False, "timeout": 10})
        event.listen(engine, "connect", _enable_sqlite_pragmas)
        return engine
    if not pooled:
        engine = create_engine(parsed, poolclass=NullPool)
    else:
        engine = create_engine(
            parsed,
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_timeout=pool_timeout,
            pool_pre_ping=True,
            pool_recycle=1800,
        )
    track_write_generation(engine)  # every writer announces its commits to the list-count caches
    return engine


class EngineCache:
    """A bounded LRU of engines keyed by database URL."""

    def __init__(self, *, max_engines: int, pool_size: int, max_overflow: int, pool_timeout: float) -> None:
        self._max_engines = max_engines
        self._pool_args = {"pool_size": pool_size, "max_overflow": max_overflow, "pool_timeout": pool_timeout}
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, url: str) -> Engine:
        with self._lock:
            engine = self._engines.get(url)
            if engine is not None:
                self._engines.move_to_end(url)
                return engine
            engine = build_engine(url, **self._pool_args)  # type: ignore[arg-type]
            self._engines[url] = engine
            while len(self._engines) > self._max_engines:
                _, evicted = self._engines.popitem(last=False)
                evicted.dispose(close=True)
            return engine

    def discard(self, url: str) -> None:
        with self._lock:
            engine = self._engines.pop(url, None)
        if engine is not None:
            engine.dispose()

    def __len__(self) -> int:
        return len(self._engines)

    def dispose_all(self) -> None:
        with self._lock:
            engines = list(self._engines.values())
            self._engines.clear()
        for engine in engines:
            engine.dispose()
