"""The in-process sweeper of the embedded default: it sweeps the served tenants every interval and stops at once;
with a broker it does not start (Celery's beat sweeps)."""

from __future__ import annotations

import threading
from types import SimpleNamespace
from typing import Any

import pytest

from tenant_runtime.documenten import runner


def _runtime(**settings: Any) -> Any:
    return SimpleNamespace(
        settings=SimpleNamespace(**{"celery_broker_url": "", "document_sweep_seconds": 0.01, **settings})
    )


def test_sweeps_each_interval_until_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    passes = threading.Semaphore(0)
    tenants = [SimpleNamespace(slug="alpha")]
    monkeypatch.setattr(runner, "served_tenants", lambda _: tenants)

    def sweep_all(runtime: Any, served: Any) -> int:
        assert served == tenants
        passes.release()
        if not hasattr(sweep_all, "failed"):
            sweep_all.failed = True  # type: ignore[attr-defined]
            raise RuntimeError("one failing pass does not end the thread")
        return 1

    monkeypatch.setattr(runner.hygiene, "sweep_all", sweep_all)
    stop = runner.start_sweeper(_runtime())
    try:
        for _ in range(3):
            assert passes.acquire(timeout=5)
    finally:
        stop()


def test_not_started_with_a_broker() -> None:
    stop = runner.start_sweeper(_runtime(celery_broker_url="redis://broker:6379/0"))
    assert not any(t.name == "documenten-sweep" for t in threading.enumerate())
    stop()
