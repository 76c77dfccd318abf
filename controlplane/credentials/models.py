"""API credentials of a municipality's applications: client_id, encrypted secrets (several during a
rotation's overlap) and the autorisaties pushed into the tenant's Autorisaties data."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Enum, ForeignKey, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from controlplane.accounts.models import utcnow
from controlplane.db import Base, UtcDateTime


class CredentialStatus(enum.StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"


class ApiCredential(Base):
    __tablename__ = "api_credentials"
    __table_args__ = (UniqueConstraint("tenant_id", "client_id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    client_id: Mapped[str] = mapped_column(String(255))
    label: Mapped[str] = mapped_column(String(100))
    heeft_alle_autorisaties: Mapped[bool] = mapped_column(Boolean, default=False)
    # [{component, scopes, zaaktype, informatieobjecttype, besluittype, max_vertrouwelijkheidaanduiding}]
    autorisaties: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    status: Mapped[CredentialStatus] = mapped_column(
        Enum(CredentialStatus, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e]),
        default=CredentialStatus.ACTIVE,
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)

    secrets: Mapped[list[CredentialSecret]] = relationship(
        back_populates="credential",
        cascade="all, delete-orphan",
        order_by="CredentialSecret.created_at",
        lazy="selectin",
    )


class CredentialSecret(Base):
    """One shared secret of a credential, encrypted with the control plane's Fernet key."""

    __tablename__ = "api_credential_secrets"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    credential_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("api_credentials.id", ondelete="CASCADE"), index=True)
    secret_encrypted: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)

    credential: Mapped[ApiCredential] = relationship(back_populates="secrets")
