"""Besluittype-based autorisaties: which besluiten a client may read, create, change or delete.

An autorisatie on component ``brc`` names one besluittype by URL. The URLs of this tenant's own besluittypen
are matched by uuid (whatever host or prefix the autorisatie was written with), other URLs literally. The
Besluiten API has no vertrouwelijkheidaanduiding, so the besluittype alone decides.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import ColumnElement, false, or_, select, true

from tenant_runtime.besluiten.models import Besluit
from tenant_runtime.besluiten.scopes import COMPONENT
from tenant_runtime.catalogi.models import BesluitType
from tenant_runtime.core.auth import Client
from tenant_runtime.core.problems import Problem
from tenant_runtime.core.urls import TenantUrls


@dataclass(frozen=True, slots=True)
class AllowedBesluittypen:
    everything: bool
    local: frozenset[UUID]
    remote: frozenset[str]

    def allows(self, besluit: Besluit) -> bool:
        if self.everything:
            return True
        if besluit.besluittype is not None:
            return besluit.besluittype.uuid in self.local
        return besluit.besluittype_url in self.remote

    def allows_type(self, local: BesluitType | None, url: str) -> bool:
        if self.everything:
            return True
        return local.uuid in self.local if local is not None else url in self.remote

    def condition(self) -> ColumnElement[bool]:
        """SQL condition on ``Besluit`` for list endpoints (uses the besluittype indexes)."""
        if self.everything:
            return true()
        clauses: list[ColumnElement[bool]] = []
        if self.local:
            clauses.append(Besluit.besluittype_id.in_(select(BesluitType.id).where(BesluitType.uuid.in_(self.local))))
        if self.remote:
            clauses.append(Besluit.besluittype_url.in_(self.remote))
        return or_(*clauses) if clauses else false()


def allowed_besluittypen(client: Client, urls: TenantUrls, scopes: Iterable[str]) -> AllowedBesluittypen:
    if client.heeft_alle_autorisaties:
        return AllowedBesluittypen(True, frozenset(), frozenset())
    local: set[UUID] = set()
    remote: set[str] = set()
    for url in client.type_grants(COMPONENT, scopes):
        ref = urls.parse_local(url)
        if ref is not None and (ref.component, ref.resource) == ("catalogi", "besluittypen"):
            local.add(ref.uuid)
        else:
            remote.add(url)
    return AllowedBesluittypen(False, frozenset(local), frozenset(remote))


def forbidden() -> Problem:
    return Problem(403, "Je hebt geen toestemming om deze actie uit te voeren.", code="permission_denied")


def require_besluit_access(client: Client, urls: TenantUrls, besluit: Besluit, *scopes: str) -> None:
    if not allowed_besluittypen(client, urls, scopes).allows(besluit):
        raise forbidden()
