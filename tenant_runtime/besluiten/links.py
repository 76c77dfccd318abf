"""What the Besluiten API offers other components of the same tenant.

The Documenten API derives the objectinformatieobjecten of its documents with ``objectType`` ``besluit`` from
these rows (brc-005: a besluitinformatieobject in this installation implies the objectinformatieobject), and
refuses to delete a document a besluit still refers to.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from tenant_runtime.besluiten.models import BesluitInformatieObject


def besluitinformatieobjecten_of(session: Session, informatieobject_id: int) -> list[BesluitInformatieObject]:
    """The besluitinformatieobjecten of one local document (``documenten_informatieobject.id``), oldest first."""
    return list(
        session.scalars(
            select(BesluitInformatieObject)
            .where(BesluitInformatieObject.informatieobject_id == informatieobject_id)
            .order_by(BesluitInformatieObject.id)
        )
    )
