"""Who runs delivery in a runtime process (``start_delivery``, called from the app's lifespan):

* **Embedded default** (no ``ZGW_RUNTIME_CELERY_BROKER_URL``): ``InProcessDelivery``, a background thread with an
  asyncio loop that walks the registry's active tenants every tick (and right after each commit that wrote the
  outbox), fans their outboxes out and runs one sender per abonnement with work.
* **With a broker**: the API process only sends wake-ups (``CeleryWakeups``: a ``notificaties.dispatch`` task per
  tenant that just committed outbox messages, de-duplicated); the runtime's Celery workers and beat do the rest
  (``tenant_runtime.notificaties.tasks``).
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
import time
from collections.abc import Callable

import aiohttp
from sqlalchemy.orm import Session

from tenant_runtime.config import RuntimeSettings
from tenant_runtime.container import Runtime
from tenant_runtime.db.urls import normalise_url
from tenant_runtime.logging import get_logger
from tenant_runtime.notificaties import delivery, signals
from tenant_runtime.notificaties.callbacks import client_session
from tenant_runtime.notificaties.sender import deliver_abonnement
from tenant_runtime.registry.models import TenantStatus
from tenant_runtime.registry.repository import TenantInfo

log = get_logger(__name__)

SENDER_BUDGET_SECONDS = 10.0  # one sender's turn before it yields (and is scheduled again when work is left)
PURGE_INTERVAL_SECONDS = 3600.0
MAX_CONNECTIONS = 512  # callbacks in flight from one in-process runner, all abonnementen together


def url_key(database_url: str) -> str:
    """The form in which an engine reports its URL, to recognise a tenant from a commit's session."""
    return normalise_url(database_url).render_as_string(hide_password=False)


class TenantDirectory:
    """Active tenants of the registry, and which one a database URL belongs to (refreshed on a miss)."""

    def __init__(self, runtime: Runtime, refresh_seconds: float = 1.0) -> None:
        self._runtime = runtime
        self._refresh_seconds = refresh_seconds
        self._by_url: dict[str, TenantInfo] = {}
        self._loaded_at = 0.0
        self._lock = threading.Lock()

    def active(self) -> list[TenantInfo]:
        tenants = [t for t in self._runtime.registry.list() if t.status == TenantStatus.ACTIVE]
        with self._lock:
            self._by_url = {url_key(t.database_url): t for t in tenants}
            self._loaded_at = time.monotonic()
        return tenants

    def by_url(self, key: str) -> TenantInfo | None:
        """The active tenant of a database URL. Its status is read again through the registry's own cache, so a
        suspension stops wake-up deliveries as fast as it stops API requests."""
        with self._lock:
            tenant = self._by_url.get(key)
            stale = time.monotonic() - self._loaded_at >= self._refresh_seconds
        if tenant is None and stale:
            self.active()
            with self._lock:
                tenant = self._by_url.get(key)
        if tenant is None:
            return None
        current = self._runtime.registry.get(tenant.slug)
        return current if current is not None and current.status == TenantStatus.ACTIVE else None


class InProcessDelivery:
    """Delivers every active tenant's notifications from one background thread of this process."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self._settings: RuntimeSettings = runtime.settings
        self._directory = TenantDirectory(runtime)
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._event: asyncio.Event | None = None
        self._started = threading.Event()
        self._stopping = False
        self._dirty: set[str] = set()
        self._dirty_lock = threading.Lock()
        self._senders: dict[tuple[str, int], asyncio.Task[None]] = {}

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="notificaties-delivery", daemon=True)
        self._thread.start()
        self._started.wait(10)

    def stop(self, timeout: float = 15.0) -> None:
        self._stopping = True
        self.wake()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def wake(self, database_url: str | None = None) -> None:
        """Thread-safe: look at this tenant's outbox (or all tenants) now."""
        if database_url is not None:
            with self._dirty_lock:
                self._dirty.add(database_url)
        loop, event = self._loop, self._event
        if loop is not None and event is not None:
            with contextlib.suppress(RuntimeError):  # the loop has just closed
                loop.call_soon_threadsafe(event.set)

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except Exception:
            log.exception("notificaties_runner_crashed")

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._event = asyncio.Event()
        self._started.set()
        last_full = last_purge = 0.0
        async with client_session(self._settings, connections=MAX_CONNECTIONS) as http:
            while not self._stopping:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._event.wait(), timeout=self._settings.delivery_tick_seconds)
                self._event.clear()
                if self._stopping:
                    break
                with self._dirty_lock:
                    dirty, self._dirty = self._dirty, set()
                full = time.monotonic() - last_full >= self._settings.delivery_tick_seconds or not dirty
                try:
                    if full:
                        last_full = time.monotonic()
                        tenants = await asyncio.to_thread(self._directory.active)
                    else:
                        found = [await asyncio.to_thread(self._directory.by_url, key) for key in dirty]
                        tenants = [t for t in found if t is not None]
                    for tenant in tenants:
                        await self._pass(tenant, http)
                    if time.monotonic() - last_purge >= PURGE_INTERVAL_SECONDS:
                        last_purge = time.monotonic()
                        for tenant in tenants if full else []:
                            await asyncio.to_thread(self._purge, tenant)
                except Exception:
                    log.exception("notificaties_runner_pass_failed")
            await self._finish_senders()

    async def _pass(self, tenant: TenantInfo, http: aiohttp.ClientSession) -> None:
        engine = self._runtime.engines.get(tenant.database_url)
        try:
            await asyncio.to_thread(delivery.fan_out_all, engine, self._settings.delivery_batch_size)

            def ready() -> list[int]:
                with Session(engine) as session:
                    return delivery.ready_abonnementen(session)

            abonnementen = await asyncio.to_thread(ready)
        except Exception:
            log.exception("notificaties_tenant_pass_failed", tenant=tenant.slug)
            return
        for abonnement_id in abonnementen:
            key = (tenant.database_url, abonnement_id)
            if key not in self._senders:
                self._senders[key] = asyncio.create_task(self._serve(tenant, abonnement_id, http))

    async def _serve(self, tenant: TenantInfo, abonnement_id: int, http: aiohttp.ClientSession) -> None:
        engine = self._runtime.engines.get(tenant.database_url)
        more = False
        try:
            while not self._stopping:
                report = await deliver_abonnement(
                    engine, abonnement_id, self._settings, http=http, budget_seconds=SENDER_BUDGET_SECONDS
                )
                more = report.more
                if report.busy or not report.more:
                    break
        except Exception:
            log.exception("notificaties_sender_failed", tenant=tenant.slug, abonnement_id=abonnement_id)
        finally:
            self._senders.pop((tenant.database_url, abonnement_id), None)
            if more and not self._stopping:
                self.wake(url_key(tenant.database_url))

    def _purge(self, tenant: TenantInfo) -> None:
        engine = self._runtime.engines.get(tenant.database_url)
        with Session(engine) as session:
            while delivery.purge_old(session, self._settings.delivery_log_retention_days):
                pass

    async def _finish_senders(self) -> None:
        """Let senders finish their round (their leases would otherwise hold the work until they run out)."""
        running = list(self._senders.values())
        if running:
            _, pending = await asyncio.wait(running, timeout=self._settings.delivery_timeout + 2)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)


class CeleryWakeups:
    """In an API process with a broker: turn outbox commits into de-duplicated ``notificaties.dispatch`` tasks,
    from a background thread so a slow broker never slows a request."""

    def __init__(self, runtime: Runtime) -> None:
        from tenant_runtime.celery_app import TaskScheduler

        self._directory = TenantDirectory(runtime)
        self._scheduler = TaskScheduler.from_settings(runtime.settings)
        self._queue: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="notificaties-wakeups", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wake(self, database_url: str) -> None:
        self._queue.put(database_url)

    def stop(self, timeout: float = 5.0) -> None:
        self._queue.put(None)
        self._thread.join(timeout)
        self._scheduler.close()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            batch = {item}
            while True:  # coalesce a burst of commits into one task per tenant
                try:
                    batch.add(self._queue.get_nowait())
                except queue.Empty:
                    break
            for key in batch - {None}:
                assert key is not None
                try:
                    tenant = self._directory.by_url(key)
                    if tenant is not None:
                        self._scheduler.dispatch(tenant.slug)
                except Exception:  # the beat's tick dispatches anyway
                    log.exception("notificaties_wakeup_failed")
            if None in batch:
                return


def start_delivery(runtime: Runtime) -> Callable[[], None]:
    """Start what delivers this process's notifications (see the module docstring); returns the stop function."""
    settings = runtime.settings
    if settings.celery_broker_url:
        wakeups = CeleryWakeups(runtime)
        wakeups.start()
        unsubscribe = signals.on_outbox_commit(wakeups.wake)

        def stop_wakeups() -> None:
            unsubscribe()
            wakeups.stop()

        return stop_wakeups
    if not settings.delivery_in_process:
        return lambda: None
    runner = InProcessDelivery(runtime)
    runner.start()
    unsubscribe = signals.on_outbox_commit(runner.wake)

    def stop_runner() -> None:
        unsubscribe()
        runner.stop()

    return stop_runner
