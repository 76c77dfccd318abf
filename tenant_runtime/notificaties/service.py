"""Business rules of the Notificaties API: kanalen, abonnementen (with the callback check) and publishing.

Publishing a notificatie puts it in the tenant's outbox (``tenant_runtime.core.outbox``), exactly like the
runtime's own APIs do for their writes; delivery to the abonnementen happens from there (``delivery.py``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import UTC

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tenant_runtime.core.auth import Client
from tenant_runtime.core.outbox import OutboxMessage
from tenant_runtime.core.problems import InvalidParam, Problem, validation_problem
from tenant_runtime.notificaties import filters as kenmerk_filters
from tenant_runtime.notificaties.models import Abonnement, AbonnementKanaal, Kanaal
from tenant_runtime.notificaties.schemas import (
    AUTH_MASK,
    AbonnementIn,
    AbonnementPatch,
    FilterGroupIn,
    KanaalIn,
    MessageIn,
)

# (callback URL, Authorization header value) → None when the callback accepted the test notification, else why not.
CallbackVerifier = Callable[[str, str], "str | None"]


def _not_found() -> Problem:
    return Problem(404, "Niet gevonden.", code="not_found")


def _parse_uuid(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise _not_found() from None


# --- kanalen -------------------------------------------------------------------------------------------------


def list_kanalen(session: Session, naam: str | None = None) -> Sequence[Kanaal]:
    query = select(Kanaal).order_by(Kanaal.naam)
    if naam is not None:
        query = query.where(Kanaal.naam == naam)
    return session.scalars(query).all()


def get_kanaal(session: Session, raw_uuid: str) -> Kanaal:
    kanaal = session.scalar(select(Kanaal).where(Kanaal.uuid == _parse_uuid(raw_uuid)))
    if kanaal is None:
        raise _not_found()
    return kanaal


def create_kanaal(session: Session, data: KanaalIn) -> Kanaal:
    """Register a kanaal; its name is unique within the tenant."""
    duplicate = InvalidParam("naam", "unique", "Er bestaat al een kanaal met deze naam.")
    if session.scalar(select(Kanaal.id).where(Kanaal.naam == data.naam)) is not None:
        raise validation_problem([duplicate])
    if len(set(data.filters)) != len(data.filters):
        raise validation_problem([InvalidParam("filters", "unique", "Filters mogen niet dubbel voorkomen.")])
    kanaal = Kanaal(naam=data.naam, documentatie_link=data.documentatie_link, filters=list(data.filters))
    session.add(kanaal)
    try:
        session.commit()
    except IntegrityError:  # a concurrent registration of the same name won
        session.rollback()
        raise validation_problem([duplicate]) from None
    return kanaal


# --- abonnementen --------------------------------------------------------------------------------------------


def list_abonnementen(session: Session) -> Sequence[Abonnement]:
    return session.scalars(select(Abonnement).order_by(Abonnement.id)).all()


def get_abonnement(session: Session, raw_uuid: str) -> Abonnement:
    abonnement = session.scalar(select(Abonnement).where(Abonnement.uuid == _parse_uuid(raw_uuid)))
    if abonnement is None:
        raise _not_found()
    return abonnement


def _filter_groups(session: Session, groups: list[FilterGroupIn]) -> list[AbonnementKanaal]:
    """Each group must name an existing kanaal and filter only on kenmerken consistent with that kanaal."""
    kanalen = {k.naam: k for k in session.scalars(select(Kanaal).where(Kanaal.naam.in_({g.naam for g in groups})))}
    errors: list[InvalidParam] = []
    entries: list[AbonnementKanaal] = []
    for index, group in enumerate(groups):
        kanaal = kanalen.get(group.naam)
        if kanaal is None:
            errors.append(InvalidParam(f"kanalen.{index}.naam", "kanaal_naam", "Kanaal met deze naam bestaat niet."))
            continue
        if group.filters and not kenmerk_filters.consistent_with_kanaal(kanaal.filters, group.filters):
            errors.append(
                InvalidParam(
                    f"kanalen.{index}.filters",
                    "inconsistent-abonnement-filters",
                    f"De filters passen niet bij de kenmerken van kanaal '{kanaal.naam}': "
                    f"{', '.join(kanaal.filters) or '(geen)'}.",
                )
            )
            continue
        entries.append(AbonnementKanaal(kanaal=kanaal, filters=dict(group.filters)))
    if errors:
        raise validation_problem(errors)
    return entries


def _verify(verifier: CallbackVerifier, callback_url: str, auth: str) -> None:
    reason = verifier(callback_url, auth)
    if reason is not None:
        raise validation_problem(
            [
                InvalidParam(
                    "callbackUrl",
                    "invalid-callback-url",
                    f"De opgegeven callback URL kan geen notificaties ontvangen ({reason}).",
                )
            ]
        )


def create_abonnement(session: Session, client: Client, data: AbonnementIn, verifier: CallbackVerifier) -> Abonnement:
    """Subscribe a callback: the kanalen are checked, then the callback must accept a test notification."""
    groups = _filter_groups(session, data.kanalen)
    if data.auth == AUTH_MASK:
        raise validation_problem(
            [InvalidParam("auth", "invalid", "Geef de waarde van de Authorization header van de callback op.")]
        )
    _verify(verifier, data.callback_url, data.auth)
    abonnement = Abonnement(callback_url=data.callback_url, auth=data.auth, client_id=client.client_id, kanalen=groups)
    session.add(abonnement)
    session.commit()
    return abonnement


def update_abonnement(
    session: Session, abonnement: Abonnement, data: AbonnementIn | AbonnementPatch, verifier: CallbackVerifier
) -> Abonnement:
    """PUT or PATCH: given kanalen replace the old ones; a changed callback or auth is verified again.

    Sending back the masked ``auth`` (as read from this API) keeps the stored value."""
    groups = _filter_groups(session, data.kanalen) if data.kanalen is not None else None
    callback_url = data.callback_url if data.callback_url is not None else abonnement.callback_url
    auth = abonnement.auth if data.auth is None or data.auth == AUTH_MASK else data.auth
    if callback_url != abonnement.callback_url or auth != abonnement.auth:
        _verify(verifier, callback_url, auth)
        # A new endpoint deserves a fresh circuit: failures of the old one say nothing about it.
        abonnement.consecutive_failures = 0
        abonnement.circuit_opens = 0
        abonnement.circuit_open_until = None
    abonnement.callback_url = callback_url
    abonnement.auth = auth
    if groups is not None:
        abonnement.kanalen = groups
    session.commit()
    return abonnement


def delete_abonnement(session: Session, abonnement: Abonnement) -> None:
    """Unsubscribe; notifications still waiting for this abonnement are dropped with it."""
    session.delete(abonnement)
    session.commit()


# --- notificaties --------------------------------------------------------------------------------------------


def publish_notificatie(session: Session, data: MessageIn) -> OutboxMessage:
    """Accept a notificatie from a publishing application; it is routed unchanged to the matching abonnementen."""
    kanaal = session.scalar(select(Kanaal).where(Kanaal.naam == data.kanaal))
    if kanaal is None:
        raise validation_problem([InvalidParam("kanaal", "message_kanaal", "Kanaal met deze naam bestaat niet.")])
    if not kenmerk_filters.consistent_with_kanaal(kanaal.filters, data.kenmerken):
        raise validation_problem(
            [
                InvalidParam(
                    "kenmerken",
                    "kenmerken_inconsistent",
                    f"De kenmerken passen niet bij de filters van kanaal '{kanaal.naam}': "
                    f"{', '.join(kanaal.filters) or '(geen)'}.",
                )
            ]
        )
    aanmaakdatum = data.aanmaakdatum if data.aanmaakdatum.tzinfo else data.aanmaakdatum.replace(tzinfo=UTC)
    message = OutboxMessage(
        kanaal=data.kanaal,
        hoofd_object=data.hoofd_object,
        resource=data.resource,
        resource_url=data.resource_url,
        actie=data.actie,
        aanmaakdatum=aanmaakdatum.astimezone(UTC),
        kenmerken=dict(data.kenmerken),
    )
    session.add(message)
    session.commit()
    return message
