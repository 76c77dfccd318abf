"""Functions the other components of this tenant call on the Zaken API's data (agreed names, HELPERS.md).

The Besluiten API keeps the zaakbesluiten of local besluiten in step (``link_besluit``/``unlink_besluit``); the
Documenten API derives the objectinformatieobjecten of its documents with local zaken from the
zaakinformatieobjecten here (the standard: a ZIO in the same installation implies the OIO)."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, selectinload

from tenant_runtime.besluiten.models import Besluit
from tenant_runtime.zaken.models import Zaak, ZaakBesluit, ZaakInformatieObject


def zaakinformatieobjecten_of(session: Session, informatieobject_id: int) -> list[ZaakInformatieObject]:
    """The zaakinformatieobjecten of one local document (``documenten_informatieobject.id``), zaak loaded."""
    return list(
        session.scalars(
            select(ZaakInformatieObject)
            .where(ZaakInformatieObject.informatieobject_id == informatieobject_id)
            .options(selectinload(ZaakInformatieObject.zaak))
            .order_by(ZaakInformatieObject.id)
        )
    )


def link_besluit(session: Session, zaak: Zaak, besluit: Besluit) -> None:
    """A local besluit got (or changed to) a local zaak: the zaak lists it in its besluiten. Idempotent; called by
    the Besluiten service inside its transaction."""
    session.flush()
    session.execute(delete(ZaakBesluit).where(ZaakBesluit.besluit_id == besluit.id, ZaakBesluit.zaak_id != zaak.id))
    exists = session.scalar(
        select(ZaakBesluit.id).where(ZaakBesluit.zaak_id == zaak.id, ZaakBesluit.besluit_id == besluit.id)
    )
    if exists is None:
        session.add(ZaakBesluit(zaak_id=zaak.id, besluit_id=besluit.id, besluit_url=""))


def unlink_besluit(session: Session, besluit: Besluit) -> None:
    """A local besluit lost its zaak (or is deleted): no zaak lists it any more."""
    session.flush()
    session.execute(delete(ZaakBesluit).where(ZaakBesluit.besluit_id == besluit.id))
