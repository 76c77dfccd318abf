"""Besluiten: create (brc-001, brc-002, brc-006, brc-007), change, delete (brc-009) and list.

A local besluit with a local zaak is linked to it through the Zaken API's ``links`` functions in the same
transaction (the zaakbesluit of the Zaken API); a change of zaak or a deletion unlinks it first.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic.alias_generators import to_camel
from sqlalchemy import Select, delete, func, select
from sqlalchemy.exc import IntegrityError

from tenant_runtime.besluiten import catalog
from tenant_runtime.besluiten.access import allowed_besluittypen, forbidden, require_besluit_access
from tenant_runtime.besluiten.filters import BesluitFilters
from tenant_runtime.besluiten.models import Besluit
from tenant_runtime.besluiten.schemas import (
    BESLUIT_NOT_NULLABLE,
    BESLUIT_REQUIRED,
    BesluitIn,
    besluit_url,
    serialize_besluit,
)
from tenant_runtime.besluiten.scopes import (
    SCOPE_BESLUITEN_AANMAKEN,
    SCOPE_BESLUITEN_ALLES_LEZEN,
    SCOPE_BESLUITEN_ALLES_VERWIJDEREN,
    SCOPE_BESLUITEN_BIJWERKEN,
)
from tenant_runtime.besluiten.services.common import Context, audit, notify, required
from tenant_runtime.core.audit import AuditTrailEntry
from tenant_runtime.core.auth import Client
from tenant_runtime.core.identificatie import BESLUITEN_SEQUENCE, next_number
from tenant_runtime.core.problems import InvalidParam, Problem, validation_problem
from tenant_runtime.core.resolver import Resolved, ResolveError
from tenant_runtime.core.urls import TenantUrls
from tenant_runtime.logging import get_logger

log = get_logger(__name__)

IDENTIFICATIE_PREFIX = "BESLUIT"
IDENTIFICATIE_DIGITS = 10
_GENERATE_ATTEMPTS = 10
AMSTERDAM = ZoneInfo("Europe/Amsterdam")  # "today" for a Dutch beslisdatum

# Fields a change may not alter (brc-001, brc-002); ``zaak`` may change, the zaakbesluit follows it.
IMMUTABLE = ("identificatie", "verantwoordelijke_organisatie")
PLAIN_FIELDS = (
    "datum",
    "toelichting",
    "bestuursorgaan",
    "ingangsdatum",
    "vervaldatum",
    "publicatiedatum",
    "verzenddatum",
    "uiterlijke_reactiedatum",
)


# --- reading ---------------------------------------------------------------------------------------------------


def list_query(client: Client, urls: TenantUrls, filters: BesluitFilters) -> Select[Any]:
    """Besluiten the client may read (besluittype in its autorisaties, in SQL), filtered, oldest first."""
    allowed = allowed_besluittypen(client, urls, [SCOPE_BESLUITEN_ALLES_LEZEN])
    return select(Besluit).where(allowed.condition(), *filters.conditions()).order_by(Besluit.id)


# --- validators ------------------------------------------------------------------------------------------------


def validate_present(data: BesluitIn, *, full: bool) -> list[InvalidParam]:
    """POST and PUT need the spec's required fields; no request may send ``null`` where the spec has none."""
    sent = data.model_fields_set
    errors = [required(name) for name in BESLUIT_REQUIRED if full and name not in sent]
    errors += [
        InvalidParam(to_camel(name), "null", "Dit veld mag niet leeg zijn.")
        for name in BESLUIT_NOT_NULLABLE
        if name in sent and getattr(data, name) is None
    ]
    return errors


def validate_dates(datum: date | None, ingangsdatum: date | None, vervaldatum: date | None) -> list[InvalidParam]:
    """The beslisdatum lies not in the future; a werkingsperiode does not end before it starts."""
    errors = []
    if datum is not None and datum > datetime.now(AMSTERDAM).date():
        errors.append(InvalidParam("datum", "future-not-allowed", "Deze datum mag niet in de toekomst liggen."))
    if ingangsdatum is not None and vervaldatum is not None and vervaldatum < ingangsdatum:
        errors.append(
            InvalidParam("vervaldatum", "vervaldatum-voor-ingangsdatum", "De vervaldatum ligt vóór de ingangsdatum.")
        )
    return errors


def validate_unique_identificatie(ctx: Context, organisatie: str, identificatie: str) -> list[InvalidParam]:
    """brc-002: identificatie is unique within the verantwoordelijke organisatie."""
    exists = ctx.session.scalar(
        select(Besluit.id).where(
            Besluit.verantwoordelijke_organisatie == organisatie, Besluit.identificatie == identificatie
        )
    )
    if exists is None:
        return []
    return [_identificatie_taken(identificatie)]


def _identificatie_taken(identificatie: str) -> InvalidParam:
    return InvalidParam(
        "identificatie",
        "identificatie-niet-uniek",
        f"Deze identificatie ({identificatie}) bestaat al voor deze verantwoordelijke organisatie.",
    )


def _immutable(name: str) -> InvalidParam:
    return InvalidParam(to_camel(name), "wijzigen-niet-toegestaan", "Dit veld mag niet gewijzigd worden.")


def _resolve_besluittype(ctx: Context, url: str, errors: list[InvalidParam]) -> catalog.TypeRef | None:
    """brc-001: the besluittype exists, is a besluittype and is published."""
    try:
        besluittype = catalog.resolve_type(ctx.resolver, url, "besluittypen")
    except ResolveError as exc:
        errors.append(exc.param("besluittype"))
        return None
    if not besluittype.published:
        errors.append(InvalidParam("besluittype", "not-published", "Het besluittype is nog niet gepubliceerd."))
    return besluittype


def _resolve_zaak(
    ctx: Context, url: str, besluittype: catalog.TypeRef | None, errors: list[InvalidParam]
) -> Resolved | None:
    """The zaak exists, and (brc-007) the besluittype is one of its zaaktype's besluittypen."""
    try:
        zaak = catalog.resolve_zaak(ctx.resolver, url)
    except ResolveError as exc:
        errors.append(exc.param("zaak"))
        return None
    if besluittype is None:
        return zaak
    try:
        zaaktype = catalog.zaaktype_of_zaak(ctx.resolver, zaak)
    except ResolveError as exc:
        errors.append(InvalidParam("zaak", exc.code, f"Het zaaktype van de zaak: {exc.reason}"))
        return None
    if not catalog.besluittype_of_zaaktype(besluittype, zaaktype):
        errors.append(
            InvalidParam(
                "nonFieldErrors", "zaaktype-mismatch", "Het besluittype hoort niet bij het zaaktype van de zaak."
            )
        )
    return zaak


def _current_besluittype(ctx: Context, besluit: Besluit) -> catalog.TypeRef:
    if besluit.besluittype is not None:
        url = ctx.urls.resource("catalogi", "besluittypen", besluit.besluittype.uuid)
        return catalog.TypeRef(url=url, local=besluit.besluittype)
    try:
        return catalog.resolve_type(ctx.resolver, besluit.besluittype_url, "besluittypen")
    except ResolveError as exc:
        raise validation_problem([exc.param("besluittype")]) from None


def _zaak_changes(ctx: Context, besluit: Besluit, given: str) -> bool:
    """Whether ``given`` (a URL, or empty for none) names another zaak than the besluit has."""
    if not given:
        return besluit.zaak_id is not None or bool(besluit.zaak_url)
    return not _same_reference(ctx, given, besluit.zaak, besluit.zaak_url)


def _same_reference(ctx: Context, given: str, local: Any | None, stored_url: str) -> bool:
    """Whether a URL names the reference a besluit holds (local rows by uuid, whatever host form)."""
    if local is not None:
        ref = ctx.urls.parse_local(given)
        return ref is not None and ref.uuid == local.uuid
    return given == stored_url


# --- identificatie ---------------------------------------------------------------------------------------------


def next_identificatie(ctx: Context, organisatie: str, year: int) -> str:
    """``BESLUIT-<year>-<10 digits>``, the number from ``core/identificatie.py``."""
    prefix = f"{IDENTIFICATIE_PREFIX}-{year}-"

    def highest_in_use() -> int:
        candidates = ctx.session.scalars(
            select(Besluit.identificatie)
            .where(
                Besluit.verantwoordelijke_organisatie == organisatie,
                Besluit.identificatie.like(f"{prefix}%"),
                func.length(Besluit.identificatie) == len(prefix) + IDENTIFICATIE_DIGITS,
            )
            .order_by(Besluit.identificatie.desc())
            .limit(100)
        )
        return next((int(v[len(prefix) :]) for v in candidates if v[len(prefix) :].isdigit()), 0)

    number = next_number(ctx.session, BESLUITEN_SEQUENCE, highest_in_use)
    return f"{prefix}{number:0{IDENTIFICATIE_DIGITS}d}"


def _insert(ctx: Context, besluit: Besluit, generate: bool) -> None:
    """Insert with a unique identificatie; a generated one is drawn again when a concurrent insert took it."""
    for _attempt in range(_GENERATE_ATTEMPTS):
        if generate:
            besluit.identificatie = next_identificatie(ctx, besluit.verantwoordelijke_organisatie, besluit.datum.year)
        try:
            with ctx.session.begin_nested():
                ctx.session.add(besluit)
                ctx.session.flush()
            return
        except IntegrityError:
            if not generate:
                raise validation_problem([_identificatie_taken(besluit.identificatie)]) from None
            log.info("besluit_identificatie_retry", identificatie=besluit.identificatie)
    raise Problem(409, "Er kon geen unieke identificatie gegenereerd worden; probeer het opnieuw.", code="conflict")


# --- writing ---------------------------------------------------------------------------------------------------


def _link(ctx: Context, zaak: Any, besluit: Besluit) -> None:
    from tenant_runtime.zaken.links import link_besluit

    link_besluit(ctx.session, zaak, besluit)


def _unlink(ctx: Context, besluit: Besluit) -> None:
    from tenant_runtime.zaken.links import unlink_besluit

    unlink_besluit(ctx.session, besluit)


def create_besluit(ctx: Context, data: BesluitIn) -> Besluit:
    errors = validate_present(data, full=True)
    if errors:
        raise validation_problem(errors)
    besluittype = _resolve_besluittype(ctx, data.besluittype, errors)
    if besluittype is not None and not allowed_besluittypen(
        ctx.client, ctx.urls, [SCOPE_BESLUITEN_AANMAKEN]
    ).allows_type(besluittype.local, besluittype.url):
        raise forbidden()
    zaak = _resolve_zaak(ctx, data.zaak, besluittype, errors) if data.zaak else None
    errors += validate_dates(data.datum, data.ingangsdatum, data.vervaldatum)
    if data.identificatie:
        errors += validate_unique_identificatie(ctx, data.verantwoordelijke_organisatie, data.identificatie)
    if errors or besluittype is None:
        raise validation_problem(errors)

    besluit = Besluit(
        identificatie=data.identificatie,
        verantwoordelijke_organisatie=data.verantwoordelijke_organisatie,
        besluittype=besluittype.local,
        besluittype_url="" if besluittype.local is not None else besluittype.url,
        zaak=zaak.local if zaak is not None else None,
        zaak_url=data.zaak if zaak is not None and zaak.local is None else "",
        vervalreden=data.vervalreden.value if data.vervalreden else "",
        **{name: getattr(data, name) for name in PLAIN_FIELDS},
    )
    _insert(ctx, besluit, generate=not data.identificatie)
    if zaak is not None and zaak.local is not None:
        _link(ctx, zaak.local, besluit)
    url = besluit_url(ctx.urls, besluit)
    audit(
        ctx,
        besluit,
        actie="create",
        resultaat=201,
        resource="besluit",
        resource_url=url,
        nieuw=serialize_besluit(ctx.urls, besluit),
    )
    notify(ctx, besluit, resource="besluit", resource_url=url, actie="create")
    ctx.session.commit()
    log.info("besluit_created", besluit=str(besluit.uuid), identificatie=besluit.identificatie)
    return besluit


def update_besluit(ctx: Context, besluit: Besluit, data: BesluitIn, *, partial: bool) -> Besluit:
    """PUT or PATCH. identificatie, verantwoordelijkeOrganisatie and besluittype stay; a changed zaak is relinked."""
    require_besluit_access(ctx.client, ctx.urls, besluit, SCOPE_BESLUITEN_BIJWERKEN)
    sent = data.model_fields_set
    errors = validate_present(data, full=not partial)
    for name in IMMUTABLE:
        if name in sent and getattr(data, name) != getattr(besluit, name):
            errors.append(_immutable(name))
    if "besluittype" in sent and not _same_reference(
        ctx, data.besluittype, besluit.besluittype, besluit.besluittype_url
    ):
        errors.append(_immutable("besluittype"))
    if errors:
        raise validation_problem(errors)

    zaak_changes = "zaak" in sent and _zaak_changes(ctx, besluit, data.zaak)
    zaak = (
        _resolve_zaak(ctx, data.zaak, _current_besluittype(ctx, besluit), errors)
        if zaak_changes and data.zaak
        else None
    )

    def merged(name: str) -> Any:
        return getattr(data, name) if name in sent else getattr(besluit, name)

    errors += validate_dates(merged("datum"), merged("ingangsdatum"), merged("vervaldatum"))
    if errors:
        raise validation_problem(errors)

    oud = serialize_besluit(ctx.urls, besluit)
    for name in PLAIN_FIELDS:
        if name in sent:
            setattr(besluit, name, getattr(data, name))  # a null where none may be was refused above
    if "vervalreden" in sent:
        besluit.vervalreden = data.vervalreden.value if data.vervalreden else ""
    if zaak_changes:
        if besluit.zaak_id is not None:
            _unlink(ctx, besluit)
        besluit.zaak = zaak.local if zaak is not None else None
        besluit.zaak_url = data.zaak if zaak is not None and zaak.local is None else ""
        ctx.session.flush()
        if zaak is not None and zaak.local is not None:
            _link(ctx, zaak.local, besluit)
    ctx.session.flush()
    actie = "partial_update" if partial else "update"
    url = besluit_url(ctx.urls, besluit)
    audit(
        ctx,
        besluit,
        actie=actie,
        resultaat=200,
        resource="besluit",
        resource_url=url,
        oud=oud,
        nieuw=serialize_besluit(ctx.urls, besluit),
    )
    notify(ctx, besluit, resource="besluit", resource_url=url, actie=actie)
    ctx.session.commit()
    log.info("besluit_updated", besluit=str(besluit.uuid), actie=actie)
    return besluit


def delete_besluit(ctx: Context, besluit: Besluit) -> None:
    """brc-009: the besluit, its besluitinformatieobjecten, its zaakbesluit and its audit trail are removed."""
    require_besluit_access(ctx.client, ctx.urls, besluit, SCOPE_BESLUITEN_ALLES_VERWIJDEREN)
    url = besluit_url(ctx.urls, besluit)
    if besluit.zaak_id is not None:
        _unlink(ctx, besluit)
    notify(ctx, besluit, resource="besluit", resource_url=url, actie="destroy")
    ctx.session.execute(delete(AuditTrailEntry).where(AuditTrailEntry.hoofd_object_uuid == besluit.uuid))
    ctx.session.delete(besluit)
    ctx.session.commit()
    log.info("besluit_deleted", besluit=str(besluit.uuid))
