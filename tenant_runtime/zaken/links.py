"""Functions the other components of this tenant call on the Zaken API's data (agreed names, HELPERS.md).

The Documenten API derives the objectinformatieobjecten of its documents with local zaken from the
zaakinformatieobjecten here (the standard: a ZIO in the same installation implies the OIO)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from tenant_runtime.zaken.models import ZaakInformatieObject


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
