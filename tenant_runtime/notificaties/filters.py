"""The standard's filter semantics for kanalen, abonnementen and notificaties.

* A kenmerk name is compared in camelCase, so ``verantwoordelijke_organisatie`` (as the Besluiten API documents
  it) and ``verantwoordelijkeOrganisatie`` (as it is sent) are the same kenmerk.
* The kenmerken of an abonnement's filter, or of a published notificatie, must be consistent with the kanaal's
  filters: all of the kanaal's filters, or only filters the kanaal has.
* A notificatie matches a filter group when, for every filtered kenmerk the notificatie carries, the filter's
  value is ``*`` or equal to the notificatie's value. A kenmerk the notificatie does not carry does not exclude it;
  no filters (or an empty map) means every notificatie on the kanaal.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

WILDCARD = "*"


def normalise_kenmerk(name: str) -> str:
    """``verantwoordelijke_organisatie`` → ``verantwoordelijkeOrganisatie``; camelCase names are unchanged."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def consistent_with_kanaal(kanaal_filters: Iterable[str], names: Iterable[str]) -> bool:
    kanaal = {normalise_kenmerk(n) for n in kanaal_filters}
    given = {normalise_kenmerk(n) for n in names}
    return kanaal <= given or given <= kanaal


def matches(filters: Mapping[str, str], kenmerken: Mapping[str, str]) -> bool:
    """Whether a notificatie with ``kenmerken`` passes one filter group of an abonnement."""
    if not filters:
        return True
    present = {normalise_kenmerk(k): v for k, v in kenmerken.items()}
    for name, wanted in filters.items():
        key = normalise_kenmerk(name)
        if key in present and wanted != WILDCARD and present[key] != wanted:
            return False
    return True
