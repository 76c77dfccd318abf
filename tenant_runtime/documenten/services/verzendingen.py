"""Verzendingen: to or from exactly one address; a received document has one afzender."""

from __future__ import annotations

from typing import Any

from pydantic.alias_generators import to_camel
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from tenant_runtime.core.auth import Client
from tenant_runtime.core.problems import InvalidParam, validation_problem
from tenant_runtime.core.urls import TenantUrls
from tenant_runtime.documenten.models import InformatieObject, Verzending
from tenant_runtime.documenten.schemas.enkelvoudiginformatieobjecten import document_url, informatieobjecttype_url
from tenant_runtime.documenten.schemas.verzendingen import (
    ADDRESS_FIELDS,
    FIELDS,
    NOT_NULL_FIELDS,
    VerzendingFields,
    VerzendingPatch,
    serialize_verzending,
    verzending_url,
)
from tenant_runtime.documenten.scopes import (
    SCOPE_DOCUMENTEN_AANMAKEN,
    SCOPE_DOCUMENTEN_BIJWERKEN,
    SCOPE_DOCUMENTEN_LEZEN,
    SCOPE_DOCUMENTEN_VERWIJDEREN,
)
from tenant_runtime.documenten.services import access
from tenant_runtime.documenten.services.common import local_document
from tenant_runtime.documenten.services.context import WriteContext, record
from tenant_runtime.documenten.services.enkelvoudiginformatieobjecten import current_versie

RESOURCE = "verzending"


def list_query(client: Client, urls: TenantUrls) -> Select[Any]:
    return (
        select(Verzending)
        .where(Verzending.informatieobject_id.in_(access.visible_ids(client, [SCOPE_DOCUMENTEN_LEZEN], urls)))
        .order_by(Verzending.id)
    )


def get(session: Session, raw_uuid: str) -> Verzending:
    verzending = session.scalar(select(Verzending).where(Verzending.uuid == access.parse_uuid(raw_uuid)))
    if verzending is None:
        raise access.not_found()
    return verzending


def _stored(value: Any) -> Any:
    """Nested addresses are kept as their JSON (camelCase) form."""
    return value.model_dump(mode="json", by_alias=True) if hasattr(value, "model_dump") else value


def check_one_address(values: dict[str, Any]) -> None:
    """A verzending goes to or comes from exactly one address (the standard, 'Verzending')."""
    given = [f for f in ADDRESS_FIELDS if values.get(f) not in (None, "", False)]
    if len(given) != 1:
        raise validation_problem(
            [
                InvalidParam(
                    "nonFieldErrors",
                    "invalid-address",
                    "Een verzending heeft precies één adres: binnenlandsCorrespondentieadres, "
                    "buitenlandsCorrespondentieadres, correspondentiePostadres, faxnummer, emailadres, "
                    f"mijnOverheid of telefoonnummer ({len(given)} opgegeven).",
                )
            ]
        )


def check_single_afzender(session: Session, document: InformatieObject, aard: str, own_id: int | None) -> None:
    """A received document comes from one afzender (1-to-1)."""
    if aard != "afzender":
        return
    query = select(Verzending.id).where(
        Verzending.informatieobject_id == document.id, Verzending.aard_relatie == "afzender"
    )
    if own_id is not None:
        query = query.where(Verzending.id != own_id)
    if session.scalar(query.limit(1)) is not None:
        raise validation_problem([InvalidParam("aardRelatie", "unique", "Dit informatieobject heeft al een afzender.")])


def _record(
    session: Session, ctx: WriteContext, verzending: Verzending, actie: str, resultaat: int, oud: Any, nieuw: Any
) -> None:
    document = verzending.informatieobject
    versie = current_versie(session, document)
    record(
        session,
        ctx,
        actie=actie,
        resultaat=resultaat,
        hoofd_object=document_url(ctx.urls, document),
        hoofd_object_uuid=document.uuid,
        resource=RESOURCE,
        resource_url=verzending_url(ctx.urls, verzending),
        resource_weergave=f"{verzending.aard_relatie} {verzending.betrokkene}"[:200],
        oud=oud,
        nieuw=nieuw,
        kenmerken={
            "bronorganisatie": versie.bronorganisatie,
            "informatieobjecttype": informatieobjecttype_url(ctx.urls, document),
            "vertrouwelijkheidaanduiding": versie.vertrouwelijkheidaanduiding,
        },
    )


def create(session: Session, ctx: WriteContext, data: VerzendingFields) -> Verzending:
    document = local_document(ctx, data.informatieobject, [SCOPE_DOCUMENTEN_AANMAKEN])
    values = {field: _stored(getattr(data, field)) for field in FIELDS}
    check_one_address(values)
    check_single_afzender(session, document, data.aard_relatie, None)
    verzending = Verzending(informatieobject=document, **values)
    session.add(verzending)
    session.flush()
    _record(session, ctx, verzending, "create", 201, None, serialize_verzending(ctx.urls, verzending))
    session.commit()
    return verzending


def update(
    session: Session, ctx: WriteContext, verzending: Verzending, data: VerzendingFields | VerzendingPatch
) -> Verzending:
    partial = isinstance(data, VerzendingPatch)
    sent = data.model_fields_set
    access.require(ctx.client, [SCOPE_DOCUMENTEN_BIJWERKEN], ctx.urls, verzending.informatieobject)
    nulls = [f for f in NOT_NULL_FIELDS if f in sent and getattr(data, f) is None]
    if nulls:
        raise validation_problem([InvalidParam(to_camel(f), "null", "Dit veld mag niet leeg zijn.") for f in nulls])
    document = verzending.informatieobject
    if data.informatieobject is not None and data.informatieobject != document_url(ctx.urls, document):
        document = local_document(ctx, data.informatieobject, [SCOPE_DOCUMENTEN_BIJWERKEN])
    values = {field: getattr(verzending, field) for field in FIELDS}
    for field in FIELDS:
        if not partial or field in sent:
            values[field] = _stored(getattr(data, field))
    check_one_address(values)
    check_single_afzender(session, document, values["aard_relatie"], verzending.id)
    oud = serialize_verzending(ctx.urls, verzending)
    verzending.informatieobject = document
    for field, value in values.items():
        setattr(verzending, field, value)
    _record(
        session,
        ctx,
        verzending,
        "partial_update" if partial else "update",
        200,
        oud,
        serialize_verzending(ctx.urls, verzending),
    )
    session.commit()
    return verzending


def delete(session: Session, ctx: WriteContext, verzending: Verzending) -> None:
    access.require(ctx.client, [SCOPE_DOCUMENTEN_VERWIJDEREN], ctx.urls, verzending.informatieobject)
    _record(session, ctx, verzending, "destroy", 204, serialize_verzending(ctx.urls, verzending), None)
    session.delete(verzending)
    session.commit()
