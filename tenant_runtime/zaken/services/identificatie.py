"""zrc-002: ``identificatie`` is unique per ``bronorganisatie``. Without one from the client,
``ZAAK-<year>-<10 digits>`` is generated (the number from ``core/identificatie.py``); should the client have used
that identificatie itself, the unique constraint refuses it and the insert is retried in a savepoint."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tenant_runtime.core.identificatie import ZAKEN_SEQUENCE, next_number
from tenant_runtime.logging import get_logger
from tenant_runtime.zaken.models import Zaak
from tenant_runtime.zaken.services.common import invalid

log = get_logger(__name__)

PREFIX = "ZAAK"
MAX_ATTEMPTS = 20


def _next_identificatie(session: Session, bronorganisatie: str, year: int) -> str:
    prefix = f"{PREFIX}-{year}-"

    def highest_in_use() -> int:
        highest = session.scalar(
            select(func.max(Zaak.identificatie)).where(
                Zaak.bronorganisatie == bronorganisatie,
                Zaak.identificatie.like(f"{prefix}%"),
                func.length(Zaak.identificatie) == len(prefix) + 10,
            )
        )
        return int(highest[len(prefix) :]) if highest and highest[len(prefix) :].isdigit() else 0

    return f"{prefix}{next_number(session, ZAKEN_SEQUENCE, highest_in_use):010d}"


def not_unique() -> Exception:
    return invalid(
        "identificatie",
        "identificatie-niet-uniek",
        "Deze identificatie bestaat al voor deze bronorganisatie.",
    )


def identificatie_taken(session: Session, bronorganisatie: str, identificatie: str, exclude_id: int | None) -> bool:
    query = select(Zaak.id).where(Zaak.bronorganisatie == bronorganisatie, Zaak.identificatie == identificatie)
    if exclude_id is not None:
        query = query.where(Zaak.id != exclude_id)
    return session.scalar(query.limit(1)) is not None


def insert_zaak(
    session: Session, zaak: Zaak, generate: bool, year: Callable[[], int] = lambda: date.today().year
) -> None:
    """Flush a new zaak, generating its identificatie when the client gave none (retrying on a race)."""
    if not generate:
        if identificatie_taken(session, zaak.bronorganisatie, zaak.identificatie, None):
            raise not_unique()
        try:
            with session.begin_nested():
                session.add(zaak)
                session.flush()
        except IntegrityError:
            raise not_unique() from None
        return
    for attempt in range(MAX_ATTEMPTS):
        zaak.identificatie = _next_identificatie(session, zaak.bronorganisatie, year())
        try:
            with session.begin_nested():
                session.add(zaak)
                session.flush()
            return
        except IntegrityError:
            log.info("zaak_identificatie_retry", attempt=attempt, bronorganisatie=zaak.bronorganisatie)
            continue
    raise invalid(
        "identificatie", "identificatie-niet-uniek", "Kon geen unieke identificatie genereren; probeer opnieuw."
    )
