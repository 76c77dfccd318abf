"""Zaken API 1.5.1 models (one tenant database each).

A reference to a resource of another API is a local foreign key (same tenant) or an external URL, never both
(check constraints ``<x>_local_or_url``). Gegevensgroepen (verlenging, opschorting, processobject) are columns or
JSON; lists that are only ever read with their zaak (kenmerken, relevanteAndereZaken, productenOfDiensten) are JSON.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    select,
    text,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from tenant_runtime.besluiten.models import Besluit
from tenant_runtime.catalogi.models import Eigenschap, ResultaatType, RolType, StatusType, ZaakObjectType, ZaakType
from tenant_runtime.core.resolver import register_local
from tenant_runtime.db.base import TenantBase
from tenant_runtime.documenten.models import InformatieObject


def utcnow() -> datetime:
    return datetime.now(UTC)


def _local_or_url(column: str) -> CheckConstraint:
    return CheckConstraint(f"({column}_id IS NULL) <> ({column}_url = '')", name=f"{column}_local_or_url")


def _at_most_one(column: str) -> CheckConstraint:
    return CheckConstraint(f"{column}_id IS NULL OR {column}_url = ''", name=f"{column}_local_or_url")


class Zaak(TenantBase):
    __tablename__ = "zaken_zaak"
    __table_args__ = (
        UniqueConstraint("bronorganisatie", "identificatie", name="uq_zaken_zaak_bronorganisatie_identificatie"),
        _local_or_url("zaaktype"),
        # The default list of a restricted client: zaaktype IN (...) AND vertrouwelijkheid IN (...) ORDER BY id.
        Index("ix_zaken_zaak_autorisatie", "zaaktype_id", "vertrouwelijkheidaanduiding", "id"),
        Index("ix_zaken_zaak_autorisatie_url", "zaaktype_url", "vertrouwelijkheidaanduiding", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[UUID] = mapped_column(Uuid, unique=True, default=uuid4)
    identificatie: Mapped[str] = mapped_column(String(40))
    bronorganisatie: Mapped[str] = mapped_column(String(9), index=True)
    omschrijving: Mapped[str] = mapped_column(String(80), default="")
    toelichting: Mapped[str] = mapped_column(String(1000), default="")
    zaaktype_id: Mapped[int | None] = mapped_column(
        ForeignKey("catalogi_zaaktype.id", ondelete="RESTRICT"), default=None
    )
    zaaktype_url: Mapped[str] = mapped_column(String(1000), default="")
    registratiedatum: Mapped[date] = mapped_column(Date, index=True)
    verantwoordelijke_organisatie: Mapped[str] = mapped_column(String(9))
    startdatum: Mapped[date] = mapped_column(Date, index=True)
    einddatum: Mapped[date | None] = mapped_column(Date, default=None, index=True)
    einddatum_gepland: Mapped[date | None] = mapped_column(Date, default=None)
    uiterlijke_einddatum_afdoening: Mapped[date | None] = mapped_column(Date, default=None)
    publicatiedatum: Mapped[date | None] = mapped_column(Date, default=None)
    communicatiekanaal: Mapped[str] = mapped_column(String(1000), default="")
    producten_of_diensten: Mapped[list[str]] = mapped_column(JSON, default=list)
    vertrouwelijkheidaanduiding: Mapped[str] = mapped_column(String(20))
    betalingsindicatie: Mapped[str] = mapped_column(String(20), default="")
    laatste_betaaldatum: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    # GeoJSON as given, plus its bounding box for a cheap SQL pre-filter of `within` searches.
    zaakgeometrie: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    geo_min_x: Mapped[float | None] = mapped_column(Float, default=None)
    geo_min_y: Mapped[float | None] = mapped_column(Float, default=None)
    geo_max_x: Mapped[float | None] = mapped_column(Float, default=None)
    geo_max_y: Mapped[float | None] = mapped_column(Float, default=None)
    verlenging_reden: Mapped[str] = mapped_column(String(200), default="")
    verlenging_duur: Mapped[str | None] = mapped_column(String(50), default=None)
    opschorting_indicatie: Mapped[bool] = mapped_column(Boolean, default=False)
    opschorting_reden: Mapped[str] = mapped_column(String(200), default="")
    selectielijstklasse: Mapped[str] = mapped_column(String(1000), default="")
    hoofdzaak_id: Mapped[int | None] = mapped_column(
        ForeignKey("zaken_zaak.id", ondelete="CASCADE"), default=None, index=True
    )
    # [{"url": ..., "aardRelatie": ...}]
    relevante_andere_zaken: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    # [{"kenmerk": ..., "bron": ...}]
    kenmerken: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    archiefnominatie: Mapped[str | None] = mapped_column(String(20), default=None, index=True)
    archiefstatus: Mapped[str] = mapped_column(String(40), default="nog_te_archiveren", index=True)
    archiefactiedatum: Mapped[date | None] = mapped_column(Date, default=None, index=True)
    opdrachtgevende_organisatie: Mapped[str] = mapped_column(String(9), default="")
    processobjectaard: Mapped[str | None] = mapped_column(String(200), default=None)
    startdatum_bewaartermijn: Mapped[date | None] = mapped_column(Date, default=None)
    processobject: Mapped[dict[str, str] | None] = mapped_column(JSON, default=None)

    zaaktype: Mapped[ZaakType | None] = relationship()
    hoofdzaak: Mapped[Zaak | None] = relationship(remote_side=[id], back_populates="deelzaken")
    deelzaken: Mapped[list[Zaak]] = relationship(back_populates="hoofdzaak", passive_deletes=True, order_by="Zaak.id")
    statussen: Mapped[list[Status]] = relationship(
        back_populates="zaak", passive_deletes=True, order_by="Status.datum_status_gezet"
    )
    resultaat: Mapped[Resultaat | None] = relationship(back_populates="zaak", passive_deletes=True)
    rollen: Mapped[list[Rol]] = relationship(back_populates="zaak", passive_deletes=True, order_by="Rol.id")
    zaakobjecten: Mapped[list[ZaakObject]] = relationship(
        back_populates="zaak", passive_deletes=True, order_by="ZaakObject.id"
    )
    zaakinformatieobjecten: Mapped[list[ZaakInformatieObject]] = relationship(
        back_populates="zaak", passive_deletes=True, order_by="ZaakInformatieObject.id"
    )
    zaakeigenschappen: Mapped[list[ZaakEigenschap]] = relationship(
        back_populates="zaak", passive_deletes=True, order_by="ZaakEigenschap.id"
    )


class Status(TenantBase):
    __tablename__ = "zaken_status"
    __table_args__ = (
        _local_or_url("statustype"),
        Index("ix_zaken_status_zaak_gezet", "zaak_id", "datum_status_gezet"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[UUID] = mapped_column(Uuid, unique=True, default=uuid4)
    zaak_id: Mapped[int] = mapped_column(ForeignKey("zaken_zaak.id", ondelete="CASCADE"))
    statustype_id: Mapped[int | None] = mapped_column(
        ForeignKey("catalogi_statustype.id", ondelete="RESTRICT"), default=None, index=True
    )
    statustype_url: Mapped[str] = mapped_column(String(1000), default="")
    datum_status_gezet: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    statustoelichting: Mapped[str] = mapped_column(String(1000), default="")
    gezetdoor_id: Mapped[int | None] = mapped_column(
        ForeignKey("zaken_rol.id", ondelete="SET NULL"), default=None, index=True
    )
    # Whether this status was the zaak's eindstatus when it was set (decides closing and reopening).
    is_eindstatus: Mapped[bool] = mapped_column(Boolean, default=False)

    zaak: Mapped[Zaak] = relationship(back_populates="statussen")
    statustype: Mapped[StatusType | None] = relationship()
    gezetdoor: Mapped[Rol | None] = relationship(foreign_keys=[gezetdoor_id])


class Resultaat(TenantBase):
    __tablename__ = "zaken_resultaat"
    __table_args__ = (_local_or_url("resultaattype"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[UUID] = mapped_column(Uuid, unique=True, default=uuid4)
    zaak_id: Mapped[int] = mapped_column(ForeignKey("zaken_zaak.id", ondelete="CASCADE"), unique=True)
    resultaattype_id: Mapped[int | None] = mapped_column(
        ForeignKey("catalogi_resultaattype.id", ondelete="RESTRICT"), default=None, index=True
    )
    resultaattype_url: Mapped[str] = mapped_column(String(1000), default="")
    toelichting: Mapped[str] = mapped_column(String(1000), default="")

    zaak: Mapped[Zaak] = relationship(back_populates="resultaat")
    resultaattype: Mapped[ResultaatType | None] = relationship()


class Rol(TenantBase):
    __tablename__ = "zaken_rol"
    __table_args__ = (_local_or_url("roltype"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[UUID] = mapped_column(Uuid, unique=True, default=uuid4)
    zaak_id: Mapped[int] = mapped_column(ForeignKey("zaken_zaak.id", ondelete="CASCADE"), index=True)
    betrokkene: Mapped[str] = mapped_column(String(1000), default="", index=True)
    betrokkene_type: Mapped[str] = mapped_column(String(30), index=True)
    afwijkende_naam_betrokkene: Mapped[str] = mapped_column(String(625), default="")
    roltype_id: Mapped[int | None] = mapped_column(
        ForeignKey("catalogi_roltype.id", ondelete="RESTRICT"), default=None, index=True
    )
    roltype_url: Mapped[str] = mapped_column(String(1000), default="", index=True)
    omschrijving: Mapped[str] = mapped_column(String(100), default="", index=True)
    omschrijving_generiek: Mapped[str] = mapped_column(String(80), default="", index=True)
    roltoelichting: Mapped[str] = mapped_column(String(1000), default="")
    registratiedatum: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    indicatie_machtiging: Mapped[str] = mapped_column(String(20), default="")
    contactpersoon_rol: Mapped[dict[str, str] | None] = mapped_column(JSON, default=None)
    betrokkene_identificatie: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    # The identifying keys of betrokkeneIdentificatie, copied out for the rol/zaak filters.
    inp_bsn: Mapped[str] = mapped_column(String(9), default="", index=True)
    anp_identificatie: Mapped[str] = mapped_column(String(17), default="", index=True)
    inp_a_nummer: Mapped[str] = mapped_column(String(10), default="", index=True)
    inn_nnp_id: Mapped[str] = mapped_column(String(9), default="", index=True)
    ann_identificatie: Mapped[str] = mapped_column(String(17), default="", index=True)
    vestigings_nummer: Mapped[str] = mapped_column(String(24), default="", index=True)
    identificatie: Mapped[str] = mapped_column(String(24), default="", index=True)  # medewerker / org. eenheid

    zaak: Mapped[Zaak] = relationship(back_populates="rollen")
    roltype: Mapped[RolType | None] = relationship()


class ZaakObject(TenantBase):
    __tablename__ = "zaken_zaakobject"
    __table_args__ = (_at_most_one("zaakobjecttype"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[UUID] = mapped_column(Uuid, unique=True, default=uuid4)
    zaak_id: Mapped[int] = mapped_column(ForeignKey("zaken_zaak.id", ondelete="CASCADE"), index=True)
    object: Mapped[str] = mapped_column(String(1000), default="", index=True)
    zaakobjecttype_id: Mapped[int | None] = mapped_column(
        ForeignKey("catalogi_zaakobjecttype.id", ondelete="RESTRICT"), default=None, index=True
    )
    zaakobjecttype_url: Mapped[str] = mapped_column(String(1000), default="")
    object_type: Mapped[str] = mapped_column(String(40), index=True)
    object_type_overige: Mapped[str] = mapped_column(String(100), default="")
    object_type_overige_definitie: Mapped[dict[str, str] | None] = mapped_column(JSON, default=None)
    relatieomschrijving: Mapped[str] = mapped_column(String(80), default="")
    object_identificatie: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)

    zaak: Mapped[Zaak] = relationship(back_populates="zaakobjecten")
    zaakobjecttype: Mapped[ZaakObjectType | None] = relationship()


def _unique_url(name: str, column: str) -> Index:
    """One relation per zaak and external URL; local relations (empty URL) are unique by their foreign key."""
    external = text(f"{column} <> ''")
    return Index(name, "zaak_id", column, unique=True, sqlite_where=external, postgresql_where=external)


class ZaakInformatieObject(TenantBase):
    __tablename__ = "zaken_zaakinformatieobject"
    __table_args__ = (
        _local_or_url("informatieobject"),
        UniqueConstraint("zaak_id", "informatieobject_id", name="uq_zaken_zaakinformatieobject_local"),
        _unique_url("uq_zaken_zaakinformatieobject_url", "informatieobject_url"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[UUID] = mapped_column(Uuid, unique=True, default=uuid4)
    zaak_id: Mapped[int] = mapped_column(ForeignKey("zaken_zaak.id", ondelete="CASCADE"), index=True)
    informatieobject_id: Mapped[int | None] = mapped_column(
        ForeignKey("documenten_informatieobject.id", ondelete="CASCADE"), default=None, index=True
    )
    informatieobject_url: Mapped[str] = mapped_column(String(1000), default="", index=True)
    aard_relatie: Mapped[str] = mapped_column(String(20), default="hoort_bij")
    titel: Mapped[str] = mapped_column(String(200), default="")
    beschrijving: Mapped[str] = mapped_column(Text, default="")
    registratiedatum: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    vernietigingsdatum: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    status_id: Mapped[int | None] = mapped_column(
        ForeignKey("zaken_status.id", ondelete="SET NULL"), default=None, index=True
    )

    zaak: Mapped[Zaak] = relationship(back_populates="zaakinformatieobjecten")
    informatieobject: Mapped[InformatieObject | None] = relationship()
    status: Mapped[Status | None] = relationship()


class ZaakEigenschap(TenantBase):
    __tablename__ = "zaken_zaakeigenschap"
    __table_args__ = (_local_or_url("eigenschap"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[UUID] = mapped_column(Uuid, unique=True, default=uuid4)
    zaak_id: Mapped[int] = mapped_column(ForeignKey("zaken_zaak.id", ondelete="CASCADE"), index=True)
    eigenschap_id: Mapped[int | None] = mapped_column(
        ForeignKey("catalogi_eigenschap.id", ondelete="RESTRICT"), default=None, index=True
    )
    eigenschap_url: Mapped[str] = mapped_column(String(1000), default="")
    naam: Mapped[str] = mapped_column(String(20), default="")
    waarde: Mapped[str] = mapped_column(Text)

    zaak: Mapped[Zaak] = relationship(back_populates="zaakeigenschappen")
    eigenschap: Mapped[Eigenschap | None] = relationship()


class KlantContact(TenantBase):
    __tablename__ = "zaken_klantcontact"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[UUID] = mapped_column(Uuid, unique=True, default=uuid4)
    zaak_id: Mapped[int] = mapped_column(ForeignKey("zaken_zaak.id", ondelete="CASCADE"), index=True)
    identificatie: Mapped[str] = mapped_column(String(14), default="")
    datumtijd: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    kanaal: Mapped[str] = mapped_column(String(20), default="")
    onderwerp: Mapped[str] = mapped_column(String(200), default="")
    toelichting: Mapped[str] = mapped_column(String(1000), default="")

    zaak: Mapped[Zaak] = relationship()


class ZaakContactMoment(TenantBase):
    __tablename__ = "zaken_zaakcontactmoment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[UUID] = mapped_column(Uuid, unique=True, default=uuid4)
    zaak_id: Mapped[int] = mapped_column(ForeignKey("zaken_zaak.id", ondelete="CASCADE"), index=True)
    contactmoment: Mapped[str] = mapped_column(String(1000), index=True)

    zaak: Mapped[Zaak] = relationship()


class ZaakVerzoek(TenantBase):
    __tablename__ = "zaken_zaakverzoek"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[UUID] = mapped_column(Uuid, unique=True, default=uuid4)
    zaak_id: Mapped[int] = mapped_column(ForeignKey("zaken_zaak.id", ondelete="CASCADE"), index=True)
    verzoek: Mapped[str] = mapped_column(String(1000), index=True)

    zaak: Mapped[Zaak] = relationship()


class ZaakBesluit(TenantBase):
    """A besluit taken in a zaak: a local besluit (kept in step by the Besluiten API via ``links.py``) or the URL
    of a besluit in another Besluiten API. Revision ``zrc0002`` (after the besluiten tables)."""

    __tablename__ = "zaken_zaakbesluit"
    __table_args__ = (
        _local_or_url("besluit"),
        UniqueConstraint("zaak_id", "besluit_id", name="uq_zaken_zaakbesluit_local"),
        _unique_url("uq_zaken_zaakbesluit_url", "besluit_url"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[UUID] = mapped_column(Uuid, unique=True, default=uuid4)
    zaak_id: Mapped[int] = mapped_column(ForeignKey("zaken_zaak.id", ondelete="CASCADE"), index=True)
    besluit_id: Mapped[int | None] = mapped_column(
        ForeignKey("besluiten_besluit.id", ondelete="CASCADE"), default=None, index=True
    )
    besluit_url: Mapped[str] = mapped_column(String(1000), default="")

    zaak: Mapped[Zaak] = relationship()
    besluit: Mapped[Besluit | None] = relationship()


def _load_zaak(session: Session, identifier: UUID) -> Zaak | None:
    return session.scalar(select(Zaak).where(Zaak.uuid == identifier))


register_local("zaken", "zaken", _load_zaak)
