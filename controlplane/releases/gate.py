"""The health gate after a tenant's switch to a new release: readiness of the runtime that now serves it, a smoke
ZGW call with the platform's own credential, and the tenant's error rate (share of 5xx responses) counted by
that runtime over a short window."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from controlplane.drivers.interfaces import ProgressReporter, TemporaryError, TenantDriver, TenantSpec

T = TypeVar("T")


class NotHealthy(Exception):
    """The gate (or a step waiting for the runtime) gave up: the upgrade is rolled back."""


@dataclass
class GateSettings:
    window_seconds: float
    max_error_rate: float
    timeout_seconds: float


@dataclass
class GateResult:
    passed: bool
    reason: str = ""
    measured: dict[str, Any] = field(default_factory=dict)


def patiently(what: str, attempt: Callable[[], T], report: ProgressReporter, timeout: float) -> T:
    """Call ``attempt`` until it stops raising TemporaryError; past ``timeout`` seconds, NotHealthy. (A temporary
    condition of the new release is waited for here, not retried by Celery: giving up must roll back.)"""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return attempt()
        except TemporaryError as exc:
            if time.monotonic() + min(exc.delay, 2.0) > deadline:
                raise NotHealthy(f"{what}: {exc} (na {timeout:.0f} s)") from None
            report(f"{what}: {exc}")
            time.sleep(min(exc.delay, 2.0))


def check(
    driver: TenantDriver,
    tenant: TenantSpec,
    smoke: Callable[[], None],
    settings: GateSettings,
    report: ProgressReporter,
) -> GateResult:
    measured: dict[str, Any] = {"window_seconds": settings.window_seconds, "max_error_rate": settings.max_error_rate}
    try:
        patiently("gereed", lambda: driver.wait_ready(tenant, report), report, settings.timeout_seconds)
        measured["ready"] = True
        before = patiently("tellingen", lambda: driver.request_counts(tenant), report, settings.timeout_seconds)
        patiently("smoke-aanroep", smoke, report, settings.timeout_seconds)
        measured["smoke"] = "ok"
    except NotHealthy as exc:
        return GateResult(False, str(exc), measured)
    if before is None:
        measured["error_rate"] = None
        measured["note"] = "de runtime levert geen tellingen per omgeving; foutpercentage niet gemeten"
        return GateResult(True, "", measured)
    end = time.monotonic() + settings.window_seconds
    while (left := end - time.monotonic()) > 0:
        report(f"foutpercentage meten: nog {left:.0f} s")
        time.sleep(min(left, 5.0))
    try:
        after = patiently("tellingen", lambda: driver.request_counts(tenant), report, settings.timeout_seconds)
    except NotHealthy as exc:
        return GateResult(False, str(exc), measured)
    if after is None:
        return GateResult(False, "de tellingen van de runtime zijn verdwenen tijdens het meetvenster", measured)
    requests = max(0.0, after[0] - before[0])
    errors = max(0.0, after[1] - before[1])
    rate = errors / requests if requests else 0.0
    measured.update({"requests": requests, "server_errors": errors, "error_rate": round(rate, 4)})
    if rate > settings.max_error_rate:
        return GateResult(
            False,
            f"foutpercentage {rate:.1%} ({errors:.0f} van {requests:.0f} verzoeken 5xx) "
            f"boven {settings.max_error_rate:.1%}",
            measured,
        )
    return GateResult(True, "", measured)
