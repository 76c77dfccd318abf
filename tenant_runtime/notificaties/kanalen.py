"""The kanalen the runtime's own APIs publish on, with the kenmerken each documents (its filters).

Every tenant database gets these kanalen from the ``nrc0001`` migration, so abonnementen can be taken on them
before the first notification. The kenmerken are those the APIs' official documents list under "Kenmerken".
"""

from __future__ import annotations

from dataclasses import dataclass

DOCS = "https://vng-realisatie.github.io/gemma-zaken/standaard"


@dataclass(frozen=True, slots=True)
class KanaalDefinition:
    naam: str
    filters: tuple[str, ...]
    documentatie_link: str


STANDARD_KANALEN: tuple[KanaalDefinition, ...] = (
    KanaalDefinition("zaken", ("bronorganisatie", "zaaktype", "vertrouwelijkheidaanduiding"), f"{DOCS}/zaken/"),
    KanaalDefinition(
        "documenten",
        ("bronorganisatie", "informatieobjecttype", "vertrouwelijkheidaanduiding"),
        f"{DOCS}/documenten/",
    ),
    KanaalDefinition("besluiten", ("verantwoordelijke_organisatie", "besluittype"), f"{DOCS}/besluiten/"),
    KanaalDefinition("zaaktypen", ("catalogus",), f"{DOCS}/catalogi/"),
    KanaalDefinition("informatieobjecttypen", ("catalogus",), f"{DOCS}/catalogi/"),
    KanaalDefinition("besluittypen", ("catalogus",), f"{DOCS}/catalogi/"),
    KanaalDefinition("autorisaties", (), f"{DOCS}/autorisaties/"),
)
