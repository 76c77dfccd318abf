"""Manual resends of a tenant's notifications: one row per resend, which also makes a repeated POST with the same
Idempotency-Key answer what the first one did instead of queueing the notification once more."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from controlplane.accounts.models import utcnow
from controlplane.db import Base, UtcDateTime


class NotificationResend(Base):
    __tablename__ = "notification_resends"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    delivery_uuid: Mapped[uuid.UUID] = mapped_column(Uuid)  # the runtime's delivery (per tenant database)
    actor: Mapped[str] = mapped_column(String(255))
    # Scoped per user (``jobs.service.scoped_key``); NULL without an Idempotency-Key.
    idempotency_key: Mapped[str | None] = mapped_column(String(255), unique=True, default=None)
    request_fingerprint: Mapped[str] = mapped_column(String(64), default="")
    # The delivery as the runtime answered the resend (what a replay answers).
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
