"""Vertrouwelijkheidaanduiding: the ordered confidentiality levels shared by Zaken, Documenten and Besluiten."""

from __future__ import annotations

import enum


class Vertrouwelijkheid(enum.StrEnum):
    openbaar = "openbaar"
    beperkt_openbaar = "beperkt_openbaar"
    intern = "intern"
    zaakvertrouwelijk = "zaakvertrouwelijk"
    vertrouwelijk = "vertrouwelijk"
    confidentieel = "confidentieel"
    geheim = "geheim"
    zeer_geheim = "zeer_geheim"

    @property
    def level(self) -> int:
        return _ORDER[self]

    def allows(self, other: str) -> bool:
        """Whether a client allowed up to ``self`` may see something marked ``other``."""
        return _ORDER[Vertrouwelijkheid(other)] <= _ORDER[self]

    @classmethod
    def up_to(cls, maximum: str) -> list[str]:
        """All levels a client allowed up to ``maximum`` may see, for SQL ``IN`` filters."""
        limit = _ORDER[cls(maximum)]
        return [v.value for v in cls if _ORDER[v] <= limit]


_ORDER = {v: i for i, v in enumerate(Vertrouwelijkheid)}
