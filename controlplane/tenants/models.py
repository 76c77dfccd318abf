"""Hosting providers, plans and municipalities (tenants)."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime, time

from sqlalchemy import Boolean, Enum, ForeignKey, Integer, String, Text, Time, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from controlplane.accounts.models import utcnow
from controlplane.db import Base, UtcDateTime


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


class Health(enum.StrEnum):
    UNKNOWN = "unknown"
    OK = "ok"
    DRIFT = "drift"  # the runtime's actual state differs from the desired one (reported or repaired)


def _values(e: type[enum.Enum]) -> list[str]:
    return [str(m.value) for m in e]


class HostingProvider(Base):
    """The organisation that runs this control plane and hosts the tenants."""

    __tablename__ = "hosting_providers"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    code: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Plan(Base):
    __tablename__ = "plans"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    code: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Sizing of a dedicated tenant's runtime (Kubernetes quantities): API replicas, each container's requests
    # and limits (also the namespace's LimitRange), and the namespace's ResourceQuota.
    api_replicas: Mapped[int] = mapped_column(Integer, default=2, server_default="2")
    cpu_request: Mapped[str] = mapped_column(String(20), default="250m", server_default="250m")
    memory_request: Mapped[str] = mapped_column(String(20), default="256Mi", server_default="256Mi")
    cpu_limit: Mapped[str] = mapped_column(String(20), default="1", server_default="1")
    memory_limit: Mapped[str] = mapped_column(String(20), default="512Mi", server_default="512Mi")
    quota_cpu: Mapped[str] = mapped_column(String(20), default="4", server_default="4")
    quota_memory: Mapped[str] = mapped_column(String(20), default="4Gi", server_default="4Gi")
    quota_pods: Mapped[int] = mapped_column(Integer, default=10, server_default="10")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


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
    provider_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("hosting_providers.id"), default=None)
    state: Mapped[TenantState] = mapped_column(
        Enum(TenantState, native_enum=False, length=20, values_callable=_values),
        default=TenantState.REQUESTED,
    )
    failure_reason: Mapped[str] = mapped_column(Text, default="")
    runtime_version: Mapped[str] = mapped_column(String(40), default="")
    api_base_url: Mapped[str] = mapped_column(String(500), default="")
    # Weekly maintenance window (ISO weekday 1 = Monday), in UTC; unset = any time.
    maintenance_weekday: Mapped[int | None] = mapped_column(Integer, default=None)
    maintenance_start: Mapped[time | None] = mapped_column(Time, default=None)
    maintenance_duration_minutes: Mapped[int] = mapped_column(Integer, default=0)
    # Secret of the platform's own client in the tenant (verification calls); Fernet-encrypted.
    platform_secret_encrypted: Mapped[str] = mapped_column(Text, default="")
    health: Mapped[Health] = mapped_column(
        Enum(Health, native_enum=False, length=16, values_callable=_values), default=Health.UNKNOWN
    )
    health_detail: Mapped[str] = mapped_column(Text, default="")
    health_checked_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    retention_until: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    # The complete export written when the tenant was deprovisioned (``exports.id``; no constraint, the two
    # tables refer to each other); downloadable until the purge after ``retention_until``.
    final_export_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    deleted_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)

    plan: Mapped[Plan] = relationship(lazy="joined")
    provider: Mapped[HostingProvider | None] = relationship(lazy="joined")
