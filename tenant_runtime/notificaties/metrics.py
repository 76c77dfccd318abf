"""Prometheus metrics of notification delivery (served by the runtime's and the workers' /metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

from tenant_runtime.notificaties.callbacks import PostResult

ATTEMPTS = Counter(
    "zgw_notificaties_delivery_attempts_total", "Notification delivery attempts by outcome.", ["outcome"]
)
ATTEMPT_SECONDS = Histogram(
    "zgw_notificaties_delivery_attempt_seconds",
    "Duration of one delivery attempt (callback round trip).",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
FANNED_OUT = Counter("zgw_notificaties_fanned_out_total", "Outbox messages fanned out to abonnementen.")
CIRCUIT_OPENED = Counter("zgw_notificaties_circuit_opened_total", "Times an abonnement's circuit breaker opened.")


def observe_attempt(result: PostResult) -> None:
    ATTEMPTS.labels("success" if result.success else "failure").inc()
    ATTEMPT_SECONDS.observe(result.duration_ms / 1000)
