"""Wake-ups after commit: a transaction that wrote to the outbox tells the delivery runner right away, so
notifications leave within milliseconds instead of at the next periodic tick.

The listeners are SQLAlchemy events on the outbox model and on sessions; they only set a flag and call the
registered callbacks (which must not block: they hand the database URL to a runner's queue).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction, object_session

from tenant_runtime.core.outbox import OutboxMessage
from tenant_runtime.logging import get_logger

log = get_logger(__name__)

_FLAG = "zgw_outbox_written"
_callbacks: list[Callable[[str], None]] = []
_lock = threading.Lock()
_installed = False


def _outbox_insert(_mapper: Any, _connection: Any, target: OutboxMessage) -> None:
    session = object_session(target)
    if session is not None:
        session.info[_FLAG] = True


def _after_commit(session: Session) -> None:
    if not session.info.pop(_FLAG, False) or not _callbacks:
        return
    bind = session.get_bind()
    url = bind.engine.url.render_as_string(hide_password=False)
    for callback in list(_callbacks):
        try:
            callback(url)
        except Exception:  # a wake-up is an optimisation; the periodic tick delivers anyway
            log.exception("notificaties_wakeup_failed")


def _after_rollback(session: Session, previous_transaction: SessionTransaction) -> None:
    # A rolled-back savepoint leaves the outer transaction's outbox messages in place.
    if not previous_transaction.nested:
        session.info.pop(_FLAG, None)


def on_outbox_commit(callback: Callable[[str], None]) -> Callable[[], None]:
    """Call ``callback(database_url)`` after each commit that wrote outbox messages; returns an unsubscribe."""
    global _installed
    with _lock:
        if not _installed:
            event.listen(OutboxMessage, "after_insert", _outbox_insert)
            event.listen(Session, "after_commit", _after_commit)
            event.listen(Session, "after_soft_rollback", _after_rollback)
            _installed = True
        _callbacks.append(callback)

    def unsubscribe() -> None:
        with _lock:
            if callback in _callbacks:
                _callbacks.remove(callback)

    return unsubscribe


def wake(database_url: str) -> None:
    """Tell the runners about new due work that no outbox commit announced (e.g. a manual resend)."""
    for callback in list(_callbacks):
        try:
            callback(database_url)
        except Exception:
            log.exception("notificaties_wakeup_failed")
