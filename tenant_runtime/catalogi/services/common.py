"""Rules shared by the Catalogi resources: lookups, the concept lifecycle (ztc-009/010), geldigheid (overlap,
``datumGeldigheid``), version-independent references by name, and notifications."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar, cast
from uuid import UUID

from sqlalchemy import ColumnElement, Select, and_, or_, select
from sqlalchemy.orm import Session

from tenant_runtime.catalogi.models import RESOURCES, BesluitType, Catalogus, InformatieObjectType, ZaakType
from tenant_runtime.catalogi.scopes import COMPONENT, SCOPE_CATALOGI_FORCED_DELETE, SCOPE_CATALOGI_FORCED_WRITE
from tenant_runtime.core.auth import Client
from tenant_runtime.core.outbox import publish
from tenant_runtime.core.problems import InvalidParam, Problem, validation_problem
from tenant_runtime.core.resolver import Resolver
from tenant_runtime.core.urls import TenantUrls
from tenant_runtime.referentielijsten.service import Selectielijst

T = TypeVar("T")
MainType = ZaakType | InformatieObjectType | BesluitType

API = "catalogi"


@dataclass(frozen=True, slots=True)
class Ctx:
    """What a service call needs besides its input: the tenant database, URLs, the client, and resolvers."""

    session: Session
    urls: TenantUrls
    client: Client
    resolver: Resolver
    selectielijst: Selectielijst


# --- lookups ---------------------------------------------------------------------------------------------------


def get_or_404(session: Session, model: type[T], identifier: UUID) -> T:
    entity: Any = model
    obj = session.scalar(select(entity).where(entity.uuid == identifier))
    if obj is None:
        raise Problem(404, "Niet gevonden.", code="not_found")
    return cast(T, obj)


def url_of(urls: TenantUrls, resource: str, obj: Any) -> str:
    return urls.resource(API, resource, obj.uuid)


def local_object(ctx: Ctx, url: str, resource: str, name: str) -> Any:
    """The object of this tenant's Catalogi API that ``url`` names (relations never cross APIs, ztc-013)."""
    ref = ctx.urls.parse_local(url)
    if ref is None or ref.component != API:
        raise validation_problem([InvalidParam(name, "bad-url", "De URL verwijst niet naar deze Catalogi API.")])
    if ref.resource != resource:
        raise validation_problem([InvalidParam(name, "bad-url", f"De URL verwijst niet naar een {resource} object.")])
    obj = ctx.session.scalar(select(RESOURCES[resource]).where(RESOURCES[resource].uuid == ref.uuid))
    if obj is None:
        raise validation_problem([InvalidParam(name, "does_not_exist", "Het object bestaat niet.")])
    return obj


# --- query parameters ------------------------------------------------------------------------------------------

STATUS_CHOICES = ("alles", "concept", "definitief")


def status_clause(raw: str | None, concept: Any) -> ColumnElement[bool] | None:
    """The ``status`` filter: concept, definitief, alles; without it only published objects are listed."""
    if raw is None:
        return concept.is_(False)  # type: ignore[no-any-return]
    if raw not in STATUS_CHOICES:
        raise validation_problem([InvalidParam("status", "invalid_choice", f"Kies uit: {', '.join(STATUS_CHOICES)}.")])
    if raw == "concept":
        return concept.is_(True)  # type: ignore[no-any-return]
    if raw == "definitief":
        return concept.is_(False)  # type: ignore[no-any-return]
    return None


def date_param(name: str, raw: str | None) -> date | None:
    if raw is None or raw == "":
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise validation_problem([InvalidParam(name, "invalid", "Voer een geldige datum in (JJJJ-MM-DD).")]) from None


def bool_param(name: str, raw: str | None) -> bool | None:
    if raw is None or raw == "":
        return None
    if raw.lower() in ("true", "1"):
        return True
    if raw.lower() in ("false", "0"):
        return False
    raise validation_problem([InvalidParam(name, "invalid", "Voer true of false in.")])


def geldig_op(model: Any, moment: date) -> ColumnElement[bool]:
    """Valid on ``moment``: begin ≤ moment ≤ einde (einde inclusive, open when empty)."""
    return and_(
        model.datum_begin_geldigheid <= moment,
        or_(model.datum_einde_geldigheid.is_(None), model.datum_einde_geldigheid >= moment),
    )


def url_filter(ctx: Ctx, name: str, raw: str | None, resource: str) -> int | None:
    """The id of the local object a URL query parameter names; -1 (matches nothing) for an unknown URL."""
    if raw is None:
        return None
    ref = ctx.urls.parse_local(raw)
    if ref is None or ref.component != API or ref.resource != resource:
        if not raw.startswith(("http://", "https://")):
            raise validation_problem([InvalidParam(name, "invalid", "Voer een geldige URL in.")])
        return -1
    model = RESOURCES[resource]
    found = ctx.session.scalar(select(model.id).where(model.uuid == ref.uuid))
    return found if found is not None else -1


# --- concept lifecycle -----------------------------------------------------------------------------------------


def forced_write(client: Client) -> bool:
    return client.has_scopes(COMPONENT, [SCOPE_CATALOGI_FORCED_WRITE])


def forced_delete(client: Client) -> bool:
    return client.has_scopes(COMPONENT, [SCOPE_CATALOGI_FORCED_DELETE])


def ensure_main_editable(obj: MainType, client: Client, patch_keys: set[str] | None) -> None:
    """ztc-009: a published type may only be changed as a correctie (geforceerd-schrijven) or, by PATCH, in
    its eindeGeldigheid alone."""
    if obj.concept or forced_write(client):
        return
    if patch_keys is not None and patch_keys == {"eindeGeldigheid"}:
        return
    raise validation_problem(
        [InvalidParam("nonFieldErrors", "non-concept-object", "Een gepubliceerd object mag niet gewijzigd worden.")]
    )


def ensure_main_deletable(obj: MainType, client: Client) -> None:
    """ztc-009: only concepts are deleted, unless with catalogi.geforceerd-verwijderen. The document lists no 400
    for DELETE, so the refusal is a 409 (the object's state conflicts with the request)."""
    if obj.concept or forced_delete(client):
        return
    raise Problem(409, "Alleen concepten kunnen worden verwijderd.", code="non-concept-object")


def ensure_zaaktype_editable(zaaktype: ZaakType, client: Client, *, deleting: bool = False) -> None:
    """ztc-010/ztc-011a: the sub-types of a published zaaktype are fixed (except a correctie)."""
    if zaaktype.concept:
        return
    if forced_delete(client) if deleting else forced_write(client):
        return
    if deleting:
        reason = "Objecten van een gepubliceerd zaaktype kunnen niet verwijderd worden."
        raise Problem(409, reason, code="non-concept-zaaktype")
    reason = "Het is niet toegestaan objecten van een gepubliceerd zaaktype aan te maken of te wijzigen."
    raise validation_problem([InvalidParam("nonFieldErrors", "non-concept-zaaktype", reason)])


def ensure_begin_matches_zaaktype(zaaktype: ZaakType, begin: date | None, name: str = "beginGeldigheid") -> None:
    """A sub-type's beginGeldigheid, when given, is the one of its zaaktype (or its versiedatum)."""
    if begin is None or begin in (zaaktype.datum_begin_geldigheid, zaaktype.versiedatum):
        return
    raise validation_problem(
        [InvalidParam(name, "invalid", "beginGeldigheid moet die van het zaaktype (of zijn versiedatum) zijn.")]
    )


def ensure_start_before_end(begin: date | None, einde: date | None, name: str = "eindeGeldigheid") -> None:
    if begin is not None and einde is not None and einde < begin:
        raise validation_problem(
            [InvalidParam(name, "date-mismatch", "eindeGeldigheid moet op of na beginGeldigheid liggen.")]
        )


# --- geldigheid and versions -----------------------------------------------------------------------------------


def overlapping(
    session: Session,
    model: Any,
    key: Any,
    value: str,
    catalogus_id: int,
    begin: date,
    einde: date | None,
    exclude_id: int | None,
) -> bool:
    """Whether another published version with the same ``key`` in the catalogus is valid on a day of
    [begin, einde] (both inclusive)."""
    query = select(model.id).where(
        model.catalogus_id == catalogus_id,
        key == value,
        model.concept.is_(False),
        or_(model.datum_einde_geldigheid.is_(None), model.datum_einde_geldigheid >= begin),
    )
    if einde is not None:
        query = query.where(model.datum_begin_geldigheid <= einde)
    if exclude_id is not None:
        query = query.where(model.id != exclude_id)
    return session.scalar(query.limit(1)) is not None


def ensure_no_overlap(
    session: Session, obj: MainType, key_name: str, label: str, field: str = "beginGeldigheid"
) -> None:
    """No two published versions of a type (same identificatie/omschrijving in a catalogus) valid on one day."""
    model = type(obj)
    key = getattr(model, key_name)
    if overlapping(
        session,
        model,
        key,
        getattr(obj, key_name),
        obj.catalogus_id,
        obj.datum_begin_geldigheid,
        obj.datum_einde_geldigheid,
        obj.id,
    ):
        raise validation_problem(
            [InvalidParam(field, "overlap", f"Dit {label} komt al voor binnen de catalogus en geldigheidsperiode.")]
        )


def versions_on(
    session: Session, model: Any, key_name: str, catalogus_id: int, names: list[str], moment: date
) -> list[Any]:
    """For each name, the version valid on ``moment``: published ones first, else a concept (for editors)."""
    if not names:
        return []
    key = getattr(model, key_name)
    rows = session.scalars(
        select(model)
        .where(model.catalogus_id == catalogus_id, key.in_(names), geldig_op(model, moment))
        .order_by(model.concept, model.datum_begin_geldigheid.desc(), model.id)
    ).all()
    chosen: dict[str, Any] = {}
    for row in rows:
        chosen.setdefault(getattr(row, key_name), row)
    return [chosen[name] for name in dict.fromkeys(names) if name in chosen]


def name_from_reference(ctx: Ctx, value: str, resource: str, key_name: str, catalogus_id: int, name: str) -> str:
    """A version-independent reference (1.3): a name, or the URL of one version of it (stored as its name).
    The name must exist in the catalogus (ztc-013)."""
    model = RESOURCES[resource]
    if value.startswith(("http://", "https://")):
        obj = local_object(ctx, value, resource, name)
        if obj.catalogus_id != catalogus_id:
            raise validation_problem(
                [InvalidParam(name, "relations-incorrect-catalogus", "Het object hoort bij een andere catalogus.")]
            )
        return str(getattr(obj, key_name))
    exists = ctx.session.scalar(
        select(model.id).where(model.catalogus_id == catalogus_id, getattr(model, key_name) == value).limit(1)
    )
    if exists is None:
        raise validation_problem(
            [InvalidParam(name, "does_not_exist", f"Er is geen {resource[:-2]} '{value}' in deze catalogus.")]
        )
    return value


def has_published_version(session: Session, model: Any, key_name: str, catalogus_id: int, value: str) -> bool:
    return (
        session.scalar(
            select(model.id)
            .where(model.catalogus_id == catalogus_id, getattr(model, key_name) == value, model.concept.is_(False))
            .limit(1)
        )
        is not None
    )


def filtered(query: Select[Any], *clauses: ColumnElement[bool] | None) -> Select[Any]:
    for clause in clauses:
        if clause is not None:
            query = query.where(clause)
    return query


# --- notifications ---------------------------------------------------------------------------------------------

KANAAL = {
    "zaaktypen": ("zaaktypen", "zaaktype"),
    "informatieobjecttypen": ("informatieobjecttypen", "informatieobjecttype"),
    "besluittypen": ("besluittypen", "besluittype"),
}


def notify(ctx: Ctx, resource: str, obj: MainType, catalogus: Catalogus, actie: str) -> None:
    """Queue the notification of a change to a zaaktype, informatieobjecttype or besluittype."""
    kanaal, singular = KANAAL[resource]
    url = url_of(ctx.urls, resource, obj)
    publish(
        ctx.session,
        kanaal=kanaal,
        hoofd_object=url,
        resource=singular,
        resource_url=url,
        actie=actie,
        kenmerken={"catalogus": url_of(ctx.urls, "catalogussen", catalogus)},
    )


def iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None
