"""Autorisaties on zaken (zrc-006): a client sees and changes only zaken whose zaaktype it holds the operation's
scopes for, up to the maximum vertrouwelijkheidaanduiding of that autorisatie.

Lists are filtered in SQL: the client's zaaktype URLs become local zaaktype ids (or stay URLs for zaaktypen in
another Catalogi API), grouped per maximum level, so the query is a few ``IN`` lists served by the
``(zaaktype_id, vertrouwelijkheidaanduiding, id)`` index.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from uuid import UUID

from sqlalchemy import ColumnElement, and_, false, or_, select
from sqlalchemy.orm import Session

from tenant_runtime.catalogi.models import ZaakType
from tenant_runtime.core.auth import Client
from tenant_runtime.core.problems import Problem
from tenant_runtime.core.urls import TenantUrls
from tenant_runtime.core.vertrouwelijkheid import Vertrouwelijkheid
from tenant_runtime.zaken.models import Zaak
from tenant_runtime.zaken.scopes import COMPONENT, SCOPE_ZAKEN_GEFORCEERD_BIJWERKEN


def forbidden(detail: str = "Je hebt geen toestemming om deze actie uit te voeren.") -> Problem:
    return Problem(403, detail, code="permission_denied")


@dataclass(slots=True)
class ZaakAccess:
    """What one client may do with a set of scopes (any one of them suffices), per zaaktype."""

    everything: bool = False
    local: dict[UUID, str] = field(default_factory=dict)  # local zaaktype uuid → max vertrouwelijkheid
    remote: dict[str, str] = field(default_factory=dict)  # zaaktype URL elsewhere → max vertrouwelijkheid

    def _maximum(self, zaak: Zaak) -> str | None:
        if zaak.zaaktype_id is not None:
            return self.local.get(zaak.zaaktype.uuid) if zaak.zaaktype is not None else None
        return self.remote.get(zaak.zaaktype_url)

    def allows(self, zaak: Zaak) -> bool:
        if self.everything:
            return True
        maximum = self._maximum(zaak)
        return maximum is not None and Vertrouwelijkheid(maximum).allows(zaak.vertrouwelijkheidaanduiding)

    def allows_type(self, zaaktype_local: ZaakType | None, zaaktype_url: str, vertrouwelijkheid: str) -> bool:
        if self.everything:
            return True
        maximum = self.local.get(zaaktype_local.uuid) if zaaktype_local is not None else self.remote.get(zaaktype_url)
        return maximum is not None and Vertrouwelijkheid(maximum).allows(vertrouwelijkheid)

    def clause(self, session: Session) -> ColumnElement[bool] | None:
        """SQL condition on ``Zaak`` (None: no restriction)."""
        if self.everything:
            return None
        ids: dict[UUID, int] = {}
        if self.local:
            rows = session.execute(select(ZaakType.uuid, ZaakType.id).where(ZaakType.uuid.in_(list(self.local))))
            ids = {row.uuid: row.id for row in rows}
        per_level_ids: dict[str, list[int]] = defaultdict(list)
        per_level_urls: dict[str, list[str]] = defaultdict(list)
        for zaaktype_uuid, maximum in self.local.items():
            if zaaktype_uuid in ids:
                per_level_ids[maximum].append(ids[zaaktype_uuid])
        for url, maximum in self.remote.items():
            per_level_urls[maximum].append(url)
        terms = []
        for level in set(per_level_ids) | set(per_level_urls):
            levels = Vertrouwelijkheid.up_to(level)
            if per_level_ids[level]:
                terms.append(
                    and_(Zaak.zaaktype_id.in_(per_level_ids[level]), Zaak.vertrouwelijkheidaanduiding.in_(levels))
                )
            if per_level_urls[level]:
                terms.append(
                    and_(Zaak.zaaktype_url.in_(per_level_urls[level]), Zaak.vertrouwelijkheidaanduiding.in_(levels))
                )
        return or_(*terms) if terms else false()


def _higher(current: str | None, candidate: str) -> str:
    if current is None or Vertrouwelijkheid(candidate).level > Vertrouwelijkheid(current).level:
        return candidate
    return current


def zaak_access(client: Client, urls: TenantUrls, scopes: Iterable[str]) -> ZaakAccess:
    if client.heeft_alle_autorisaties:
        return ZaakAccess(everything=True)
    access = ZaakAccess()
    for scope in scopes:
        for url, maximum in client.type_grants(COMPONENT, [scope]).items():
            ref = urls.parse_local(url)
            if ref is not None:
                access.local[ref.uuid] = _higher(access.local.get(ref.uuid), maximum)
            else:
                access.remote[url] = _higher(access.remote.get(url), maximum)
    return access


def require_zaak(client: Client, urls: TenantUrls, zaak: Zaak, scopes: Iterable[str]) -> None:
    """403 unless one of ``scopes`` is granted for this zaak's zaaktype at its vertrouwelijkheid."""
    if not zaak_access(client, urls, scopes).allows(zaak):
        raise forbidden()


def require_open_or_forced(client: Client, urls: TenantUrls, zaak: Zaak) -> None:
    """zrc-007: a closed zaak (and what belongs to it) only changes with ``zaken.geforceerd-bijwerken``."""
    if zaak.einddatum is not None and not zaak_access(client, urls, [SCOPE_ZAKEN_GEFORCEERD_BIJWERKEN]).allows(zaak):
        raise forbidden("Deze zaak is afgesloten; wijzigen vereist de scope zaken.geforceerd-bijwerken.")
