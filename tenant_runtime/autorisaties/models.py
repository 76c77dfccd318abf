"""Applications, their autorisaties and the JWT secrets they sign with (per tenant database)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tenant_runtime.db.base import TenantBase


class Applicatie(TenantBase):
    __tablename__ = "autorisaties_applicatie"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[UUID] = mapped_column(Uuid, unique=True, default=uuid4)
    client_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    label: Mapped[str] = mapped_column(String(100))
    heeft_alle_autorisaties: Mapped[bool] = mapped_column(Boolean, default=False)

    autorisaties: Mapped[list[Autorisatie]] = relationship(
        back_populates="applicatie", cascade="all, delete-orphan", order_by="Autorisatie.id", lazy="selectin"
    )


class Autorisatie(TenantBase):
    __tablename__ = "autorisaties_autorisatie"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    applicatie_id: Mapped[int] = mapped_column(ForeignKey("autorisaties_applicatie.id", ondelete="CASCADE"), index=True)
    component: Mapped[str] = mapped_column(String(10))
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    zaaktype: Mapped[str] = mapped_column(String(1000), default="")
    informatieobjecttype: Mapped[str] = mapped_column(String(1000), default="")
    besluittype: Mapped[str] = mapped_column(String(1000), default="")
    max_vertrouwelijkheidaanduiding: Mapped[str] = mapped_column(String(20), default="")

    applicatie: Mapped[Applicatie] = relationship(back_populates="autorisaties")


class ClientCredential(TenantBase):
    """A shared secret a client signs its JWTs with. Several per client_id allow rotation with overlap."""

    __tablename__ = "autorisaties_client_credential"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    client_id: Mapped[str] = mapped_column(String(255), index=True)
    secret: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
