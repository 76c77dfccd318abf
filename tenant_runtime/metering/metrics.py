"""Prometheus metrics of metering (served by the runtime's /metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

UNCOUNTED = Counter(
    "zgw_metering_uncounted_requests_total",
    "Tenant API requests not counted as usage, by reason (server_error, not_authenticated).",
    ["reason"],
)
FLUSHES = Counter(
    "zgw_metering_flushes_total", "Flushes of in-memory counts into tenant outboxes, by outcome.", ["outcome"]
)
SHIPMENTS = Counter(
    "zgw_metering_shipments_total",
    "Usage shipments to the control plane by outcome (shipped, unavailable, rejected).",
    ["outcome"],
)
EVENTS_SHIPPED = Counter("zgw_metering_events_shipped_total", "Usage events the control plane confirmed.")
UNSHIPPED = Gauge(
    "zgw_metering_unshipped_events",
    "Sealed usage events not yet confirmed by the control plane, per tenant.",
    ["tenant"],
)
