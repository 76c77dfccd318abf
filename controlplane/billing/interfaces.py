"""What a payment provider does for billing. Two implementations: Stripe (``stripe_provider.py``) and the
disabled provider (``providers.py``: invoices are only computed and exported). Both pass one conformance
suite (tests/controlplane/billing/test_provider_conformance.py).

Every write is idempotent: the caller passes a stable key (the tenant id, the meter event's identifier), so a
retry after a timeout or a crash is the same request, never a second customer or a second meter event.
Errors are sorted deliberately: ``TemporaryError`` (network, timeouts, 5xx, rate limits: retry later, same
key) and ``PermanentError`` (a refused request: retrying will not help).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from controlplane.drivers.interfaces import PermanentError, TemporaryError

__all__ = [
    "CustomerRef",
    "CustomerSpec",
    "MeterEvent",
    "PaymentProvider",
    "PaymentsDisabled",
    "PermanentError",
    "ProviderInvoiceInfo",
    "TemporaryError",
    "WebhookEventInfo",
    "WebhookRejected",
]


class PaymentsDisabled(Exception):
    """The operation needs a payment provider and none is configured (``ZGW_STRIPE_ENABLED=false``)."""


class WebhookRejected(Exception):
    """A webhook delivery whose signature, timestamp or body is not valid."""


@dataclass(frozen=True)
class CustomerSpec:
    tenant_id: uuid.UUID
    slug: str
    name: str
    gemeentecode: str
    email: str = ""
    subscription_start: datetime | None = None  # usage from here on is billed by the subscription (backdated)
    billing_cycle_anchor: datetime | None = None  # the start of the next billing period: cycles follow ours


@dataclass(frozen=True)
class CustomerRef:
    customer_id: str
    subscription_id: str
    subscription_status: str


@dataclass(frozen=True)
class MeterEvent:
    identifier: str  # stable per ledger aggregate (tenant × period × component); the dedup key
    event_name: str
    customer_id: str
    value: int  # euro cents
    timestamp: datetime


@dataclass(frozen=True)
class ProviderInvoiceInfo:
    id: str
    customer_id: str
    number: str
    status: str
    currency: str
    amount_due: int
    amount_paid: int
    total: int
    period_start: datetime | None
    period_end: datetime | None
    hosted_invoice_url: str


@dataclass(frozen=True)
class WebhookEventInfo:
    id: str
    type: str
    created: datetime
    data: dict[str, Any] = field(default_factory=dict)  # the event's ``data.object``


class PaymentProvider(Protocol):
    name: str  # "stripe", "disabled"

    @property
    def enabled(self) -> bool:
        """False: nothing is sent anywhere; invoices are computed and exported only."""
        ...

    def event_name(self, component: str) -> str:
        """The meter event name of an invoice component."""
        ...

    def ensure_customer(self, spec: CustomerSpec, known: CustomerRef | None = None) -> CustomerRef:
        """The tenant's customer with its subscription, created when missing (idempotent per tenant)."""
        ...

    def send_meter_event(self, event: MeterEvent) -> bool:
        """Record one meter event, at most once per identifier. True: recorded by this call (or a replay of the
        first call's answer); False: the provider already had this identifier from an earlier call."""
        ...

    def meter_total(self, customer_id: str, component: str, start: datetime, end: datetime) -> int:
        """What the provider aggregated for a customer's component meter in [start, end), in cents."""
        ...

    def list_invoices(self, customer_id: str, limit: int = 24) -> Sequence[ProviderInvoiceInfo]:
        """The customer's invoices at the provider, newest first."""
        ...

    def portal_url(self, customer_id: str, return_url: str) -> str:
        """A short-lived link to the provider's self-service portal for this customer."""
        ...

    def parse_webhook(self, payload: bytes, signature: str) -> WebhookEventInfo:
        """A verified webhook event, or ``WebhookRejected``."""
        ...
