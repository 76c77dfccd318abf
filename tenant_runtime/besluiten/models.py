"""Besluiten API 1.1 models (one tenant database each).

A reference to another API's resource is a local foreign key (same tenant) or an external URL, never both:
``besluittype`` exactly one of the two, ``zaak`` at most one (it is optional), a besluitinformatieobject's
``informatieobject`` exactly one.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING
from uuid import UUID, uuid4

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from tenant_runtime.catalogi.models import BesluitType
from tenant_runtime.core.resolver import register_local
from tenant_runtime.db.base import TenantBase
from tenant_runtime.documenten.models import InformatieObject

if TYPE_CHECKING:  # the Zaken models refer to besluiten too (ZaakBesluit): no import at module level
    from tenant_runtime.zaken.models import Zaak


def _exactly_one(column: str) -> CheckConstraint:
    return CheckConstraint(f"({column}_id IS NULL) <> ({column}_url = '')", name=f"{column}_local_or_url")


def _at_most_one(column: str) -> CheckConstraint:
    return CheckConstraint(f"{column}_id IS NULL OR {column}_url = ''", name=f"{column}_local_or_url")


class Besluit(TenantBase):
    __tablename__ = "besluiten_besluit"
    __table_args__ = (
        _exactly_one("besluittype"),
        _at_most_one("zaak"),
        UniqueConstraint("verantwoordelijke_organisatie", "identificatie"),
        # The list of a client restricted to some besluittypen: besluittype IN (...) ORDER BY id.
        Index("ix_besluiten_besluit_besluittype", "besluittype_id", "id"),
        Index("ix_besluiten_besluit_besluittype_url", "besluittype_url", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[UUID] = mapped_column(Uuid, unique=True, default=uuid4)
    identificatie: Mapped[str] = mapped_column(String(50))
    verantwoordelijke_organisatie: Mapped[str] = mapped_column(String(9))
    besluittype_id: Mapped[int | None] = mapped_column(
        ForeignKey("catalogi_besluittype.id", ondelete="RESTRICT"), default=None
    )
    besluittype_url: Mapped[str] = mapped_column(String(200), default="")
    # A zaak with besluiten cannot be removed underneath them (the Zaken API refuses or unlinks first).
    zaak_id: Mapped[int | None] = mapped_column(
        ForeignKey("zaken_zaak.id", ondelete="RESTRICT"), default=None, index=True
    )
    zaak_url: Mapped[str] = mapped_column(String(200), default="", index=True)
    datum: Mapped[date] = mapped_column(Date)
    toelichting: Mapped[str] = mapped_column(Text, default="")
    bestuursorgaan: Mapped[str] = mapped_column(String(50), default="")
    ingangsdatum: Mapped[date] = mapped_column(Date)
    vervaldatum: Mapped[date | None] = mapped_column(Date, default=None)
    vervalreden: Mapped[str] = mapped_column(String(30), default="")
    publicatiedatum: Mapped[date | None] = mapped_column(Date, default=None)
    verzenddatum: Mapped[date | None] = mapped_column(Date, default=None)
    uiterlijke_reactiedatum: Mapped[date | None] = mapped_column(Date, default=None)

    besluittype: Mapped[BesluitType | None] = relationship(lazy="joined")
    zaak: Mapped[Zaak | None] = relationship("Zaak", lazy="joined")
    informatieobjecten: Mapped[list[BesluitInformatieObject]] = relationship(
        back_populates="besluit",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="BesluitInformatieObject.id",
    )


class BesluitInformatieObject(TenantBase):
    __tablename__ = "besluiten_besluitinformatieobject"
    __table_args__ = (
        _exactly_one("informatieobject"),
        UniqueConstraint("besluit_id", "informatieobject_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[UUID] = mapped_column(Uuid, unique=True, default=uuid4)
    besluit_id: Mapped[int] = mapped_column(ForeignKey("besluiten_besluit.id", ondelete="CASCADE"), index=True)
    # A document that records a besluit cannot be removed underneath it (the Documenten API checks the links).
    informatieobject_id: Mapped[int | None] = mapped_column(
        ForeignKey("documenten_informatieobject.id", ondelete="RESTRICT"), default=None, index=True
    )
    informatieobject_url: Mapped[str] = mapped_column(String(1000), default="", index=True)

    besluit: Mapped[Besluit] = relationship(back_populates="informatieobjecten", lazy="joined")
    informatieobject: Mapped[InformatieObject | None] = relationship(lazy="joined")


def _load_besluit(session: Session, identifier: UUID) -> Besluit | None:
    return session.scalar(select(Besluit).where(Besluit.uuid == identifier))


register_local("besluiten", "besluiten", _load_besluit)
