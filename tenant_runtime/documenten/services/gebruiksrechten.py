"""Gebruiksrechten; they set and clear the document's ``indicatieGebruiksrecht`` (drc-006)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from tenant_runtime.core.auth import Client
from tenant_runtime.core.problems import InvalidParam, validation_problem
from tenant_runtime.core.urls import TenantUrls
from tenant_runtime.documenten.models import Gebruiksrechten, InformatieObject
from tenant_runtime.documenten.schemas.enkelvoudiginformatieobjecten import document_url, informatieobjecttype_url
from tenant_runtime.documenten.schemas.gebruiksrechten import (
    GebruiksrechtenIn,
    GebruiksrechtenPatch,
    gebruiksrechten_url,
    serialize_gebruiksrechten,
)
from tenant_runtime.documenten.scopes import (
    SCOPE_DOCUMENTEN_AANMAKEN,
    SCOPE_DOCUMENTEN_BIJWERKEN,
    SCOPE_DOCUMENTEN_LEZEN,
    SCOPE_DOCUMENTEN_VERWIJDEREN,
)
from tenant_runtime.documenten.services import access
from tenant_runtime.documenten.services.common import immutable, local_document
from tenant_runtime.documenten.services.context import WriteContext, record
from tenant_runtime.documenten.services.enkelvoudiginformatieobjecten import current_versie

RESOURCE = "gebruiksrechten"


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def list_query(client: Client, urls: TenantUrls) -> Select[Any]:
    return (
        select(Gebruiksrechten)
        .where(Gebruiksrechten.informatieobject_id.in_(access.visible_ids(client, [SCOPE_DOCUMENTEN_LEZEN], urls)))
        .order_by(Gebruiksrechten.id)
    )


def get(session: Session, raw_uuid: str) -> Gebruiksrechten:
    recht = session.scalar(select(Gebruiksrechten).where(Gebruiksrechten.uuid == access.parse_uuid(raw_uuid)))
    if recht is None:
        raise access.not_found()
    return recht


def _set_indicatie(session: Session, document: InformatieObject) -> None:
    """drc-006: true while the document has gebruiksrechten, null after the last one is removed."""
    session.flush()
    count = session.scalar(
        select(func.count()).select_from(Gebruiksrechten).where(Gebruiksrechten.informatieobject_id == document.id)
    )
    current_versie(session, document).indicatie_gebruiksrecht = True if count else None


def _record(
    session: Session, ctx: WriteContext, recht: Gebruiksrechten, actie: str, resultaat: int, oud: Any, nieuw: Any
) -> None:
    document = recht.informatieobject
    versie = current_versie(session, document)
    record(
        session,
        ctx,
        actie=actie,
        resultaat=resultaat,
        hoofd_object=document_url(ctx.urls, document),
        hoofd_object_uuid=document.uuid,
        resource=RESOURCE,
        resource_url=gebruiksrechten_url(ctx.urls, recht),
        resource_weergave=recht.omschrijving_voorwaarden[:200],
        oud=oud,
        nieuw=nieuw,
        kenmerken={
            "bronorganisatie": versie.bronorganisatie,
            "informatieobjecttype": informatieobjecttype_url(ctx.urls, document),
            "vertrouwelijkheidaanduiding": versie.vertrouwelijkheidaanduiding,
        },
    )


def create(session: Session, ctx: WriteContext, data: GebruiksrechtenIn) -> Gebruiksrechten:
    document = local_document(ctx, data.informatieobject, [SCOPE_DOCUMENTEN_AANMAKEN])
    recht = Gebruiksrechten(
        informatieobject=document,
        startdatum=_aware(data.startdatum),
        einddatum=_aware(data.einddatum),
        omschrijving_voorwaarden=data.omschrijving_voorwaarden,
    )
    session.add(recht)
    _set_indicatie(session, document)
    _record(session, ctx, recht, "create", 201, None, serialize_gebruiksrechten(ctx.urls, recht))
    session.commit()
    return recht


def update(
    session: Session, ctx: WriteContext, recht: Gebruiksrechten, data: GebruiksrechtenIn | GebruiksrechtenPatch
) -> Gebruiksrechten:
    access.require(ctx.client, [SCOPE_DOCUMENTEN_BIJWERKEN], ctx.urls, recht.informatieobject)
    partial = isinstance(data, GebruiksrechtenPatch)
    sent = data.model_fields_set
    if data.informatieobject is not None and data.informatieobject != document_url(ctx.urls, recht.informatieobject):
        raise immutable("informatieobject")
    oud = serialize_gebruiksrechten(ctx.urls, recht)
    if not partial or "startdatum" in sent:
        if data.startdatum is None:
            raise validation_problem([InvalidParam("startdatum", "null", "Dit veld mag niet leeg zijn.")])
        recht.startdatum = data.startdatum if data.startdatum.tzinfo else data.startdatum.replace(tzinfo=UTC)
    if not partial or "einddatum" in sent:
        recht.einddatum = _aware(data.einddatum)
    if not partial or "omschrijving_voorwaarden" in sent:
        if data.omschrijving_voorwaarden is None:
            raise validation_problem([InvalidParam("omschrijvingVoorwaarden", "null", "Dit veld mag niet leeg zijn.")])
        recht.omschrijving_voorwaarden = data.omschrijving_voorwaarden
    _record(
        session,
        ctx,
        recht,
        "partial_update" if partial else "update",
        200,
        oud,
        serialize_gebruiksrechten(ctx.urls, recht),
    )
    session.commit()
    return recht


def delete(session: Session, ctx: WriteContext, recht: Gebruiksrechten) -> None:
    document = recht.informatieobject
    access.require(ctx.client, [SCOPE_DOCUMENTEN_VERWIJDEREN], ctx.urls, document)
    oud = serialize_gebruiksrechten(ctx.urls, recht)
    _record(session, ctx, recht, "destroy", 204, oud, None)
    session.delete(recht)
    _set_indicatie(session, document)
    session.commit()
