"""Choosing the payment provider from settings, and the disabled provider (``ZGW_STRIPE_ENABLED=false``):
invoices are then computed, frozen and exported, and nothing is sent anywhere."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from controlplane.billing.interfaces import (
    CustomerRef,
    CustomerSpec,
    MeterEvent,
    PaymentProvider,
    PaymentsDisabled,
    ProviderInvoiceInfo,
    WebhookEventInfo,
    WebhookRejected,
)
from controlplane.config import Settings

DISABLED = "Er is geen betaalprovider ingesteld (ZGW_STRIPE_ENABLED=false): facturen worden alleen berekend."


class DisabledProvider:
    name = "disabled"

    def __init__(self, prefix: str = "zgw_") -> None:
        self.prefix = prefix

    @property
    def enabled(self) -> bool:
        return False

    def event_name(self, component: str) -> str:
        return f"{self.prefix}{component}"

    def ensure_customer(self, spec: CustomerSpec, known: CustomerRef | None = None) -> CustomerRef:  # noqa: ARG002
        raise PaymentsDisabled(DISABLED)

    def send_meter_event(self, event: MeterEvent) -> bool:  # noqa: ARG002
        raise PaymentsDisabled(DISABLED)

    def meter_total(self, customer_id: str, component: str, start: datetime, end: datetime) -> int:  # noqa: ARG002
        raise PaymentsDisabled(DISABLED)

    def list_invoices(self, customer_id: str, limit: int = 24) -> Sequence[ProviderInvoiceInfo]:  # noqa: ARG002
        return []

    def portal_url(self, customer_id: str, return_url: str) -> str:  # noqa: ARG002
        raise PaymentsDisabled(DISABLED)

    def parse_webhook(self, payload: bytes, signature: str) -> WebhookEventInfo:  # noqa: ARG002
        raise WebhookRejected("payments are disabled (ZGW_STRIPE_ENABLED=false)")


def build_payment_provider(settings: Settings) -> PaymentProvider:
    if settings.stripe_enabled:
        from controlplane.billing.stripe_provider import StripeProvider

        return StripeProvider(settings)
    return DisabledProvider(settings.stripe_name_prefix)
