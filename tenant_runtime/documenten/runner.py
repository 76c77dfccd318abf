"""Who runs the content sweep in a runtime process (``start_sweeper``, called from the app's lifespan): with a
broker the runtime's Celery beat and workers do (``tenant_runtime.documenten.tasks``); in the embedded default
(no ``ZGW_RUNTIME_CELERY_BROKER_URL``) a background thread of the API process sweeps every served tenant each
``ZGW_RUNTIME_DOCUMENT_SWEEP_SECONDS``."""

from __future__ import annotations

import threading
from collections.abc import Callable

from tenant_runtime.container import Runtime
from tenant_runtime.documenten.services import hygiene
from tenant_runtime.logging import get_logger
from tenant_runtime.metering.runner import served_tenants

log = get_logger(__name__)


class InProcessSweeper:
    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="documenten-sweep", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 15.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.wait(self._runtime.settings.document_sweep_seconds):
            try:
                hygiene.sweep_all(self._runtime, served_tenants(self._runtime))
            except Exception:
                log.exception("documenten_sweep_pass_failed")


def start_sweeper(runtime: Runtime) -> Callable[[], None]:
    """Start this process's sweep thread unless Celery does the sweeping; returns the stop function."""
    if runtime.settings.celery_broker_url:
        return lambda: None
    sweeper = InProcessSweeper(runtime)
    sweeper.start()
    return sweeper.stop
