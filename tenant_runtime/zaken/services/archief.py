"""zrc-021: deriving archiefnominatie and archiefactiedatum from the resultaat when a zaak is closed.

The brondatum of the archiefprocedure follows the resultaattype's ``brondatumArchiefprocedure.afleidingswijze``;
the archiefactiedatum is brondatum + archiefactietermijn. When the brondatum cannot be determined, no date is set.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tenant_runtime.besluiten.models import Besluit
from tenant_runtime.core.resolver import ResolveError, Resolver
from tenant_runtime.logging import get_logger
from tenant_runtime.zaken.catalog import ResultaattypeInfo
from tenant_runtime.zaken.models import Zaak, ZaakBesluit, ZaakEigenschap, ZaakObject
from tenant_runtime.zaken.schemas.common import parse_duration

log = get_logger(__name__)


def parse_date(value: Any) -> date | None:
    """A date from an eigenschap/object value: ISO (``2024-05-01``, a datetime) or ``YYYYMMDD``."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not value:
        return None
    text = value.strip()
    for parse in (
        date.fromisoformat,
        lambda t: datetime.fromisoformat(t.replace("Z", "+00:00")).date(),
        lambda t: datetime.strptime(t, "%Y%m%d").date(),
        lambda t: datetime.strptime(t, "%Y%m%d%H%M%S").date(),
    ):
        try:
            return parse(text)
        except ValueError:
            continue
    return None


def _latest(dates: Iterable[date | None]) -> date | None:
    present = [d for d in dates if d is not None]
    return max(present) if present else None


def _remote_attribute(resolver: Resolver, url: str, attribute: str) -> date | None:
    try:
        return parse_date(resolver.fetch(url).get(attribute))
    except ResolveError:
        return None


def _besluit_dates(session: Session, resolver: Resolver, zaak: Zaak, attribute: str) -> list[date | None]:
    """``ingangsdatum``/``vervaldatum`` of the zaak's besluiten: local ones and those registered by URL."""
    dates: list[date | None] = [
        getattr(b, attribute) for b in session.scalars(select(Besluit).where(Besluit.zaak_id == zaak.id))
    ]
    for url in session.scalars(
        select(ZaakBesluit.besluit_url).where(ZaakBesluit.zaak_id == zaak.id, ZaakBesluit.besluit_url != "")
    ):
        dates.append(_remote_attribute(resolver, url, attribute))
    return dates


def _related_einddatums(session: Session, resolver: Resolver, zaak: Zaak) -> list[date | None]:
    dates: list[date | None] = []
    for relatie in zaak.relevante_andere_zaken or []:
        url = relatie.get("url", "")
        ref = resolver.urls.parse_local(url)
        if ref is not None and (ref.component, ref.resource) == ("zaken", "zaken"):
            dates.append(session.scalar(select(Zaak.einddatum).where(Zaak.uuid == ref.uuid)))
        else:
            dates.append(_remote_attribute(resolver, url, "einddatum"))
    return dates


def _zaakobject_dates(session: Session, resolver: Resolver, zaak: Zaak, rt: ResultaattypeInfo) -> list[date | None]:
    dates: list[date | None] = []
    for zaakobject in session.scalars(
        select(ZaakObject).where(ZaakObject.zaak_id == zaak.id, ZaakObject.object_type == rt.objecttype)
    ):
        value = (zaakobject.object_identificatie or {}).get(rt.datumkenmerk)
        if value is None and zaakobject.object:
            dates.append(_remote_attribute(resolver, zaakobject.object, rt.datumkenmerk))
        else:
            dates.append(parse_date(value))
    return dates


def brondatum(session: Session, resolver: Resolver, zaak: Zaak, rt: ResultaattypeInfo) -> date | None:
    """The brondatum of the archiefprocedure of a zaak being closed (``zaak.einddatum`` already set)."""
    wijze = rt.afleidingswijze
    if wijze == "afgehandeld":
        return zaak.einddatum
    if wijze == "termijn":
        if zaak.einddatum is None or not rt.procestermijn:
            return None
        return zaak.einddatum + parse_duration(rt.procestermijn)
    if wijze == "hoofdzaak":
        return zaak.hoofdzaak.einddatum if zaak.hoofdzaak is not None else None
    if wijze == "eigenschap":
        waarden = session.scalars(
            select(ZaakEigenschap.waarde).where(
                ZaakEigenschap.zaak_id == zaak.id, ZaakEigenschap.naam == rt.datumkenmerk
            )
        )
        return _latest(parse_date(w) for w in waarden)
    if wijze == "gerelateerde_zaak":
        return _latest(_related_einddatums(session, resolver, zaak))
    if wijze == "ingangsdatum_besluit":
        return _latest(_besluit_dates(session, resolver, zaak, "ingangsdatum"))
    if wijze == "vervaldatum_besluit":
        return _latest(_besluit_dates(session, resolver, zaak, "vervaldatum"))
    if wijze == "zaakobject":
        return _latest(_zaakobject_dates(session, resolver, zaak, rt))
    return None  # ander_datumkenmerk: set by hand


def derive_archiving(session: Session, resolver: Resolver, zaak: Zaak, rt: ResultaattypeInfo) -> None:
    if not zaak.archiefnominatie and rt.archiefnominatie:
        zaak.archiefnominatie = rt.archiefnominatie
    if not rt.archiefactietermijn:
        return
    bron = brondatum(session, resolver, zaak, rt)
    if bron is None:
        log.info("zaak_archiefactiedatum_unknown", zaak=str(zaak.uuid), afleidingswijze=rt.afleidingswijze)
        return
    zaak.archiefactiedatum = bron + parse_duration(rt.archiefactietermijn)
