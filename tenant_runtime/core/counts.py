"""Exact list counts without recounting on every page.

A ZGW list answers ``count`` on every page, and a client paging through 2,500 pages of a large result set would
otherwise make PostgreSQL count the same rows 2,500 times (a quarter of a million index entries is ~25 ms each
time). A count is cached per process under the tenant database's **write generation**: a sequence
(``zgw_write_generation``, migration core0003) that every connection which committed an INSERT, UPDATE or DELETE
advances when it goes back to its pool — i.e. after the commit, so a reader can never cache a count under a
generation that a not-yet-visible write will keep. Any process writing through :func:`build_engine
<tenant_runtime.db.engines.build_engine>` advances it (runtime workers, Celery workers, the control plane's
driver); a restore brings back the generation of its backup together with the backup's rows. The cache's
maximum age bounds what a write that slipped past the sequence (a crash between commit and advance) can leave
behind. SQLite (the embedded default, one process) counts every time.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from sqlalchemy import Engine, Select, event, func, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from tenant_runtime.logging import get_logger

log = get_logger(__name__)

GENERATION_SEQUENCE = "zgw_write_generation"
# Both are NULL (not an error, which would abort the transaction) where the sequence does not exist yet.
_READ_GENERATION = text(f"SELECT pg_sequence_last_value(to_regclass('{GENERATION_SEQUENCE}'))")
_ADVANCE_GENERATION = f"SELECT nextval(to_regclass('{GENERATION_SEQUENCE}'))"
_WRITE_VERBS = ("INSERT", "UPDATE", "DELETE", "MERGE", "COPY", "TRUNCATE")
_WROTE = "zgw_wrote"  # on the pooled connection's info: uncommitted writes in the current transaction
_COMMITTED = "zgw_committed_writes"  # committed writes not yet announced through the sequence

MAX_ENTRIES = 4096


def _freeze(value: Any) -> Hashable:
    if isinstance(value, list | tuple):
        return tuple(_freeze(item) for item in value)
    if isinstance(value, dict):
        return tuple(sorted((key, _freeze(item)) for key, item in value.items()))
    if isinstance(value, set | frozenset):
        return frozenset(_freeze(item) for item in value)
    return value  # type: ignore[no-any-return]


class CountCache:
    """Counts of list queries per (database, statement, parameters), valid while the write generation holds."""

    def __init__(
        self, max_age_seconds: float, max_entries: int = MAX_ENTRIES, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.max_age_seconds = max_age_seconds
        self._max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[Hashable, tuple[int, int, float]] = OrderedDict()
        self._lock = threading.Lock()

    def count(self, session: Session, query: Select[Any]) -> int:
        statement = select(func.count()).select_from(query.order_by(None).subquery())
        bind = session.get_bind()
        if self.max_age_seconds <= 0 or bind.dialect.name != "postgresql":
            return session.scalar(statement) or 0
        generation = session.scalar(_READ_GENERATION)
        if generation is None:  # database not migrated to core0003 yet
            return session.scalar(statement) or 0
        compiled = statement.compile(dialect=bind.dialect)
        key = (bind.engine.url.render_as_string(hide_password=True), str(compiled), _freeze(compiled.params))
        now = self._clock()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[0] == generation and now - entry[2] < self.max_age_seconds:
                self._entries.move_to_end(key)
                return entry[1]
        # Counted after the generation was read: a write committing in between makes the entry newer than its
        # generation, which the write's advance then retires; never older.
        counted = session.scalar(statement) or 0
        with self._lock:
            self._entries[key] = (int(generation), counted, now)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)
        return counted

    def __len__(self) -> int:
        return len(self._entries)


def _after_cursor_execute(conn: Connection, _cursor: Any, statement: str, *_: Any) -> None:
    if statement.lstrip()[:8].upper().startswith(_WRITE_VERBS):
        conn.info[_WROTE] = True


def _on_commit(conn: Connection) -> None:
    if conn.info.pop(_WROTE, False):
        conn.info[_COMMITTED] = True


def _on_rollback(conn: Connection) -> None:
    conn.info.pop(_WROTE, None)


def _on_checkin(dbapi_connection: Any, record: Any) -> None:
    if record is None or not record.info.pop(_COMMITTED, False) or dbapi_connection is None:
        return
    try:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(_ADVANCE_GENERATION)
        finally:
            cursor.close()
        dbapi_connection.commit()
    except Exception:  # the cache's maximum age still bounds a missed advance
        log.warning("write_generation_advance_failed", exc_info=True)


def track_write_generation(engine: Engine) -> None:
    """Advance the database's write generation after every transaction that wrote (PostgreSQL engines)."""
    if engine.dialect.name != "postgresql":
        return
    event.listen(engine, "after_cursor_execute", _after_cursor_execute)
    event.listen(engine, "commit", _on_commit)
    event.listen(engine, "rollback", _on_rollback)
    event.listen(engine.pool, "checkin", _on_checkin)
