"""Business rules of the Autorisaties API: applicaties with their autorisaties (ac-001, ac-002, ac-003).

Every write locks the applicaties table (PostgreSQL) so the uniqueness of client ids across applicaties holds
under concurrent writers, publishes a notificatie on kanaal ``autorisaties`` in the same transaction, and
commits. Callers drop the runtime's client cache afterwards so a changed autorisatie applies to the next request.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from pydantic.alias_generators import to_camel
from sqlalchemy import Select, select, text
from sqlalchemy.orm import Session

from tenant_runtime.autorisaties.models import Applicatie, Autorisatie
from tenant_runtime.autorisaties.schemas import (
    COMPONENT_FIELDS,
    ApplicatieIn,
    ApplicatiePatch,
    AutorisatieIn,
    Component,
    applicatie_url,
)
from tenant_runtime.autorisaties.scopes import KANAAL
from tenant_runtime.core.outbox import publish
from tenant_runtime.core.problems import InvalidParam, Problem, validation_problem
from tenant_runtime.core.urls import TenantUrls
from tenant_runtime.logging import get_logger

log = get_logger(__name__)

# ac-003: the scopes of these components that concern their main resource need the type fields.
MAIN_RESOURCE = {Component.zrc: "zaken", Component.drc: "documenten", Component.brc: "besluiten"}


def _not_found() -> Problem:
    return Problem(404, "Niet gevonden.", code="not_found")


# --- reading ---------------------------------------------------------------------------------------------------


def _all(session: Session) -> Sequence[Applicatie]:
    return session.scalars(select(Applicatie).order_by(Applicatie.id)).all()


def list_query(session: Session, client_ids: list[str] | None) -> Select[Any]:
    """Applicaties, optionally only those holding every one of ``client_ids`` (the reference's ``contains``)."""
    query = select(Applicatie).order_by(Applicatie.id)
    if client_ids:
        wanted = set(client_ids)
        ids = [a.id for a in _all(session) if wanted <= set(a.client_ids or [])]
        query = query.where(Applicatie.id.in_(ids))
    return query


def get_applicatie(session: Session, raw_uuid: str) -> Applicatie:
    try:
        identifier = uuid.UUID(raw_uuid)
    except ValueError:
        raise _not_found() from None
    applicatie = session.scalar(select(Applicatie).where(Applicatie.uuid == identifier))
    if applicatie is None:
        raise _not_found()
    return applicatie


def consumer(session: Session, client_id: str) -> Applicatie:
    """The applicatie a client id belongs to (ac-001 makes it at most one)."""
    for applicatie in _all(session):
        if client_id in (applicatie.client_ids or []):
            return applicatie
    raise Problem(404, "Geen applicatie met deze client id.", code="not_found")


# --- validators ------------------------------------------------------------------------------------------------


def validate_client_ids(session: Session, client_ids: list[str], instance: Applicatie | None) -> list[InvalidParam]:
    """ac-001: a client id identifies exactly one applicatie."""
    if len(set(client_ids)) != len(client_ids):
        return [InvalidParam("clientIds", "unique", "Een client id mag maar één keer voorkomen.")]
    wanted = set(client_ids)
    taken: set[str] = set()
    owners: list[str] = []
    for other in _all(session):
        if instance is not None and other.id == instance.id:
            continue
        overlap = wanted & set(other.client_ids or [])
        if overlap:
            taken |= overlap
            owners.append(str(other.uuid))
    if taken:
        reason = f"De client id(s) {', '.join(sorted(taken))} zijn al in gebruik bij applicatie(s) {', '.join(owners)}."
        return [InvalidParam("clientIds", "clientId-exists", reason)]
    return []


def validate_specification(heeft_alle_autorisaties: bool, has_autorisaties: bool) -> list[InvalidParam]:
    """ac-002: either ``heeftAlleAutorisaties`` or autorisaties, never both and never neither."""
    if heeft_alle_autorisaties and has_autorisaties:
        reason = "Geef óf heeftAlleAutorisaties óf autorisaties op, niet allebei."
        return [InvalidParam("nonFieldErrors", "ambiguous-authorizations-specified", reason)]
    if not heeft_alle_autorisaties and not has_autorisaties:
        reason = "Geef heeftAlleAutorisaties of ten minste één autorisatie op."
        return [InvalidParam("nonFieldErrors", "missing-authorizations", reason)]
    return []


def validate_autorisatie(index: int, autorisatie: AutorisatieIn) -> list[InvalidParam]:
    """ac-003: scopes on a component's main resource need that component's type and confidentiality fields."""
    resource = MAIN_RESOURCE.get(autorisatie.component)
    if resource is None or not any(scope.startswith(f"{resource}.") for scope in autorisatie.scopes):
        return []
    return [
        InvalidParam(
            f"autorisaties.{index}.{to_camel(name)}",
            "required",
            f"Dit veld is verplicht als `component` {autorisatie.component.value} is.",
        )
        for name in COMPONENT_FIELDS[autorisatie.component]
        if not autorisatie.field_value(name)
    ]


# --- writing ---------------------------------------------------------------------------------------------------


def _lock(session: Session) -> None:
    """Serialise writers of applicaties so two requests cannot claim the same client id at once."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE autorisaties_applicatie IN SHARE ROW EXCLUSIVE MODE"))


def _build(data: AutorisatieIn) -> Autorisatie:
    fields = {name: data.field_value(name) for name in COMPONENT_FIELDS.get(data.component, ())}
    return Autorisatie(component=data.component.value, scopes=list(data.scopes), **fields)


def _apply(
    session: Session,
    urls: TenantUrls,
    applicatie: Applicatie,
    data: ApplicatieIn | ApplicatiePatch,
    actie: str,
) -> Applicatie:
    existing = applicatie if applicatie.id is not None else None
    errors: list[InvalidParam] = []
    if data.client_ids is not None:
        errors += validate_client_ids(session, data.client_ids, existing)
    heeft_alle = (
        data.heeft_alle_autorisaties
        if data.heeft_alle_autorisaties is not None
        else bool(applicatie.heeft_alle_autorisaties)
    )
    has_autorisaties = bool(data.autorisaties) if data.autorisaties is not None else bool(applicatie.autorisaties)
    errors += validate_specification(heeft_alle, has_autorisaties)
    for index, autorisatie in enumerate(data.autorisaties or []):
        errors += validate_autorisatie(index, autorisatie)
    if errors:
        raise validation_problem(errors)

    if data.client_ids is not None:
        applicatie.client_ids = list(data.client_ids)
    if data.label is not None:
        applicatie.label = data.label
    applicatie.heeft_alle_autorisaties = heeft_alle
    if data.autorisaties is not None:
        applicatie.autorisaties = [_build(a) for a in data.autorisaties]
    session.add(applicatie)
    session.flush()
    url = applicatie_url(urls, applicatie)
    publish(session, kanaal=KANAAL, hoofd_object=url, resource="applicatie", resource_url=url, actie=actie)
    session.commit()
    log.info("applicatie_saved", applicatie=str(applicatie.uuid), actie=actie)
    return applicatie


def create_applicatie(session: Session, urls: TenantUrls, data: ApplicatieIn) -> Applicatie:
    _lock(session)
    applicatie = Applicatie(uuid=uuid.uuid4(), client_ids=[], label="", heeft_alle_autorisaties=False)
    applicatie.autorisaties = []
    return _apply(session, urls, applicatie, data, "create")


def update_applicatie(
    session: Session, urls: TenantUrls, raw_uuid: str, data: ApplicatieIn | ApplicatiePatch, *, partial: bool
) -> Applicatie:
    """PUT or PATCH. Autorisaties that are given replace the old ones; omitted fields keep their value."""
    _lock(session)
    applicatie = get_applicatie(session, raw_uuid)
    return _apply(session, urls, applicatie, data, "partial_update" if partial else "update")


def delete_applicatie(session: Session, urls: TenantUrls, raw_uuid: str) -> None:
    """Delete an applicatie with its autorisaties; its client ids then hold no autorisaties at all."""
    _lock(session)
    applicatie = get_applicatie(session, raw_uuid)
    url = applicatie_url(urls, applicatie)
    session.delete(applicatie)
    publish(session, kanaal=KANAAL, hoofd_object=url, resource="applicatie", resource_url=url, actie="destroy")
    session.commit()
    log.info("applicatie_deleted", applicatie=str(applicatie.uuid))
