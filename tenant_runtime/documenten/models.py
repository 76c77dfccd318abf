"""Documenten API models (one tenant database each).

The stable identity of a document is ``InformatieObject`` (its URL, lock and informatieobjecttype; other
components reference it). Every create/update adds an ``InformatieObjectVersie`` holding the metadata and the key
of the content in the content storage (``tenant_runtime.storage``); ``InformatieObject.versie`` is the current one.
A version uploaded in parts has one ``BestandsDeel`` per part until the content is assembled.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID, uuid4

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from tenant_runtime.catalogi.models import InformatieObjectType
from tenant_runtime.core.resolver import register_local
from tenant_runtime.db.base import TenantBase


def utcnow() -> datetime:
    return datetime.now(UTC)


class InformatieObject(TenantBase):
    """An (enkelvoudig) informatieobject: the identity shared by all its versions."""

    __tablename__ = "documenten_informatieobject"
    __table_args__ = (
        CheckConstraint(
            "(informatieobjecttype_id IS NULL) <> (informatieobjecttype_url = '')",
            name="informatieobjecttype_local_or_url",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[UUID] = mapped_column(Uuid, unique=True, default=uuid4)
    informatieobjecttype_id: Mapped[int | None] = mapped_column(
        ForeignKey("catalogi_informatieobjecttype.id", ondelete="RESTRICT"), default=None, index=True
    )
    informatieobjecttype_url: Mapped[str] = mapped_column(String(200), default="", index=True)
    # Empty when unlocked; a lock id is unguessable (drc-009).
    lock: Mapped[str] = mapped_column(String(100), default="")
    # The current (latest) version number; versions are numbered 1, 2, ...
    versie: Mapped[int] = mapped_column(Integer, default=1)
    # Denormalised from the current version for SQL filtering on autorisaties.
    vertrouwelijkheidaanduiding: Mapped[str] = mapped_column(String(20), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    informatieobjecttype: Mapped[InformatieObjectType | None] = relationship(lazy="joined")
    versies: Mapped[list[InformatieObjectVersie]] = relationship(
        back_populates="informatieobject",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="InformatieObjectVersie.versie",
    )


class InformatieObjectVersie(TenantBase):
    """One version of an informatieobject: its metadata and content as registered at ``begin_registratie``."""

    __tablename__ = "documenten_informatieobject_versie"
    __table_args__ = (
        UniqueConstraint("informatieobject_id", "versie", name="uq_documenten_informatieobject_versie_versie"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    informatieobject_id: Mapped[int] = mapped_column(
        ForeignKey("documenten_informatieobject.id", ondelete="CASCADE"), index=True
    )
    versie: Mapped[int] = mapped_column(Integer)
    begin_registratie: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    identificatie: Mapped[str] = mapped_column(String(40), index=True)
    bronorganisatie: Mapped[str] = mapped_column(String(9), index=True)
    creatiedatum: Mapped[date] = mapped_column(Date)
    titel: Mapped[str] = mapped_column(String(200))
    vertrouwelijkheidaanduiding: Mapped[str] = mapped_column(String(20))
    auteur: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="")
    formaat: Mapped[str] = mapped_column(String(255), default="")
    taal: Mapped[str] = mapped_column(String(3))
    bestandsnaam: Mapped[str] = mapped_column(String(255), default="")
    link: Mapped[str] = mapped_column(String(200), default="")
    beschrijving: Mapped[str] = mapped_column(String(1000), default="")
    ontvangstdatum: Mapped[date | None] = mapped_column(Date, default=None)
    verzenddatum: Mapped[date | None] = mapped_column(Date, default=None)
    indicatie_gebruiksrecht: Mapped[bool | None] = mapped_column(Boolean, default=None)
    verschijningsvorm: Mapped[str] = mapped_column(Text, default="")
    ondertekening: Mapped[dict[str, str] | None] = mapped_column(JSON, default=None)
    integriteit: Mapped[dict[str, str] | None] = mapped_column(JSON, default=None)
    trefwoorden: Mapped[list[str]] = mapped_column(JSON, default=list)

    # Content: the key in the content storage (empty: no content), its size and SHA-256 (hex) once complete.
    bestandsomvang: Mapped[int | None] = mapped_column(BigInteger, default=None)
    content_key: Mapped[str] = mapped_column(String(500), default="")
    content_sha256: Mapped[str] = mapped_column(String(64), default="")
    # Content an object store assembled from bestandsdelen has no plain SHA-256 without reading it back; it has
    # the composite SHA-256 over parts of content_part_size bytes instead (tenant_runtime.storage.checksums).
    content_parts_sha256: Mapped[str] = mapped_column(String(64), default="", server_default="")
    content_part_size: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # While uploading in bestandsdelen: the storage's multipart upload handle ("" when none is pending).
    upload_id: Mapped[str] = mapped_column(String(500), default="")

    informatieobject: Mapped[InformatieObject] = relationship(back_populates="versies")
    bestandsdelen: Mapped[list[BestandsDeel]] = relationship(
        back_populates="versie", cascade="all, delete-orphan", passive_deletes=True, order_by="BestandsDeel.volgnummer"
    )


class BestandsDeel(TenantBase):
    """One part of a version's content uploaded in parts (``/bestandsdelen/{uuid}``)."""

    __tablename__ = "documenten_bestandsdeel"
    __table_args__ = (UniqueConstraint("versie_id", "volgnummer", name="uq_documenten_bestandsdeel_volgnummer"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[UUID] = mapped_column(Uuid, unique=True, default=uuid4)
    versie_id: Mapped[int] = mapped_column(
        ForeignKey("documenten_informatieobject_versie.id", ondelete="CASCADE"), index=True
    )
    volgnummer: Mapped[int] = mapped_column(Integer)
    omvang: Mapped[int] = mapped_column(BigInteger)
    voltooid: Mapped[bool] = mapped_column(Boolean, default=False)
    # What the storage needs to assemble the parts (an S3 part ETag, or the local part file's key).
    part_token: Mapped[str] = mapped_column(String(500), default="")
    sha256: Mapped[str] = mapped_column(String(64), default="")

    versie: Mapped[InformatieObjectVersie] = relationship(back_populates="bestandsdelen")


class Gebruiksrechten(TenantBase):
    __tablename__ = "documenten_gebruiksrechten"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[UUID] = mapped_column(Uuid, unique=True, default=uuid4)
    informatieobject_id: Mapped[int] = mapped_column(
        ForeignKey("documenten_informatieobject.id", ondelete="CASCADE"), index=True
    )
    startdatum: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    einddatum: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    omschrijving_voorwaarden: Mapped[str] = mapped_column(Text)

    informatieobject: Mapped[InformatieObject] = relationship()


class ObjectInformatieObject(TenantBase):
    """A relation to an object (zaak, besluit, verzoek) outside this tenant.

    Relations to this tenant's own zaken and besluiten are not stored here: they are derived from the Zaken and
    Besluiten APIs' ZaakInformatieObject/BesluitInformatieObject rows, which lead (the standard)."""

    __tablename__ = "documenten_objectinformatieobject"
    __table_args__ = (
        UniqueConstraint("informatieobject_id", "object_url", name="uq_documenten_objectinformatieobject_object"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[UUID] = mapped_column(Uuid, unique=True, default=uuid4)
    informatieobject_id: Mapped[int] = mapped_column(
        ForeignKey("documenten_informatieobject.id", ondelete="RESTRICT"), index=True
    )
    object_type: Mapped[str] = mapped_column(String(20))
    object_url: Mapped[str] = mapped_column(String(1000), index=True)

    informatieobject: Mapped[InformatieObject] = relationship()


class Verzending(TenantBase):
    __tablename__ = "documenten_verzending"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[UUID] = mapped_column(Uuid, unique=True, default=uuid4)
    informatieobject_id: Mapped[int] = mapped_column(
        ForeignKey("documenten_informatieobject.id", ondelete="CASCADE"), index=True
    )
    betrokkene: Mapped[str] = mapped_column(String(200), index=True)
    aard_relatie: Mapped[str] = mapped_column(String(20), index=True)
    toelichting: Mapped[str] = mapped_column(String(200), default="")
    ontvangstdatum: Mapped[date | None] = mapped_column(Date, default=None)
    verzenddatum: Mapped[date | None] = mapped_column(Date, default=None)
    contact_persoon: Mapped[str] = mapped_column(String(1000))
    contactpersoonnaam: Mapped[str] = mapped_column(String(40), default="")
    binnenlands_correspondentieadres: Mapped[dict[str, object] | None] = mapped_column(JSON, default=None)
    buitenlands_correspondentieadres: Mapped[dict[str, object] | None] = mapped_column(JSON, default=None)
    correspondentie_postadres: Mapped[dict[str, object] | None] = mapped_column(JSON, default=None)
    faxnummer: Mapped[str | None] = mapped_column(String(15), default=None)
    emailadres: Mapped[str | None] = mapped_column(String(100), default=None)
    mijn_overheid: Mapped[bool] = mapped_column(Boolean, default=False)
    telefoonnummer: Mapped[str | None] = mapped_column(String(15), default=None)

    informatieobject: Mapped[InformatieObject] = relationship()


class ContentOrphan(TenantBase):
    """Content written to the storage whose owner is gone; removed right after the commit that recorded it
    (``services/content.purge_recorded``) or else by the periodic sweep (``services/hygiene.py``).

    Rows are inserted in the same transaction that drops the reference (a deleted document, a replaced unfinished
    upload, an expired one), so the content outlives a rollback, and removed once the storage object is gone."""

    __tablename__ = "documenten_content_orphan"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    content_key: Mapped[str] = mapped_column(String(500))
    upload_id: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


def _load_informatieobject(session: Session, identifier: UUID) -> InformatieObject | None:
    return session.scalar(select(InformatieObject).where(InformatieObject.uuid == identifier))


register_local("documenten", "enkelvoudiginformatieobjecten", _load_informatieobject)
