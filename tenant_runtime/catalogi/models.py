"""Catalogi API 1.3.1 (ImZTC 2.2): catalogussen and the types defined in them, per tenant database.

Zaaktype, informatieobjecttype and besluittype are *versions* of a type (the standard's historiemodel): a new
version is a new row with its own uuid. Since 1.3 the relations between the three main types are
version-independent: a zaaktype names its besluittypen by ``omschrijving``, deelzaaktypen and gerelateerde
zaaktypen by ``identificatie``; a zaaktype-informatieobjecttype, resultaattype and besluittype name
informatieobjecttypen by ``omschrijving``. Those names are stored here and resolved to the version valid on a
date (``datumGeldigheid``, default today) when a resource is read. The sub-types of a zaaktype (statustype,
roltype, resultaattype, eigenschap, zaakobjecttype, zaaktype-informatieobjecttype) belong to one zaaktype
version (foreign key, deleted with it).
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    Uuid,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from tenant_runtime.core.resolver import register_local
from tenant_runtime.db.base import TenantBase


class Geldigheid:
    """beginGeldigheid/eindeGeldigheid (valid from … up to and including …) and beginObject/eindeObject."""

    datum_begin_geldigheid: Mapped[date | None] = mapped_column(Date, default=None)
    datum_einde_geldigheid: Mapped[date | None] = mapped_column(Date, default=None)
    begin_object: Mapped[date | None] = mapped_column(Date, default=None)
    einde_object: Mapped[date | None] = mapped_column(Date, default=None)


class Catalogus(TenantBase):
    __tablename__ = "catalogi_catalogus"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[UUID] = mapped_column(Uuid, unique=True, default=uuid4)
    domein: Mapped[str] = mapped_column(String(5))
    rsin: Mapped[str] = mapped_column(String(9))
    contactpersoon_beheer_naam: Mapped[str] = mapped_column(String(40))
    contactpersoon_beheer_telefoonnummer: Mapped[str] = mapped_column(String(20), default="")
    contactpersoon_beheer_emailadres: Mapped[str] = mapped_column(String(254), default="")
    naam: Mapped[str | None] = mapped_column(String(200), default=None)
    versie: Mapped[str | None] = mapped_column(String(20), default=None)
    begindatum_versie: Mapped[date | None] = mapped_column(Date, default=None)

    zaaktypen: Mapped[list[ZaakType]] = relationship(back_populates="catalogus", order_by="ZaakType.id")
    informatieobjecttypen: Mapped[list[InformatieObjectType]] = relationship(
        back_populates="catalogus", order_by="InformatieObjectType.id"
    )
    besluittypen: Mapped[list[BesluitType]] = relationship(back_populates="catalogus", order_by="BesluitType.id")


class ZaakType(Geldigheid, TenantBase):
    __tablename__ = "catalogi_zaaktype"

    datum_begin_geldigheid: Mapped[date] = mapped_column(Date)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[UUID] = mapped_column(Uuid, unique=True, default=uuid4)
    catalogus_id: Mapped[int] = mapped_column(ForeignKey("catalogi_catalogus.id", ondelete="CASCADE"), index=True)
    concept: Mapped[bool] = mapped_column(Boolean, default=True)

    identificatie: Mapped[str] = mapped_column(String(50), index=True)
    omschrijving: Mapped[str] = mapped_column(String(80))
    omschrijving_generiek: Mapped[str] = mapped_column(String(80), default="")
    vertrouwelijkheidaanduiding: Mapped[str] = mapped_column(String(20))
    doel: Mapped[str] = mapped_column(Text)
    aanleiding: Mapped[str] = mapped_column(Text)
    toelichting: Mapped[str] = mapped_column(Text, default="")
    indicatie_intern_of_extern: Mapped[str] = mapped_column(String(6))
    handeling_initiator: Mapped[str] = mapped_column(String(20))
    onderwerp: Mapped[str] = mapped_column(String(80))
    handeling_behandelaar: Mapped[str] = mapped_column(String(20))
    doorlooptijd: Mapped[str] = mapped_column(String(50))  # ISO 8601 duration, as given
    servicenorm: Mapped[str | None] = mapped_column(String(50), default=None)
    opschorting_en_aanhouding_mogelijk: Mapped[bool] = mapped_column(Boolean)
    verlenging_mogelijk: Mapped[bool] = mapped_column(Boolean)
    verlengingstermijn: Mapped[str | None] = mapped_column(String(50), default=None)
    trefwoorden: Mapped[list[str]] = mapped_column(JSON, default=list)
    publicatie_indicatie: Mapped[bool] = mapped_column(Boolean)
    publicatietekst: Mapped[str] = mapped_column(Text, default="")
    verantwoordingsrelatie: Mapped[list[str]] = mapped_column(JSON, default=list)
    producten_of_diensten: Mapped[list[str]] = mapped_column(JSON, default=list)
    selectielijst_procestype: Mapped[str] = mapped_column(String(200), default="")
    referentieproces_naam: Mapped[str] = mapped_column(String(80))
    referentieproces_link: Mapped[str] = mapped_column(String(200), default="")
    verantwoordelijke: Mapped[str] = mapped_column(String(50))
    broncatalogus_url: Mapped[str] = mapped_column(String(200), default="")
    broncatalogus_domein: Mapped[str] = mapped_column(String(5), default="")
    broncatalogus_rsin: Mapped[str] = mapped_column(String(9), default="")
    bronzaaktype_url: Mapped[str] = mapped_column(String(200), default="")
    bronzaaktype_identificatie: Mapped[str] = mapped_column(String(50), default="")
    bronzaaktype_omschrijving: Mapped[str] = mapped_column(String(80), default="")
    versiedatum: Mapped[date] = mapped_column(Date)

    # Version-independent relations (1.3 historiemodel): names, resolved on read.
    besluittype_omschrijvingen: Mapped[list[str]] = mapped_column(JSON, default=list)
    deelzaaktype_identificaties: Mapped[list[str]] = mapped_column(JSON, default=list)
    # [{"zaaktype": identificatie, "aardRelatie": ..., "toelichting": ...}]
    gerelateerde_zaaktypen: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)

    catalogus: Mapped[Catalogus] = relationship(back_populates="zaaktypen")
    statustypen: Mapped[list[StatusType]] = relationship(
        back_populates="zaaktype", cascade="all, delete-orphan", passive_deletes=True, order_by="StatusType.volgnummer"
    )
    roltypen: Mapped[list[RolType]] = relationship(
        back_populates="zaaktype", cascade="all, delete-orphan", passive_deletes=True, order_by="RolType.id"
    )
    resultaattypen: Mapped[list[ResultaatType]] = relationship(
        back_populates="zaaktype", cascade="all, delete-orphan", passive_deletes=True, order_by="ResultaatType.id"
    )
    eigenschappen: Mapped[list[Eigenschap]] = relationship(
        back_populates="zaaktype", cascade="all, delete-orphan", passive_deletes=True, order_by="Eigenschap.id"
    )
    zaakobjecttypen: Mapped[list[ZaakObjectType]] = relationship(
        back_populates="zaaktype", cascade="all, delete-orphan", passive_deletes=True, order_by="ZaakObjectType.id"
    )
    zaaktype_informatieobjecttypen: Mapped[list[ZaakTypeInformatieObjectType]] = relationship(
        back_populates="zaaktype",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="ZaakTypeInformatieObjectType.volgnummer",
    )


class ZaakTypeSub:
    """Common columns of the types that belong to one zaaktype version."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[UUID] = mapped_column(Uuid, unique=True, default=uuid4)
    zaaktype_id: Mapped[int] = mapped_column(ForeignKey("catalogi_zaaktype.id", ondelete="CASCADE"), index=True)

    @property
    def concept(self) -> bool:
        """A sub-type can be changed exactly when its zaaktype is a concept."""
        zaaktype: ZaakType = self.zaaktype  # type: ignore[attr-defined]
        return zaaktype.concept


class StatusType(ZaakTypeSub, Geldigheid, TenantBase):
    __tablename__ = "catalogi_statustype"

    omschrijving: Mapped[str] = mapped_column(String(80))
    omschrijving_generiek: Mapped[str] = mapped_column(String(80), default="")
    statustekst: Mapped[str] = mapped_column(String(1000), default="")
    volgnummer: Mapped[int] = mapped_column(Integer)
    informeren: Mapped[bool] = mapped_column(Boolean, default=False)
    doorlooptijd: Mapped[str | None] = mapped_column(String(50), default=None)
    toelichting: Mapped[str | None] = mapped_column(String(1000), default=None)
    # [{"itemnaam", "toelichting", "vraagstelling", "verplicht"}]
    checklistitems: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    zaakobjecttype_id: Mapped[int | None] = mapped_column(
        ForeignKey("catalogi_zaakobjecttype.id", ondelete="SET NULL"), default=None, index=True
    )

    zaaktype: Mapped[ZaakType] = relationship(back_populates="statustypen")
    zaakobjecttype: Mapped[ZaakObjectType | None] = relationship(
        back_populates="statustypen", foreign_keys=[zaakobjecttype_id]
    )
    eigenschappen: Mapped[list[Eigenschap]] = relationship(
        back_populates="statustype", foreign_keys="Eigenschap.statustype_id", order_by="Eigenschap.id"
    )


class RolType(ZaakTypeSub, Geldigheid, TenantBase):
    __tablename__ = "catalogi_roltype"

    omschrijving: Mapped[str] = mapped_column(String(100))
    omschrijving_generiek: Mapped[str] = mapped_column(String(20))

    zaaktype: Mapped[ZaakType] = relationship(back_populates="roltypen")


class ResultaatType(ZaakTypeSub, Geldigheid, TenantBase):
    __tablename__ = "catalogi_resultaattype"

    omschrijving: Mapped[str] = mapped_column(String(30))
    resultaattypeomschrijving: Mapped[str] = mapped_column(String(1000))
    # Cached from the referentielijst's resultaattypeomschrijving (read-only in the API).
    omschrijving_generiek: Mapped[str] = mapped_column(String(80), default="")
    selectielijstklasse: Mapped[str] = mapped_column(String(1000))
    toelichting: Mapped[str] = mapped_column(Text, default="")
    archiefnominatie: Mapped[str] = mapped_column(String(20), default="")
    archiefactietermijn: Mapped[str | None] = mapped_column(String(50), default=None)
    brondatum_afleidingswijze: Mapped[str] = mapped_column(String(20), default="")
    brondatum_datumkenmerk: Mapped[str] = mapped_column(String(80), default="")
    brondatum_einddatum_bekend: Mapped[bool] = mapped_column(Boolean, default=False)
    brondatum_objecttype: Mapped[str] = mapped_column(String(80), default="")
    brondatum_registratie: Mapped[str] = mapped_column(String(80), default="")
    brondatum_procestermijn: Mapped[str | None] = mapped_column(String(50), default=None)
    procesobjectaard: Mapped[str | None] = mapped_column(String(200), default=None)
    indicatie_specifiek: Mapped[bool | None] = mapped_column(Boolean, default=None)
    procestermijn: Mapped[str | None] = mapped_column(String(50), default=None)
    besluittype_omschrijvingen: Mapped[list[str]] = mapped_column(JSON, default=list)
    informatieobjecttype_omschrijvingen: Mapped[list[str]] = mapped_column(JSON, default=list)
    zaakobjecttype_id: Mapped[int | None] = mapped_column(
        ForeignKey("catalogi_zaakobjecttype.id", ondelete="SET NULL"), default=None, index=True
    )

    zaaktype: Mapped[ZaakType] = relationship(back_populates="resultaattypen")
    zaakobjecttype: Mapped[ZaakObjectType | None] = relationship(
        back_populates="resultaattypen", foreign_keys=[zaakobjecttype_id]
    )


class Eigenschap(ZaakTypeSub, Geldigheid, TenantBase):
    __tablename__ = "catalogi_eigenschap"

    naam: Mapped[str] = mapped_column(String(20))
    definitie: Mapped[str] = mapped_column(String(255))
    toelichting: Mapped[str] = mapped_column(String(1000), default="")
    statustype_id: Mapped[int | None] = mapped_column(
        ForeignKey("catalogi_statustype.id", ondelete="SET NULL"), default=None, index=True
    )
    specificatie_groep: Mapped[str] = mapped_column(String(32), default="")
    specificatie_formaat: Mapped[str] = mapped_column(String(20))
    specificatie_lengte: Mapped[str] = mapped_column(String(14))
    specificatie_kardinaliteit: Mapped[str] = mapped_column(String(3))
    specificatie_waardenverzameling: Mapped[list[str]] = mapped_column(JSON, default=list)

    zaaktype: Mapped[ZaakType] = relationship(back_populates="eigenschappen")
    statustype: Mapped[StatusType | None] = relationship(back_populates="eigenschappen", foreign_keys=[statustype_id])


class ZaakObjectType(ZaakTypeSub, Geldigheid, TenantBase):
    __tablename__ = "catalogi_zaakobjecttype"

    ander_objecttype: Mapped[bool] = mapped_column(Boolean, default=False)
    objecttype: Mapped[str] = mapped_column(String(200))
    relatie_omschrijving: Mapped[str] = mapped_column(String(80))

    zaaktype: Mapped[ZaakType] = relationship(back_populates="zaakobjecttypen")
    statustypen: Mapped[list[StatusType]] = relationship(
        back_populates="zaakobjecttype", foreign_keys="StatusType.zaakobjecttype_id", order_by="StatusType.id"
    )
    resultaattypen: Mapped[list[ResultaatType]] = relationship(
        back_populates="zaakobjecttype", foreign_keys="ResultaatType.zaakobjecttype_id", order_by="ResultaatType.id"
    )


class ZaakTypeInformatieObjectType(ZaakTypeSub, TenantBase):
    """Zaaktype heeft relevant informatieobjecttype: named by the informatieobjecttype's omschrijving."""

    __tablename__ = "catalogi_zaaktypeinformatieobjecttype"

    informatieobjecttype_omschrijving: Mapped[str] = mapped_column(String(100), index=True)
    volgnummer: Mapped[int] = mapped_column(Integer)
    richting: Mapped[str] = mapped_column(String(20))
    statustype_id: Mapped[int | None] = mapped_column(
        ForeignKey("catalogi_statustype.id", ondelete="SET NULL"), default=None, index=True
    )

    zaaktype: Mapped[ZaakType] = relationship(back_populates="zaaktype_informatieobjecttypen")
    statustype: Mapped[StatusType | None] = relationship(foreign_keys=[statustype_id])


class InformatieObjectType(Geldigheid, TenantBase):
    __tablename__ = "catalogi_informatieobjecttype"

    datum_begin_geldigheid: Mapped[date] = mapped_column(Date)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[UUID] = mapped_column(Uuid, unique=True, default=uuid4)
    catalogus_id: Mapped[int] = mapped_column(ForeignKey("catalogi_catalogus.id", ondelete="CASCADE"), index=True)
    concept: Mapped[bool] = mapped_column(Boolean, default=True)
    omschrijving: Mapped[str] = mapped_column(String(80), index=True)
    vertrouwelijkheidaanduiding: Mapped[str] = mapped_column(String(20))
    informatieobjectcategorie: Mapped[str] = mapped_column(String(80))
    trefwoord: Mapped[list[str]] = mapped_column(JSON, default=list)
    omschrijving_generiek_informatieobjecttype: Mapped[str] = mapped_column(String(80), default="")
    omschrijving_generiek_definitie: Mapped[str] = mapped_column(String(255), default="")
    omschrijving_generiek_herkomst: Mapped[str] = mapped_column(String(12), default="")
    omschrijving_generiek_hierarchie: Mapped[str] = mapped_column(String(80), default="")
    omschrijving_generiek_opmerking: Mapped[str] = mapped_column(String(255), default="")

    catalogus: Mapped[Catalogus] = relationship(back_populates="informatieobjecttypen")


class BesluitType(Geldigheid, TenantBase):
    __tablename__ = "catalogi_besluittype"

    datum_begin_geldigheid: Mapped[date] = mapped_column(Date)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[UUID] = mapped_column(Uuid, unique=True, default=uuid4)
    catalogus_id: Mapped[int] = mapped_column(ForeignKey("catalogi_catalogus.id", ondelete="CASCADE"), index=True)
    concept: Mapped[bool] = mapped_column(Boolean, default=True)
    omschrijving: Mapped[str] = mapped_column(String(80), default="", index=True)
    omschrijving_generiek: Mapped[str] = mapped_column(String(80), default="")
    besluitcategorie: Mapped[str] = mapped_column(String(40), default="")
    reactietermijn: Mapped[str | None] = mapped_column(String(50), default=None)
    publicatie_indicatie: Mapped[bool] = mapped_column(Boolean)
    publicatietekst: Mapped[str] = mapped_column(Text, default="")
    publicatietermijn: Mapped[str | None] = mapped_column(String(50), default=None)
    toelichting: Mapped[str] = mapped_column(Text, default="")
    # Besluittype → informatieobjecttypen by omschrijving (version-independent, ztc-011b).
    informatieobjecttype_omschrijvingen: Mapped[list[str]] = mapped_column(JSON, default=list)

    catalogus: Mapped[Catalogus] = relationship(back_populates="besluittypen")

    @property
    def vertrouwelijkheidaanduiding(self) -> str | None:
        """Besluittypen carry no vertrouwelijkheidaanduiding in the standard (kept for a uniform interface)."""
        return None


def _loader(model: type[Any]) -> Any:
    def load(session: Session, identifier: UUID) -> Any | None:
        return session.scalar(select(model).where(model.uuid == identifier))

    return load


# URL resource name (as in the Catalogi API's paths) → model; every one resolvable by other components.
RESOURCES: dict[str, type[Any]] = {
    "catalogussen": Catalogus,
    "zaaktypen": ZaakType,
    "statustypen": StatusType,
    "roltypen": RolType,
    "resultaattypen": ResultaatType,
    "eigenschappen": Eigenschap,
    "informatieobjecttypen": InformatieObjectType,
    "besluittypen": BesluitType,
    "zaaktype-informatieobjecttypen": ZaakTypeInformatieObjectType,
    "zaakobjecttypen": ZaakObjectType,
}
for _resource, _model in RESOURCES.items():
    register_local("catalogi", _resource, _loader(_model))
