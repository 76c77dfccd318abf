"""The audit trail: who changed what, recorded in the same transaction as the change (``audittrail``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import JSON, DateTime, Integer, String, Text, Uuid, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from tenant_runtime.core.auth import Client
from tenant_runtime.db.base import TenantBase

ACTIE_WEERGAVE = {
    "create": "Object aangemaakt",
    "list": "Lijst van objecten opgehaald",
    "retrieve": "Object opgehaald",
    "destroy": "Object verwijderd",
    "update": "Object bijgewerkt",
    "partial_update": "Object deels bijgewerkt",
}


class AuditTrailEntry(TenantBase):
    __tablename__ = "audittrail"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[UUID] = mapped_column(Uuid, unique=True, default=uuid4)
    bron: Mapped[str] = mapped_column(String(10))
    applicatie_id: Mapped[str] = mapped_column(String(100), default="")
    applicatie_weergave: Mapped[str] = mapped_column(String(200), default="")
    gebruikers_id: Mapped[str] = mapped_column(String(255), default="")
    gebruikers_weergave: Mapped[str] = mapped_column(String(255), default="")
    actie: Mapped[str] = mapped_column(String(50))
    actie_weergave: Mapped[str] = mapped_column(String(200), default="")
    resultaat: Mapped[int] = mapped_column(Integer)
    hoofd_object: Mapped[str] = mapped_column(String(1000))
    hoofd_object_uuid: Mapped[UUID] = mapped_column(Uuid, index=True)
    resource: Mapped[str] = mapped_column(String(50))
    resource_url: Mapped[str] = mapped_column(String(1000))
    resource_weergave: Mapped[str] = mapped_column(String(200), default="")
    toelichting: Mapped[str] = mapped_column(Text, default="")
    aanmaakdatum: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    oud: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    nieuw: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    request_id: Mapped[str] = mapped_column(String(64), default="")


def record_audit(
    session: Session,
    *,
    client: Client,
    bron: str,
    actie: str,
    resultaat: int,
    hoofd_object: str,
    hoofd_object_uuid: UUID,
    resource: str,
    resource_url: str,
    resource_weergave: str = "",
    oud: dict[str, Any] | None = None,
    nieuw: dict[str, Any] | None = None,
    toelichting: str = "",
    request_id: str = "",
) -> AuditTrailEntry:
    entry = AuditTrailEntry(
        bron=bron,
        applicatie_id=client.applicatie_uuid or client.client_id,
        applicatie_weergave=client.label or client.client_id,
        gebruikers_id=client.user_id,
        gebruikers_weergave=client.user_representation,
        actie=actie,
        actie_weergave=ACTIE_WEERGAVE.get(actie, ""),
        resultaat=resultaat,
        hoofd_object=hoofd_object,
        hoofd_object_uuid=hoofd_object_uuid,
        resource=resource,
        resource_url=resource_url,
        resource_weergave=resource_weergave[:200],
        toelichting=toelichting,
        aanmaakdatum=datetime.now(UTC),
        oud=oud,
        nieuw=nieuw,
        request_id=request_id,
    )
    session.add(entry)
    return entry


def audit_entries(session: Session, hoofd_object_uuid: UUID) -> list[AuditTrailEntry]:
    return list(
        session.scalars(
            select(AuditTrailEntry)
            .where(AuditTrailEntry.hoofd_object_uuid == hoofd_object_uuid)
            .order_by(AuditTrailEntry.id)
        )
    )


def audit_entry(session: Session, hoofd_object_uuid: UUID, entry_uuid: UUID) -> AuditTrailEntry | None:
    return session.scalar(
        select(AuditTrailEntry).where(
            AuditTrailEntry.hoofd_object_uuid == hoofd_object_uuid, AuditTrailEntry.uuid == entry_uuid
        )
    )


def serialize_audit(entry: AuditTrailEntry) -> dict[str, Any]:
    return {
        "uuid": str(entry.uuid),
        "bron": entry.bron,
        "applicatieId": entry.applicatie_id,
        "applicatieWeergave": entry.applicatie_weergave,
        "gebruikersId": entry.gebruikers_id,
        "gebruikersWeergave": entry.gebruikers_weergave,
        "actie": entry.actie,
        "actieWeergave": entry.actie_weergave,
        "resultaat": entry.resultaat,
        "hoofdObject": entry.hoofd_object,
        "resource": entry.resource,
        "resourceUrl": entry.resource_url,
        "toelichting": entry.toelichting,
        "resourceWeergave": entry.resource_weergave,
        "aanmaakdatum": entry.aanmaakdatum.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        # ``oud``/``nieuw`` are objects, never null, in the specs: a create has no ``oud``, a destroy no ``nieuw``.
        "wijzigingen": {k: v for k, v in (("oud", entry.oud), ("nieuw", entry.nieuw)) if v is not None},
    }
