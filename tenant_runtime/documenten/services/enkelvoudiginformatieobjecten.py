"""Enkelvoudiginformatieobjecten: create, versions, update under a lock, delete, lock/unlock (drc-001…drc-010)."""

from __future__ import annotations

import functools
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, and_, delete, func, select
from sqlalchemy.orm import Session

from tenant_runtime.catalogi.models import InformatieObjectType
from tenant_runtime.core.audit import AuditTrailEntry
from tenant_runtime.core.auth import Client
from tenant_runtime.core.identificatie import DOCUMENTEN_SEQUENCE, next_number
from tenant_runtime.core.problems import InvalidParam, Problem, validation_problem
from tenant_runtime.core.resolver import ResolveError, Resolver
from tenant_runtime.core.urls import TenantUrls
from tenant_runtime.documenten.models import InformatieObject, InformatieObjectVersie
from tenant_runtime.documenten.schemas.enkelvoudiginformatieobjecten import (
    NOT_NULL_FIELDS,
    DocumentCreate,
    DocumentPatch,
    DocumentUpdate,
    document_url,
    informatieobjecttype_url,
    serialize_document,
)
from tenant_runtime.documenten.scopes import (
    COMPONENT,
    SCOPE_DOCUMENTEN_AANMAKEN,
    SCOPE_DOCUMENTEN_BIJWERKEN,
    SCOPE_DOCUMENTEN_GEFORCEERD_UNLOCK,
    SCOPE_DOCUMENTEN_LEZEN,
    SCOPE_DOCUMENTEN_LOCK,
    SCOPE_DOCUMENTEN_VERWIJDEREN,
)
from tenant_runtime.documenten.services import access, content, relations
from tenant_runtime.documenten.services.content import ReceivedContent
from tenant_runtime.documenten.services.context import WriteContext, record
from tenant_runtime.storage import ContentStorage, StoredContent

RESOURCE = "enkelvoudiginformatieobject"
RECEIVED_STATUSES = ("in_bewerking", "ter_vaststelling")

# Version fields copied into a new version and settable by a client (request attribute == column name).
VERSION_FIELDS = (
    "identificatie",
    "bronorganisatie",
    "creatiedatum",
    "titel",
    "vertrouwelijkheidaanduiding",
    "auteur",
    "status",
    "formaat",
    "taal",
    "bestandsnaam",
    "link",
    "beschrijving",
    "ontvangstdatum",
    "verzenddatum",
    "indicatie_gebruiksrecht",
    "verschijningsvorm",
    "ondertekening",
    "integriteit",
    "trefwoorden",
)


# --- reading -------------------------------------------------------------------------------------------------


def get_document(session: Session, raw_uuid: str) -> InformatieObject:
    document = session.scalar(select(InformatieObject).where(InformatieObject.uuid == access.parse_uuid(raw_uuid)))
    if document is None:
        raise access.not_found()
    return document


def current_versie(session: Session, document: InformatieObject) -> InformatieObjectVersie:
    versie = session.scalar(
        select(InformatieObjectVersie).where(
            InformatieObjectVersie.informatieobject_id == document.id,
            InformatieObjectVersie.versie == document.versie,
        )
    )
    assert versie is not None, "a document always has its current version"
    return versie


def versie_of(
    session: Session, document: InformatieObject, versie: int | None = None, registratie_op: datetime | None = None
) -> InformatieObjectVersie:
    """The requested version (``?versie=``), the one registered last at ``registratie_op``, or the current one."""
    query = select(InformatieObjectVersie).where(InformatieObjectVersie.informatieobject_id == document.id)
    if versie is not None:
        query = query.where(InformatieObjectVersie.versie == versie)
    if registratie_op is not None:
        moment = registratie_op if registratie_op.tzinfo else registratie_op.replace(tzinfo=UTC)
        query = query.where(InformatieObjectVersie.begin_registratie <= moment)
    found = session.scalar(query.order_by(InformatieObjectVersie.versie.desc()).limit(1))
    if found is None:
        raise access.not_found()
    return found


def current_versies(session: Session, documents: Sequence[InformatieObject]) -> dict[int, InformatieObjectVersie]:
    """The current version of each document, in one query (document id → version)."""
    if not documents:
        return {}
    rows = session.scalars(
        select(InformatieObjectVersie)
        .join(InformatieObject, InformatieObjectVersie.informatieobject_id == InformatieObject.id)
        .where(
            InformatieObject.id.in_([d.id for d in documents]),
            InformatieObjectVersie.versie == InformatieObject.versie,
        )
    )
    return {versie.informatieobject_id: versie for versie in rows}


def list_query(client: Client, urls: TenantUrls) -> Select[Any]:
    """The documents the client may read, oldest first, joined with their current version (for filters)."""
    return (
        select(InformatieObject)
        .join(
            InformatieObjectVersie,
            and_(
                InformatieObjectVersie.informatieobject_id == InformatieObject.id,
                InformatieObjectVersie.versie == InformatieObject.versie,
            ),
        )
        .where(access.visible(client, [SCOPE_DOCUMENTEN_LEZEN], urls))
        .order_by(InformatieObject.id)
    )


def purge_content(session: Session, storage: ContentStorage) -> None:
    """After a committed delete or update: remove the content it orphaned (best effort; what fails stays recorded
    for the periodic sweep)."""
    content.purge_recorded(session, storage)


# --- validation ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TypeRef:
    local: InformatieObjectType | None
    url: str
    vertrouwelijkheidaanduiding: str


def _looks_like_informatieobjecttype(document: dict[str, Any]) -> bool:
    return all(key in document for key in ("url", "omschrijving", "vertrouwelijkheidaanduiding", "catalogus"))


def resolve_informatieobjecttype(resolver: Resolver, url: str) -> TypeRef:
    """drc-001: the URL points to an existing, published informatieobjecttype."""
    try:
        resolved = resolver.resolve(url, "catalogi", "informatieobjecttypen", check=_looks_like_informatieobjecttype)
    except ResolveError as error:
        raise validation_problem([error.param("informatieobjecttype")]) from None
    if resolved.local is not None:
        local: InformatieObjectType = resolved.local
        concept, vertrouwelijkheid = local.concept, local.vertrouwelijkheidaanduiding
    else:
        remote = resolved.remote or {}
        concept, vertrouwelijkheid = remote.get("concept") is not False, str(remote["vertrouwelijkheidaanduiding"])
        return _published(concept, TypeRef(None, url, vertrouwelijkheid))
    return _published(concept, TypeRef(local, url, vertrouwelijkheid))


def _published(concept: bool, ref: TypeRef) -> TypeRef:
    if concept:
        raise validation_problem(
            [InvalidParam("informatieobjecttype", "not-published", "Het informatieobjecttype is nog een concept.")]
        )
    return ref


def check_status(status: str, ontvangstdatum: object) -> None:
    """drc-005: a received document cannot be 'in bewerking' or 'ter vaststelling'."""
    if ontvangstdatum is not None and status in RECEIVED_STATUSES:
        raise validation_problem(
            [
                InvalidParam(
                    "status",
                    "invalid_for_received",
                    "De statuswaarden `in_bewerking` en `ter_vaststelling` zijn niet van toepassing op ontvangen "
                    "informatieobjecten.",
                )
            ]
        )


def _current_with(identificatie: str, bronorganisatie: str) -> Select[Any]:
    return (
        select(InformatieObject.id)
        .join(
            InformatieObjectVersie,
            and_(
                InformatieObjectVersie.informatieobject_id == InformatieObject.id,
                InformatieObjectVersie.versie == InformatieObject.versie,
            ),
        )
        .where(
            InformatieObjectVersie.identificatie == identificatie,
            InformatieObjectVersie.bronorganisatie == bronorganisatie,
        )
    )


def check_identificatie_unique(
    session: Session, identificatie: str, bronorganisatie: str, document_id: int | None = None
) -> None:
    query = _current_with(identificatie, bronorganisatie)
    if document_id is not None:
        query = query.where(InformatieObject.id != document_id)
    if session.scalar(query.limit(1)) is not None:
        raise validation_problem(
            [
                InvalidParam(
                    "identificatie",
                    "identificatie-niet-uniek",
                    "Deze identificatie bestaat al voor deze bronorganisatie.",
                )
            ]
        )


def generate_identificatie(session: Session, bronorganisatie: str, moment: datetime) -> str:
    prefix = f"DOCUMENT-{moment.year}-"
    count = session.scalar(
        select(func.count()).select_from(
            select(InformatieObjectVersie.id)
            .where(
                InformatieObjectVersie.bronorganisatie == bronorganisatie,
                InformatieObjectVersie.identificatie.startswith(prefix),
                InformatieObjectVersie.versie == 1,
            )
            .subquery()
        )
    )
    # The number from core/identificatie.py (SQLite: above this year's count); a client may have taken it.
    number = next_number(session, DOCUMENTEN_SEQUENCE, lambda: count or 0)
    while session.scalar(_current_with(f"{prefix}{number:010d}", bronorganisatie).limit(1)) is not None:
        number = next_number(session, DOCUMENTEN_SEQUENCE, functools.partial(int, number))
    return f"{prefix}{number:010d}"


def check_lock(document: InformatieObject, lock: str | None) -> None:
    """drc-009: writes need the document's current lock."""
    if not document.lock:
        raise validation_problem([InvalidParam("nonFieldErrors", "unlocked", "Unlocked document can't be modified")])
    if not lock:
        raise validation_problem([InvalidParam("lock", "missing-lock-id", "Het lock ID ontbreekt.")])
    if not secrets.compare_digest(lock, document.lock):
        raise validation_problem([InvalidParam("nonFieldErrors", "incorrect-lock-id", "Incorrect lock ID.")])


def _kenmerken(urls: TenantUrls, document: InformatieObject, versie: InformatieObjectVersie) -> dict[str, str]:
    return {
        "bronorganisatie": versie.bronorganisatie,
        "informatieobjecttype": informatieobjecttype_url(urls, document),
        "vertrouwelijkheidaanduiding": versie.vertrouwelijkheidaanduiding,
    }


def _check_content_size(requested: int | None, received: ReceivedContent | None) -> None:
    if received is not None and requested is not None and requested != received.size:
        raise validation_problem(
            [
                InvalidParam(
                    "bestandsomvang",
                    "file-size",
                    f"De bestandsomvang ({requested}) komt niet overeen met de inhoud ({received.size} bytes).",
                )
            ]
        )


def _apply_content(
    ctx: WriteContext,
    versie: InformatieObjectVersie,
    received: ReceivedContent | None,
    bestandsomvang: int | None,
    previous: InformatieObjectVersie | None,
    bestandsomvang_sent: bool,
) -> bool:
    """Set the version's content; returns whether an upload in bestandsdelen was started (document gets locked)."""
    if received is not None:
        if received.size == 0:  # omvang 0: no content at all (the standard: inhoud stays empty)
            ctx.storage.delete(received.key)
            versie.bestandsomvang = 0
            return False
        content.set_content(versie, received.key, StoredContent(received.size, received.sha256))
        return False
    if bestandsomvang_sent and bestandsomvang:
        unchanged = previous is not None and previous.content_key and previous.bestandsomvang == bestandsomvang
        if not unchanged:
            content.start_upload(ctx.storage, versie, bestandsomvang, ctx.part_size)
            return True
    if bestandsomvang_sent and not bestandsomvang:
        versie.bestandsomvang = bestandsomvang
        return False
    if previous is not None:  # metadata-only change: the new version shares the previous content
        content.share_content(versie, previous)
        versie.upload_id = previous.upload_id
        if previous.upload_id:  # still uploading: the upload and its parts move along to the new version
            versie.bestandsdelen = list(previous.bestandsdelen)
            previous.content_key = previous.upload_id = ""
    return False


# --- writing -------------------------------------------------------------------------------------------------


def create_document(
    session: Session, ctx: WriteContext, data: DocumentCreate, received: ReceivedContent | None
) -> tuple[InformatieObject, InformatieObjectVersie]:
    """Register a document (version 1). With ``bestandsomvang`` but no ``inhoud`` the content follows in
    bestandsdelen and the document is locked for that upload."""
    type_ref = resolve_informatieobjecttype(ctx.resolver, data.informatieobjecttype)
    vertrouwelijkheid = data.vertrouwelijkheidaanduiding or type_ref.vertrouwelijkheidaanduiding  # drc-007
    if not ctx.client.may_access(COMPONENT, [SCOPE_DOCUMENTEN_AANMAKEN], type_ref.url, vertrouwelijkheid):
        raise access.forbidden()
    check_status(data.status, data.ontvangstdatum)
    _check_content_size(data.bestandsomvang, received)
    now = datetime.now(UTC)
    identificatie = data.identificatie or generate_identificatie(session, data.bronorganisatie, now)
    check_identificatie_unique(session, identificatie, data.bronorganisatie)

    document = InformatieObject(
        informatieobjecttype=type_ref.local,
        informatieobjecttype_url="" if type_ref.local else type_ref.url,
        vertrouwelijkheidaanduiding=vertrouwelijkheid,
        versie=1,
    )
    values = {field: getattr(data, field) for field in VERSION_FIELDS}
    values.update(
        identificatie=identificatie,
        vertrouwelijkheidaanduiding=vertrouwelijkheid,
        ondertekening=data.ondertekening.model_dump(mode="json") if data.ondertekening else None,
        integriteit=data.integriteit.model_dump(mode="json") if data.integriteit else None,
        trefwoorden=list(data.trefwoorden or []),
    )
    versie = InformatieObjectVersie(informatieobject=document, versie=1, begin_registratie=now, **values)
    in_parts = _apply_content(
        ctx, versie, received, data.bestandsomvang, None, "bestandsomvang" in data.model_fields_set
    )
    if in_parts:
        document.lock = secrets.token_hex(16)
    try:
        session.add(document)
        session.flush()
        nieuw = serialize_document(ctx.urls, document, versie)
        url = document_url(ctx.urls, document)
        record(
            session,
            ctx,
            actie="create",
            resultaat=201,
            hoofd_object=url,
            hoofd_object_uuid=document.uuid,
            resource=RESOURCE,
            resource_url=url,
            resource_weergave=versie.identificatie,
            oud=None,
            nieuw=nieuw,
            kenmerken=_kenmerken(ctx.urls, document, versie),
        )
        session.commit()
    except BaseException:
        session.rollback()
        content.discard_upload(ctx.storage, versie)
        raise
    return document, versie


def update_document(
    session: Session,
    ctx: WriteContext,
    document: InformatieObject,
    data: DocumentUpdate | DocumentPatch,
    received: ReceivedContent | None,
    *,
    partial: bool,
) -> tuple[InformatieObject, InformatieObjectVersie]:
    """A PUT/PATCH under the document's lock: always a new version (drc-009, drc-010)."""
    access.require(ctx.client, [SCOPE_DOCUMENTEN_BIJWERKEN], ctx.urls, document)
    sent = data.model_fields_set
    null_fields = [f for f in NOT_NULL_FIELDS if f in sent and getattr(data, f) is None]
    if null_fields:
        raise validation_problem([InvalidParam(_camel(f), "null", "Dit veld mag niet leeg zijn.") for f in null_fields])
    check_lock(document, data.lock)
    previous = current_versie(session, document)
    oud = serialize_document(ctx.urls, document, previous)

    values: dict[str, Any] = {field: getattr(previous, field) for field in VERSION_FIELDS}
    for field in VERSION_FIELDS:
        if field in sent or not partial:
            values[field] = getattr(data, field)
    if (
        "ondertekening" in values
        and values["ondertekening"] is not None
        and not isinstance(values["ondertekening"], dict)
    ):
        values["ondertekening"] = values["ondertekening"].model_dump(mode="json")
    if "integriteit" in values and values["integriteit"] is not None and not isinstance(values["integriteit"], dict):
        values["integriteit"] = values["integriteit"].model_dump(mode="json")
    values["trefwoorden"] = list(values["trefwoorden"] or [])

    if "informatieobjecttype" in sent or not partial:
        assert data.informatieobjecttype is not None
        type_ref = resolve_informatieobjecttype(ctx.resolver, data.informatieobjecttype)
    else:
        type_ref = TypeRef(
            document.informatieobjecttype,
            informatieobjecttype_url(ctx.urls, document),
            previous.vertrouwelijkheidaanduiding,
        )
    if not values["vertrouwelijkheidaanduiding"]:  # drc-007: derived from the (new) informatieobjecttype
        values["vertrouwelijkheidaanduiding"] = type_ref.vertrouwelijkheidaanduiding
    if not ctx.client.may_access(
        COMPONENT, [SCOPE_DOCUMENTEN_BIJWERKEN], type_ref.url, values["vertrouwelijkheidaanduiding"]
    ):
        raise access.forbidden()
    check_status(values["status"], values["ontvangstdatum"])
    _check_content_size(data.bestandsomvang, received)
    if not values["identificatie"]:
        values["identificatie"] = previous.identificatie
    if (values["identificatie"], values["bronorganisatie"]) != (previous.identificatie, previous.bronorganisatie):
        check_identificatie_unique(session, values["identificatie"], values["bronorganisatie"], document.id)

    number = document.versie + 1
    versie = InformatieObjectVersie(
        informatieobject=document, versie=number, begin_registratie=datetime.now(UTC), **values
    )
    bestandsomvang_sent = "bestandsomvang" in sent or not partial
    if not partial and "bestandsomvang" not in sent and received is None:
        bestandsomvang_sent = False  # a PUT without content fields keeps the content
    _apply_content(ctx, versie, received, data.bestandsomvang, previous, bestandsomvang_sent)
    try:
        if previous.upload_id:  # replaced by new content: the unfinished upload of the previous version is dropped
            content.orphan_key(session, previous.content_key, previous.upload_id)
            previous.content_key = previous.upload_id = ""
        document.versie = number
        document.vertrouwelijkheidaanduiding = versie.vertrouwelijkheidaanduiding
        document.informatieobjecttype = type_ref.local
        document.informatieobjecttype_url = "" if type_ref.local else type_ref.url
        session.add(versie)
        session.flush()
        url = document_url(ctx.urls, document)
        record(
            session,
            ctx,
            actie="partial_update" if partial else "update",
            resultaat=200,
            hoofd_object=url,
            hoofd_object_uuid=document.uuid,
            resource=RESOURCE,
            resource_url=url,
            resource_weergave=versie.identificatie,
            oud=oud,
            nieuw=serialize_document(ctx.urls, document, versie),
            kenmerken=_kenmerken(ctx.urls, document, versie),
        )
        session.commit()
    except BaseException:
        session.rollback()
        content.discard_upload(ctx.storage, versie)
        raise
    return document, versie


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def delete_document(session: Session, ctx: WriteContext, document: InformatieObject) -> None:
    """drc-008: only without relations; removes versions, gebruiksrechten, verzendingen, audit trail and — after
    the commit — the content of every version."""
    access.require(ctx.client, [SCOPE_DOCUMENTEN_VERWIJDEREN], ctx.urls, document)
    if relations.has_relations(session, ctx.urls, document):
        # drc-008 asks for a 400, but the operation declares none: 409 Conflict is the status it allows.
        raise Problem(
            409,
            "Het informatieobject kan niet verwijderd worden: er zijn nog objectinformatieobjecten.",
            code="pending-relations",
            invalid_params=[
                InvalidParam("nonFieldErrors", "pending-relations", "Er zijn nog objectinformatieobjecten.")
            ],
        )
    versie = current_versie(session, document)
    url = document_url(ctx.urls, document)
    kenmerken = _kenmerken(ctx.urls, document, versie)
    keys: set[tuple[str, str]] = set()
    for each in document.versies:
        if each.content_key:
            keys.add((each.content_key, each.upload_id))
    for key, upload_id in keys:
        content.orphan_key(session, key, upload_id)
    session.execute(delete(AuditTrailEntry).where(AuditTrailEntry.hoofd_object_uuid == document.uuid))
    session.delete(document)
    record(
        session,
        ctx,
        audit=False,  # the audit trail goes with the document (drc-008)
        actie="destroy",
        resultaat=204,
        hoofd_object=url,
        hoofd_object_uuid=document.uuid,
        resource=RESOURCE,
        resource_url=url,
        resource_weergave=versie.identificatie,
        oud=None,
        nieuw=None,
        kenmerken=kenmerken,
    )
    session.commit()


def lock_document(session: Session, client: Client, urls: TenantUrls, document: InformatieObject) -> str:
    access.require(client, [SCOPE_DOCUMENTEN_LOCK], urls, document)
    if document.lock:
        raise validation_problem([InvalidParam("nonFieldErrors", "existing-lock", "Het document is al gelockt.")])
    document.lock = secrets.token_hex(16)
    session.commit()
    return document.lock


def unlock_document(session: Session, client: Client, urls: TenantUrls, document: InformatieObject, lock: str) -> None:
    """drc-009: the lock holder unlocks with the lock id; clients with geforceerd-unlock without it. An upload
    in bestandsdelen must be complete first."""
    forced = access.may(client, [SCOPE_DOCUMENTEN_GEFORCEERD_UNLOCK], urls, document)
    if not forced:
        access.require(client, [SCOPE_DOCUMENTEN_LOCK], urls, document)
        if not document.lock or not lock or not secrets.compare_digest(lock, document.lock):
            raise validation_problem([InvalidParam("nonFieldErrors", "incorrect-lock-id", "Incorrect lock ID.")])
    versie = current_versie(session, document)
    if versie.upload_id:
        raise validation_problem(
            [
                InvalidParam(
                    "nonFieldErrors",
                    "incomplete-upload",
                    "Niet alle bestandsdelen zijn geüpload; het document kan nog niet ontgrendeld worden.",
                )
            ]
        )
    document.lock = ""
    session.commit()


def require_read(client: Client, urls: TenantUrls, document: InformatieObject) -> None:
    access.require(client, [SCOPE_DOCUMENTEN_LEZEN], urls, document)
