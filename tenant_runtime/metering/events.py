"""The usage events a runtime ships to the control plane: meters, components, operations and event ids.

This module is the wire contract shared by both sides (the control plane validates incoming events against it).

* ``api_calls`` — a counter per (component, operation) per hour.
* ``stored_bytes``, ``zaken``, ``documenten`` — gauges: the value at the end of the hour.
* ``active_client`` — quantity 1 per ``client_id`` with at least one call in the hour.

An event's id is deterministic (a UUIDv5 over tenant, meter, hour, component, operation, client and a sequence
number), so shipping the same outbox row twice — after a crash, a lost response or a restored backup — is
recognised by the ledger as the same event.
"""

from __future__ import annotations

import enum
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

# Fixed namespace of every usage event id (never change it: ids must stay stable across releases).
EVENT_NAMESPACE = uuid.UUID("6f1d2a0e-4b7c-5d3e-9a8f-7c6b5a4d3e2f")


class Meter(enum.StrEnum):
    API_CALLS = "api_calls"
    STORED_BYTES = "stored_bytes"
    ZAKEN = "zaken"
    DOCUMENTEN = "documenten"
    ACTIVE_CLIENT = "active_client"


GAUGES = frozenset({Meter.STORED_BYTES, Meter.ZAKEN, Meter.DOCUMENTEN})


class Operation(enum.StrEnum):
    READ = "read"
    WRITE = "write"


# The metered ZGW components, by the first path segment of their API root (``/<component>/api/v1``).
COMPONENTS: tuple[str, ...] = (
    "zaken",
    "documenten",
    "catalogi",
    "besluiten",
    "autorisaties",
    "notificaties",
    "referentielijsten",
)

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SEARCH_SUFFIX = "/_zoek"  # POST .../_zoek is a search: a read


def operation_of(method: str, path: str) -> Operation:
    """Read: GET, HEAD, OPTIONS and the ``_zoek`` POSTs; write: every other method."""
    if method in READ_METHODS or (method == "POST" and path.rstrip("/").endswith(SEARCH_SUFFIX)):
        return Operation.READ
    return Operation.WRITE


def hour_of(moment: datetime) -> datetime:
    """The UTC start of the hour ``moment`` falls in."""
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def next_hour(hour: datetime) -> datetime:
    return hour + timedelta(hours=1)


def is_hour(moment: datetime) -> bool:
    return moment.utcoffset() == timedelta(0) and moment == moment.replace(minute=0, second=0, microsecond=0)


def event_id(
    tenant: str, meter: str, hour: datetime, component: str = "", operation: str = "", client_id: str = "", seq: int = 0
) -> uuid.UUID:
    """The deterministic id of one usage event (sequence > 0 only for a late addition to an hour already shipped)."""
    stamp = hour_of(hour).strftime("%Y-%m-%dT%H")
    return uuid.uuid5(EVENT_NAMESPACE, "/".join((tenant, str(meter), stamp, component, operation, client_id, str(seq))))


def wire(
    event: uuid.UUID,
    tenant: str,
    meter: str,
    hour: datetime,
    quantity: int,
    component: str = "",
    operation: str = "",
    client_id: str = "",
) -> dict[str, Any]:
    """One event as the ingestion endpoint (``POST /api/v1/usage/events``) takes it."""
    return {
        "id": str(event),
        "tenant": tenant,
        "meter": str(meter),
        "component": component,
        "operation": operation,
        "client_id": client_id,
        "hour": hour_of(hour).strftime("%Y-%m-%dT%H:00:00Z"),
        "quantity": quantity,
    }
