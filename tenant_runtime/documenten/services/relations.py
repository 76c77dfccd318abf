"""Objectinformatieobjecten: the relations of documents to zaken, besluiten and verzoeken.

For zaken and besluiten of this tenant the relation is owned by the Zaken/Besluiten API (ZaakInformatieObject,
BesluitInformatieObject lead — the standard); the OIO is derived from those rows (``tenant_runtime.zaken.links``,
``tenant_runtime.besluiten.links``) and keeps their uuid. Only relations to objects outside this tenant are stored
in ``documenten_objectinformatieobject``, after checking the object (drc-002) and the relation in its source
(drc-004).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType
from typing import Any
from uuid import UUID

import httpx
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from tenant_runtime.core.problems import InvalidParam, Problem, validation_problem
from tenant_runtime.core.resolver import REMOTE_TIMEOUT, ResolveError
from tenant_runtime.core.urls import TenantUrls
from tenant_runtime.documenten.models import InformatieObject, ObjectInformatieObject
from tenant_runtime.documenten.schemas.enkelvoudiginformatieobjecten import document_url
from tenant_runtime.documenten.scopes import SCOPE_DOCUMENTEN_AANMAKEN, SCOPE_DOCUMENTEN_VERWIJDEREN
from tenant_runtime.documenten.services import access
from tenant_runtime.documenten.services.context import WriteContext, record
from tenant_runtime.logging import get_logger

log = get_logger(__name__)

RESOURCE = "objectinformatieobject"

# objectType → (component, resource of the object, resource of the relation in the source API, its filter)
OBJECT_TYPES: dict[str, tuple[str, str, str, str]] = {
    "zaak": ("zaken", "zaken", "zaakinformatieobjecten", "zaak"),
    "besluit": ("besluiten", "besluiten", "besluitinformatieobjecten", "besluit"),
    "verzoek": ("verzoeken", "verzoeken", "verzoekinformatieobjecten", "verzoek"),
}


@dataclass(frozen=True, slots=True)
class Relation:
    uuid: UUID
    document: InformatieObject
    object_type: str
    object_url: str
    stored: ObjectInformatieObject | None  # None: derived from a ZaakInformatieObject/BesluitInformatieObject


def serialize_relation(urls: TenantUrls, relation: Relation) -> dict[str, Any]:
    return {
        "url": urls.resource("documenten", "objectinformatieobjecten", relation.uuid),
        "informatieobject": document_url(urls, relation.document),
        "object": relation.object_url,
        "objectType": relation.object_type,
    }


# --- local relations, owned by the Zaken and Besluiten APIs ---------------------------------------------------


def _optional(module: str) -> ModuleType | None:
    """A module of a component that may not be part of this build (yet)."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name and module.startswith(exc.name):
            return None
        raise


# (links module, function, models module, relation model, parent attribute, objectType, component, resource)
_LOCAL_SOURCES = (
    (
        "tenant_runtime.zaken.links",
        "zaakinformatieobjecten_of",
        "tenant_runtime.zaken.models",
        "ZaakInformatieObject",
        "zaak",
        "zaak",
        "zaken",
        "zaken",
    ),
    (
        "tenant_runtime.besluiten.links",
        "besluitinformatieobjecten_of",
        "tenant_runtime.besluiten.models",
        "BesluitInformatieObject",
        "besluit",
        "besluit",
        "besluiten",
        "besluiten",
    ),
)


def _derived(urls: TenantUrls, document: InformatieObject, link: Any, parent: str, object_type: str) -> Relation:
    owner = getattr(link, parent)
    component, resource = OBJECT_TYPES[object_type][:2]
    return Relation(link.uuid, document, object_type, urls.resource(component, resource, owner.uuid), None)


def derived_of_document(session: Session, urls: TenantUrls, document: InformatieObject) -> list[Relation]:
    """The OIOs implied by this tenant's ZaakInformatieObjecten/BesluitInformatieObjecten of ``document``."""
    relations: list[Relation] = []
    for links_module, function, _, _, parent, object_type, _, _ in _LOCAL_SOURCES:
        links = _optional(links_module)
        if links is None or not hasattr(links, function):
            continue
        for link in getattr(links, function)(session, document.id):
            relations.append(_derived(urls, document, link, parent, object_type))
    return relations


def _derived_where(
    session: Session,
    urls: TenantUrls,
    visible: Select[Any],
    *,
    relation_uuid: UUID | None = None,
    object_ref: tuple[str, str, UUID] | None = None,
    document: InformatieObject | None = None,
) -> list[Relation]:
    relations: list[Relation] = []
    for _, _, models_module, model_name, parent, object_type, component, resource in _LOCAL_SOURCES:
        models = _optional(models_module)
        model = getattr(models, model_name, None) if models is not None else None
        if model is None:
            continue
        if object_ref is not None and object_ref[:2] != (component, resource):
            continue
        query = select(model).where(model.informatieobject_id.is_not(None), model.informatieobject_id.in_(visible))
        if relation_uuid is not None:
            query = query.where(model.uuid == relation_uuid)
        if document is not None:
            query = query.where(model.informatieobject_id == document.id)
        for link in session.scalars(query.order_by(model.id)):
            owner = getattr(link, parent)
            if object_ref is not None and owner.uuid != object_ref[2]:
                continue
            relations.append(_derived(urls, link.informatieobject, link, parent, object_type))
    return relations


def has_relations(session: Session, urls: TenantUrls, document: InformatieObject) -> bool:
    stored = session.scalar(
        select(ObjectInformatieObject.id).where(ObjectInformatieObject.informatieobject_id == document.id).limit(1)
    )
    return stored is not None or bool(derived_of_document(session, urls, document))


# --- reading ---------------------------------------------------------------------------------------------------


def _stored(row: ObjectInformatieObject) -> Relation:
    return Relation(row.uuid, row.informatieobject, row.object_type, row.object_url, row)


def list_relations(
    session: Session,
    urls: TenantUrls,
    visible: Select[Any],
    *,
    object_url: str | None = None,
    document: InformatieObject | None = None,
    no_match: bool = False,
) -> list[Relation]:
    if no_match:
        return []
    query = select(ObjectInformatieObject).where(ObjectInformatieObject.informatieobject_id.in_(visible))
    if object_url is not None:
        query = query.where(ObjectInformatieObject.object_url == object_url)
    if document is not None:
        query = query.where(ObjectInformatieObject.informatieobject_id == document.id)
    relations = [_stored(row) for row in session.scalars(query.order_by(ObjectInformatieObject.id))]
    object_ref = None
    if object_url is not None:
        ref = urls.parse_local(object_url)
        if ref is None:
            return relations
        object_ref = (ref.component, ref.resource, ref.uuid)
    return relations + _derived_where(session, urls, visible, object_ref=object_ref, document=document)


def get_relation(session: Session, urls: TenantUrls, raw_uuid: str) -> Relation:
    identifier = access.parse_uuid(raw_uuid)
    row = session.scalar(select(ObjectInformatieObject).where(ObjectInformatieObject.uuid == identifier))
    if row is not None:
        return _stored(row)
    derived = _derived_where(session, urls, select(InformatieObject.id), relation_uuid=identifier)
    if not derived:
        raise access.not_found()
    return derived[0]


# --- writing ---------------------------------------------------------------------------------------------------


def _source_lists_relation(ctx: WriteContext, object_type: str, object_url: str, informatieobject: str) -> bool | None:
    """drc-004: whether the object's own API lists the relation; None when the source could not be asked."""
    _, resource, relation_resource, filter_name = OBJECT_TYPES[object_type]
    marker = f"/{resource}/"
    if marker not in object_url:
        return None
    root = object_url[: object_url.rindex(marker)]
    url = f"{root}/{relation_resource}"
    if not ctx.resolver.may_fetch(url):
        return None
    try:
        response = httpx.get(
            url,
            params={filter_name: object_url, "informatieobject": informatieobject},
            headers=ctx.resolver.request_headers(url),
            timeout=REMOTE_TIMEOUT,
        )
    except httpx.HTTPError:
        return None
    if response.status_code != 200:
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    results = body.get("results") if isinstance(body, dict) else body
    return bool(results) if isinstance(results, list) else None


def create_relation(
    session: Session, ctx: WriteContext, informatieobject_url: str, object_url: str, object_type: str
) -> Relation:
    try:
        resolved = ctx.resolver.resolve(informatieobject_url, "documenten", "enkelvoudiginformatieobjecten")
    except ResolveError as error:
        raise validation_problem([error.param("informatieobject")]) from None
    if resolved.local is None:
        raise validation_problem(
            [InvalidParam("informatieobject", "bad-url", "Het informatieobject hoort niet bij deze Documenten API.")]
        )
    document: InformatieObject = resolved.local
    access.require(ctx.client, [SCOPE_DOCUMENTEN_AANMAKEN], ctx.urls, document)
    component, resource = OBJECT_TYPES[object_type][:2]
    ref = ctx.urls.parse_local(object_url)
    if ref is not None:
        return _refuse_local(session, ctx, document, ref.component, ref.resource, ref.uuid, component, resource)
    try:  # drc-002
        ctx.resolver.resolve(object_url, component, resource, check=lambda d: "url" in d)
    except ResolveError as error:
        raise validation_problem([error.param("object")]) from None
    duplicate = session.scalar(
        select(ObjectInformatieObject.id).where(
            ObjectInformatieObject.informatieobject_id == document.id, ObjectInformatieObject.object_url == object_url
        )
    )
    if duplicate is not None:  # drc-003
        raise _unique()
    if not _source_lists_relation(ctx, object_type, object_url, informatieobject_url):  # drc-004
        raise validation_problem(
            [
                InvalidParam(
                    "nonFieldErrors",
                    "inconsistent-relation",
                    f"De relatie tussen het object en het informatieobject bestaat niet in de bron ({component}).",
                )
            ]
        )
    row = ObjectInformatieObject(informatieobject=document, object_type=object_type, object_url=object_url)
    session.add(row)
    session.flush()
    relation = _stored(row)
    _audit(session, ctx, relation, "create", 201, None, serialize_relation(ctx.urls, relation))
    session.commit()
    return relation


def _unique() -> Exception:
    return validation_problem(
        [InvalidParam("nonFieldErrors", "unique", "De combinatie object en informatieobject bestaat al.")]
    )


def _refuse_local(
    session: Session,
    ctx: WriteContext,
    document: InformatieObject,
    ref_component: str,
    ref_resource: str,
    ref_uuid: UUID,
    component: str,
    resource: str,
) -> Relation:
    """An object of this tenant: the relation exists exactly when its ZIO/BIO does (and then already as OIO)."""
    if (ref_component, ref_resource) != (component, resource):
        raise validation_problem(
            [InvalidParam("object", "bad-url", f"De URL verwijst niet naar een {resource} resource.")]
        )
    try:
        ctx.resolver.resolve(ctx.urls.resource(component, resource, ref_uuid), component, resource)
    except ResolveError as error:
        raise validation_problem([error.param("object")]) from None
    existing = [r for r in derived_of_document(session, ctx.urls, document) if r.object_url.endswith(f"/{ref_uuid}")]
    if existing:  # drc-003: the relation already exists (derived from the ZIO/BIO)
        raise _unique()
    raise validation_problem(
        [
            InvalidParam(
                "nonFieldErrors",
                "inconsistent-relation",
                f"Er bestaat geen {component[:-2]}informatieobject voor dit object en informatieobject.",
            )
        ]
    )


def delete_relation(session: Session, ctx: WriteContext, relation: Relation) -> None:
    access.require(ctx.client, [SCOPE_DOCUMENTEN_VERWIJDEREN], ctx.urls, relation.document)
    if relation.stored is None or _source_lists_relation(
        ctx, relation.object_type, relation.object_url, document_url(ctx.urls, relation.document)
    ):
        # The operation declares no 400: a relation that still exists at its source is a 409 Conflict.
        raise Problem(
            409,
            "De relatie bestaat nog in de bron van het object; verwijder die eerst.",
            code="remote-relation-exists",
            invalid_params=[
                InvalidParam("nonFieldErrors", "remote-relation-exists", "De relatie bestaat nog in de bron.")
            ],
        )
    oud = serialize_relation(ctx.urls, relation)
    session.delete(relation.stored)
    _audit(session, ctx, relation, "destroy", 204, oud, None)
    session.commit()


def _audit(
    session: Session,
    ctx: WriteContext,
    relation: Relation,
    actie: str,
    resultaat: int,
    oud: dict[str, Any] | None,
    nieuw: dict[str, Any] | None,
) -> None:
    record(
        session,
        ctx,
        notify=False,
        actie=actie,
        resultaat=resultaat,
        hoofd_object=document_url(ctx.urls, relation.document),
        hoofd_object_uuid=relation.document.uuid,
        resource=RESOURCE,
        resource_url=ctx.urls.resource("documenten", "objectinformatieobjecten", relation.uuid),
        resource_weergave=f"{relation.object_type} {relation.object_url}"[:200],
        oud=oud,
        nieuw=nieuw,
        kenmerken=None,
    )
