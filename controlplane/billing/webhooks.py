"""Payment-provider webhooks: ``customer.subscription.*`` and ``invoice.*``, verified by the provider
(signature with a tolerance) and processed once per event id. A replayed delivery answers like the first
and changes nothing; an older event never overwrites the state a newer one left (deliveries can arrive out
of order)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from controlplane.billing.interfaces import WebhookEventInfo
from controlplane.billing.models import BillingCustomer, ProviderInvoice, WebhookEvent
from controlplane.billing.stripe_provider import TENANT_METADATA_KEY, invoice_info
from controlplane.container import ControlPlane

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class WebhookResult:
    event_id: str
    replayed: bool
    outcome: str


def _customer(session: Session, data: dict[str, Any]) -> BillingCustomer | None:
    customer_id = data.get("customer")
    customer_id = customer_id.get("id") if isinstance(customer_id, dict) else customer_id
    row = session.scalar(select(BillingCustomer).where(BillingCustomer.customer_id == str(customer_id or "")))
    tenant = (data.get("metadata") or {}).get(TENANT_METADATA_KEY)
    if row is None and tenant:
        try:
            row = session.get(BillingCustomer, uuid.UUID(str(tenant)))
        except ValueError:
            row = None
    return row


def _newer(previous: datetime | None, created: datetime) -> bool:
    return previous is None or created >= previous


def _subscription(session: Session, event: WebhookEventInfo) -> tuple[uuid.UUID | None, str]:
    row = _customer(session, event.data)
    if row is None:
        return None, "unknown customer"
    if not _newer(row.subscription_event_at, event.created):
        return row.tenant_id, "older than the state we have: ignored"
    status = "canceled" if event.type == "customer.subscription.deleted" else str(event.data.get("status") or "")
    row.subscription_id = str(event.data.get("id") or row.subscription_id)
    row.subscription_status = status
    row.subscription_event_at = event.created
    return row.tenant_id, f"subscription {row.subscription_id} {status}"


def _invoice(session: Session, event: WebhookEventInfo) -> tuple[uuid.UUID | None, str]:
    info = invoice_info(event.data)
    if not info.id:
        return None, "no invoice id"
    customer = _customer(session, event.data)
    row = session.get(ProviderInvoice, info.id)
    if row is None:
        row = ProviderInvoice(id=info.id)
        session.add(row)
    elif not _newer(row.event_at, event.created):
        return row.tenant_id, "older than the state we have: ignored"
    row.tenant_id = customer.tenant_id if customer else row.tenant_id
    row.customer_id, row.number, row.status, row.currency = info.customer_id, info.number, info.status, info.currency
    row.amount_due, row.amount_paid, row.total = info.amount_due, info.amount_paid, info.total
    row.period_start, row.period_end, row.hosted_invoice_url = info.period_start, info.period_end, \
        info.hosted_invoice_url  # fmt: skip
    row.event_at = event.created
    return row.tenant_id, f"invoice {info.id} {info.status}"


def handle(cp: ControlPlane, payload: bytes, signature: str) -> WebhookResult:
    """Verify and process one delivery (raises ``WebhookRejected`` for a bad signature or body)."""
    event = cp.payments.parse_webhook(payload, signature)
    with cp.sessions() as session:
        earlier = session.get(WebhookEvent, event.id)
        if earlier is not None:
            return WebhookResult(event.id, True, earlier.outcome)
        if event.type.startswith("customer.subscription."):
            tenant_id, outcome = _subscription(session, event)
        elif event.type.startswith("invoice."):
            tenant_id, outcome = _invoice(session, event)
        else:
            tenant_id, outcome = None, "not handled"
        session.add(WebhookEvent(event_id=event.id, type=event.type, created=event.created, tenant_id=tenant_id,
                                 outcome=outcome[:200]))  # fmt: skip
        try:
            session.commit()
        except IntegrityError:  # the same event, delivered twice at once: the other delivery processed it
            session.rollback()
            return WebhookResult(event.id, True, "processed by a concurrent delivery")
    log.info("billing_webhook", event_id=event.id, type=event.type, outcome=outcome)
    return WebhookResult(event.id, False, outcome)
