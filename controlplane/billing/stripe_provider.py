"""The Stripe payment provider, through the official ``stripe`` library (a ``StripeClient`` whose API base is a
setting, so tests point it at stripe-mock or a recording server on loopback).

Shape at Stripe (``zgwcloud billing stripe-setup`` creates it): per invoice component a Billing Meter with
event name ``<prefix><component>`` (sum), and a metered monthly price of € 0,01 per unit on that meter with
lookup key ``<prefix><component>``. Each tenant is a customer (metadata ``zgw_tenant_id``) with one
subscription holding those prices, invoiced by bank transfer. Month-close sends, per tenant and component,
one meter event whose value is the component's invoice amount in cents, so Stripe bills exactly the amounts
of our frozen invoice (see docs/operations/billing.md).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

import stripe
import structlog
from stripe import RequestOptions
from stripe.params import CustomerCreateParams, PriceCreateParams, SubscriptionCreateParams
from stripe.params.billing import MeterCreateParams, MeterEventCreateParams

from controlplane.billing.interfaces import (
    CustomerRef,
    CustomerSpec,
    MeterEvent,
    PermanentError,
    ProviderInvoiceInfo,
    TemporaryError,
    WebhookEventInfo,
    WebhookRejected,
)
from controlplane.billing.pricing import COMPONENT_LABELS, Component
from controlplane.config import Settings

log = structlog.get_logger(__name__)
T = TypeVar("T")

DUPLICATE_IDENTIFIER_CODES = frozenset({"duplicate_meter_event", "meter_event_identifier_already_exists"})
TENANT_METADATA_KEY = "zgw_tenant_id"


def _ts(moment: datetime) -> int:
    return int(moment.timestamp())


def _dt(value: Any) -> datetime | None:
    return datetime.fromtimestamp(int(value), UTC) if value else None


def _is_duplicate_identifier(error: stripe.InvalidRequestError) -> bool:
    message = str(getattr(error, "user_message", "") or error).lower()
    return error.code in DUPLICATE_IDENTIFIER_CODES or "already exists with identifier" in message


def _next_month_start(moment: datetime) -> datetime:
    moment = moment.astimezone(UTC)
    year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
    return datetime(year, month, 1, tzinfo=UTC)


class StripeProvider:
    name = "stripe"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        base = settings.stripe_api_base.rstrip("/") or stripe.DEFAULT_API_BASE
        self.client = stripe.StripeClient(
            settings.stripe_api_key,
            base_addresses={"api": base, "meter_events": base},
            max_network_retries=settings.stripe_max_network_retries,
            http_client=stripe.HTTPXClient(timeout=settings.stripe_timeout_seconds, allow_sync_methods=True),
        )
        self._lock = threading.Lock()
        self._prices: dict[str, str] = {}
        self._meters: dict[str, str] = {}

    @property
    def enabled(self) -> bool:
        return True

    def event_name(self, component: str) -> str:
        return f"{self.settings.stripe_name_prefix}{component}"

    # --- calling Stripe -------------------------------------------------------------------------------

    def _call(self, what: str, call: Callable[[], T]) -> T:
        """Run one Stripe call; sort its failure into a retryable or a permanent error."""
        try:
            return call()
        except (stripe.APIConnectionError, stripe.RateLimitError) as exc:
            raise TemporaryError(f"Stripe {what}: {type(exc).__name__}: {exc.user_message or exc}", 30) from exc
        except (stripe.AuthenticationError, stripe.PermissionError) as exc:
            # A wrong or revoked key: retried slowly until someone fixes the configuration.
            raise TemporaryError(f"Stripe {what}: {type(exc).__name__}: {exc.user_message or exc}", 300) from exc
        except stripe.APIError as exc:
            raise TemporaryError(f"Stripe {what}: HTTP {exc.http_status}: {exc.user_message or exc}", 30) from exc
        except stripe.StripeError as exc:
            if exc.http_status is not None and exc.http_status >= 500:
                raise TemporaryError(f"Stripe {what}: HTTP {exc.http_status}: {exc}", 30) from exc
            raise PermanentError(f"Stripe {what}: {type(exc).__name__}: {exc.user_message or exc}") from exc

    def _price_ids(self) -> dict[str, str]:
        with self._lock:
            if len(self._prices) < len(Component):
                keys = [self.event_name(c) for c in Component]
                found = self._call("list prices", lambda: self.client.v1.prices.list(
                    {"lookup_keys": keys, "active": True, "limit": 100}))  # fmt: skip
                by_key = {p.lookup_key: p.id for p in found.data if p.lookup_key}
                missing = [k for k in keys if k not in by_key]
                if missing:
                    raise PermanentError(
                        f"Stripe has no active price with lookup key {', '.join(missing)} "
                        "(create them with `zgwcloud billing stripe-setup`)"
                    )
                self._prices = {c.value: by_key[self.event_name(c)] for c in Component}
            return dict(self._prices)

    def _meter_id(self, component: str) -> str:
        with self._lock:
            if component not in self._meters:
                meters = self._call("list meters", lambda: self.client.v1.billing.meters.list({"limit": 100}))
                for meter in meters.auto_paging_iter():
                    if meter.event_name.startswith(self.settings.stripe_name_prefix):
                        self._meters[meter.event_name.removeprefix(self.settings.stripe_name_prefix)] = meter.id
            if component not in self._meters:
                raise PermanentError(f"Stripe has no meter with event name {self.event_name(component)}")
            return self._meters[component]

    # --- customers and subscriptions ------------------------------------------------------------------

    def _find_customer(self, spec: CustomerSpec) -> str:
        query = f"metadata['{TENANT_METADATA_KEY}']:'{spec.tenant_id}'"
        try:
            found = self._call("search customers", lambda: self.client.v1.customers.search({"query": query}))
        except PermanentError:  # search is not available everywhere; the idempotency key still protects
            return ""
        return str(found.data[0].id) if found.data else ""

    def _create_customer(self, spec: CustomerSpec) -> str:
        params: CustomerCreateParams = {
            "name": spec.name,
            "metadata": {TENANT_METADATA_KEY: str(spec.tenant_id), "gemeentecode": spec.gemeentecode,
                         "slug": spec.slug},
            "preferred_locales": ["nl"],
        }  # fmt: skip
        if spec.email:
            params["email"] = spec.email
        customer = self._call(
            "create customer",
            lambda: self.client.v1.customers.create(params, {"idempotency_key": f"zgwcloud-customer-{spec.tenant_id}"}),
        )
        return str(customer.id)

    def _find_subscription(self, customer_id: str) -> tuple[str, str]:
        found = self._call(
            "list subscriptions",
            lambda: self.client.v1.subscriptions.list({"customer": customer_id, "status": "all", "limit": 20}),
        )
        for subscription in found.data:
            if subscription.status not in ("canceled", "incomplete_expired"):
                return str(subscription.id), str(subscription.status)
        return "", ""

    def _create_subscription(self, spec: CustomerSpec, customer_id: str) -> tuple[str, str]:
        now = datetime.now(UTC)
        anchor = spec.billing_cycle_anchor or _next_month_start(now)
        params: SubscriptionCreateParams = {
            "customer": customer_id,
            "items": [{"price": price} for price in self._price_ids().values()],
            "collection_method": "send_invoice",
            "days_until_due": 30,
            "billing_cycle_anchor": _ts(anchor),  # cycles are calendar months, like ours
            "proration_behavior": "none",
            "metadata": {TENANT_METADATA_KEY: str(spec.tenant_id)},
        }
        if spec.subscription_start is not None and spec.subscription_start < now:
            params["backdate_start_date"] = _ts(spec.subscription_start)
        if self.settings.stripe_tax_rate_id:
            params["default_tax_rates"] = [self.settings.stripe_tax_rate_id]
        subscription = self._call(
            "create subscription",
            lambda: self.client.v1.subscriptions.create(
                params, {"idempotency_key": f"zgwcloud-subscription-{spec.tenant_id}"}
            ),
        )
        return str(subscription.id), str(subscription.status)

    def ensure_customer(self, spec: CustomerSpec, known: CustomerRef | None = None) -> CustomerRef:
        if known is not None and known.customer_id and known.subscription_id:
            return known
        customer_id = (known.customer_id if known else "") or self._find_customer(spec) or self._create_customer(spec)
        subscription_id, status = self._find_subscription(customer_id)
        if not subscription_id:
            subscription_id, status = self._create_subscription(spec, customer_id)
        log.info("stripe_customer_ready", tenant=spec.slug, customer=customer_id, subscription=subscription_id)
        return CustomerRef(customer_id, subscription_id, status)

    # --- usage ----------------------------------------------------------------------------------------

    def send_meter_event(self, event: MeterEvent) -> bool:
        params: MeterEventCreateParams = {
            "event_name": event.event_name,
            "identifier": event.identifier,
            "timestamp": _ts(event.timestamp),
            "payload": {"stripe_customer_id": event.customer_id, "value": str(event.value)},
        }
        try:
            self._call(
                "send meter event",
                lambda: self.client.v1.billing.meter_events.create(params, {"idempotency_key": event.identifier}),
            )
        except PermanentError as exc:
            cause = exc.__cause__
            if isinstance(cause, stripe.InvalidRequestError) and _is_duplicate_identifier(cause):
                return False  # an earlier attempt arrived: this aggregate is recorded exactly once
            raise
        return True

    def meter_total(self, customer_id: str, component: str, start: datetime, end: datetime) -> int:
        meter_id = self._meter_id(component)
        summaries = self._call(
            "meter event summaries",
            lambda: self.client.v1.billing.meters.event_summaries.list(
                meter_id, {"customer": customer_id, "start_time": _ts(start), "end_time": _ts(end), "limit": 100}
            ),
        )
        return round(sum(float(s.aggregated_value) for s in summaries.auto_paging_iter()))

    # --- invoices, portal, webhooks -------------------------------------------------------------------

    def list_invoices(self, customer_id: str, limit: int = 24) -> Sequence[ProviderInvoiceInfo]:
        found = self._call("list invoices", lambda: self.client.v1.invoices.list({"customer": customer_id,
                                                                                    "limit": limit}))  # fmt: skip
        return [invoice_info(i.to_dict()) for i in found.data]

    def portal_url(self, customer_id: str, return_url: str) -> str:
        session = self._call(
            "create portal session",
            lambda: self.client.v1.billing_portal.sessions.create({"customer": customer_id, "return_url": return_url}),
        )
        return str(session.url)

    def parse_webhook(self, payload: bytes, signature: str) -> WebhookEventInfo:
        if not self.settings.stripe_webhook_secret:
            raise WebhookRejected("no webhook secret configured (ZGW_STRIPE_WEBHOOK_SECRET)")
        try:
            event = stripe.Webhook.construct_event(
                payload, signature, self.settings.stripe_webhook_secret,
                tolerance=self.settings.stripe_webhook_tolerance_seconds,
            )  # fmt: skip
        except stripe.SignatureVerificationError as exc:
            raise WebhookRejected(f"signature: {exc.user_message or exc}") from exc
        except ValueError as exc:
            raise WebhookRejected(f"body is not a Stripe event: {exc}") from exc
        body = json.loads(payload)
        return WebhookEventInfo(
            id=str(event.id), type=str(event.type), created=datetime.fromtimestamp(int(event.created), UTC),
            data=dict((body.get("data") or {}).get("object") or {}),
        )  # fmt: skip

    # --- the catalogue at Stripe ------------------------------------------------------------------------

    def ensure_catalog(self) -> dict[str, tuple[str, str]]:
        """Create, when missing, the meter and the metered price of every component (idempotent).
        Returns component → (meter id, price id)."""
        meters = self._call("list meters", lambda: self.client.v1.billing.meters.list({"limit": 100}))
        by_event = {m.event_name: m.id for m in meters.auto_paging_iter()}
        prices = self._call("list prices", lambda: self.client.v1.prices.list(
            {"lookup_keys": [self.event_name(c) for c in Component], "limit": 100}))  # fmt: skip
        price_by_key = {p.lookup_key: p.id for p in prices.data if p.lookup_key}
        result = {}
        for component in Component:
            name, label = self.event_name(component), f"zgw-cloud: {COMPONENT_LABELS[component]}"
            meter_id = by_event.get(name) or self._create_meter(name, label)
            price_id = price_by_key.get(name) or self._create_price(name, label, meter_id)
            result[component.value] = (str(meter_id), str(price_id))
        with self._lock:
            self._prices, self._meters = {}, {}
        return result

    def _create_meter(self, name: str, label: str) -> str:
        params: MeterCreateParams = {
            "display_name": label,
            "event_name": name,
            "default_aggregation": {"formula": "sum"},
            "customer_mapping": {"type": "by_id", "event_payload_key": "stripe_customer_id"},
            "value_settings": {"event_payload_key": "value"},
        }
        options: RequestOptions = {"idempotency_key": f"zgwcloud-meter-{name}"}
        return str(self._call("create meter", lambda: self.client.v1.billing.meters.create(params, options)).id)

    def _create_price(self, name: str, label: str, meter_id: str) -> str:
        params: PriceCreateParams = {
            "currency": "eur",
            "unit_amount": 1,  # one euro cent per unit: the meter's value is the invoice amount in cents
            "lookup_key": name,
            "nickname": f"{label} (eurocent)",
            "recurring": {"interval": "month", "usage_type": "metered", "meter": meter_id},
            "product_data": {"name": label},
        }
        options: RequestOptions = {"idempotency_key": f"zgwcloud-price-{name}"}
        return str(self._call("create price", lambda: self.client.v1.prices.create(params, options)).id)


def invoice_info(data: dict[str, Any]) -> ProviderInvoiceInfo:
    """Our view of a Stripe invoice object (from a retrieval or a webhook)."""
    customer = data.get("customer") or ""
    return ProviderInvoiceInfo(
        id=str(data.get("id") or ""),
        customer_id=str(customer.get("id") if isinstance(customer, dict) else customer),
        number=str(data.get("number") or ""),
        status=str(data.get("status") or ""),
        currency=str(data.get("currency") or "eur"),
        amount_due=int(data.get("amount_due") or 0),
        amount_paid=int(data.get("amount_paid") or 0),
        total=int(data.get("total") or 0),
        period_start=_dt(data.get("period_start")),
        period_end=_dt(data.get("period_end")),
        hosted_invoice_url=str(data.get("hosted_invoice_url") or ""),
    )
