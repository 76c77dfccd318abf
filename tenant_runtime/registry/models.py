"""Tables of the tenant registry database (separate from every tenant's own database)."""

from __future__ import annotations

import enum
from datetime import UTC, datetime

from sqlalchemy import DateTime, Enum, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from tenant_runtime.db.base import NAMING_CONVENTION


def utcnow() -> datetime:
    return datetime.now(UTC)


class RegistryBase(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class TenantStatus(enum.StrEnum):
    """How the runtime treats requests for a tenant."""

    ACTIVE = "active"
    SUSPENDED = "suspended"  # 403 with a problem body
    MAINTENANCE = "maintenance"  # 503 with Retry-After (restores, irreversible migrations)


class RegisteredTenant(RegistryBase):
    __tablename__ = "registered_tenants"

    slug: Mapped[str] = mapped_column(String(63), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    database_url: Mapped[str] = mapped_column(Text)
    status: Mapped[TenantStatus] = mapped_column(
        Enum(TenantStatus, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])
    )
    # Which runtime pool serves the tenant (e.g. "shared-v1"); routing picks the pool by this.
    pool: Mapped[str] = mapped_column(String(63), default="default")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
