"""Municipalities (tenants) and the plans they are on."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import DateTime, Enum, ForeignKey, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from controlplane.accounts.models import utcnow
from controlplane.db import Base


class Tier(enum.StrEnum):
    SHARED = "shared"
    DEDICATED = "dedicated"


class TenantState(enum.StrEnum):
    REQUESTED = "requested"
    PROVISIONING = "provisioning"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    DEPROVISIONING = "deprovisioning"
    DELETED = "deleted"
    FAILED = "failed"


def _values(e: type[enum.Enum]) -> list[str]:
    return [str(m.value) for m in e]


class Plan(Base):
    __tablename__ = "plans"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    code: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Tenant(Base):
    __tablename__ = "tenants"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    gemeentecode: Mapped[str] = mapped_column(String(4), unique=True)  # CBS code, e.g. "0344"
    rsin: Mapped[str] = mapped_column(String(9))
    oin: Mapped[str] = mapped_column(String(20), default="")
    inhabitants: Mapped[int] = mapped_column(Integer)
    tier: Mapped[Tier] = mapped_column(Enum(Tier, native_enum=False, length=16, values_callable=_values))
    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("plans.id"))
    state: Mapped[TenantState] = mapped_column(
        Enum(TenantState, native_enum=False, length=20, values_callable=_values),
        default=TenantState.REQUESTED,
    )
    runtime_version: Mapped[str] = mapped_column(String(40), default="")
    api_base_url: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    plan: Mapped[Plan] = relationship(lazy="joined")
