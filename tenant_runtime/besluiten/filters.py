"""Query-parameter filters of the list endpoints (exactly the spec's parameters; others are a 400).

A reference filter takes a URL: one of this tenant's objects is matched by its local row (whatever host form
the URL uses), another URL literally against the stored external reference.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, false, select

from tenant_runtime.besluiten.models import Besluit, BesluitInformatieObject
from tenant_runtime.besluiten.schemas import is_absolute_url
from tenant_runtime.catalogi.models import BesluitType
from tenant_runtime.core.problems import InvalidParam, validation_problem
from tenant_runtime.core.urls import TenantUrls
from tenant_runtime.documenten.models import InformatieObject

BESLUIT_PARAMS = ("identificatie", "verantwoordelijkeOrganisatie", "besluittype", "zaak", "page")
BIO_PARAMS = ("besluit", "informatieobject")


def _check_known(params: Mapping[str, str], allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        raise validation_problem(
            [InvalidParam("nonFieldErrors", "unknown-parameters", f"Onbekende query parameters: {', '.join(unknown)}")]
        )


def _check_urls(params: Mapping[str, str], names: tuple[str, ...]) -> None:
    errors = [
        InvalidParam(name, "invalid", "Voer een geldige URL in.")
        for name in names
        if name in params and not is_absolute_url(params[name])
    ]
    if errors:
        raise validation_problem(errors)


def _reference(
    urls: TenantUrls,
    url: str,
    component: str,
    resource: str,
    local_column: Any,
    url_column: Any,
    model: Any,
) -> ColumnElement[bool]:
    ref = urls.parse_local(url)
    if ref is not None:
        if (ref.component, ref.resource) != (component, resource):
            return false()
        return local_column.in_(select(model.id).where(model.uuid == ref.uuid))  # type: ignore[no-any-return]
    return url_column == url  # type: ignore[no-any-return]


@dataclass(frozen=True, slots=True)
class BesluitFilters:
    urls: TenantUrls
    identificatie: str | None = None
    verantwoordelijke_organisatie: str | None = None
    besluittype: str | None = None
    zaak: str | None = None

    @classmethod
    def from_query(cls, urls: TenantUrls, params: Mapping[str, str]) -> BesluitFilters:
        _check_known(params, BESLUIT_PARAMS)
        _check_urls(params, ("besluittype", "zaak"))
        return cls(
            urls,
            identificatie=params.get("identificatie"),
            verantwoordelijke_organisatie=params.get("verantwoordelijkeOrganisatie"),
            besluittype=params.get("besluittype"),
            zaak=params.get("zaak"),
        )

    def conditions(self) -> list[ColumnElement[bool]]:
        from tenant_runtime.zaken.models import Zaak

        conditions: list[ColumnElement[bool]] = []
        if self.identificatie is not None:
            conditions.append(Besluit.identificatie == self.identificatie)
        if self.verantwoordelijke_organisatie is not None:
            conditions.append(Besluit.verantwoordelijke_organisatie == self.verantwoordelijke_organisatie)
        if self.besluittype is not None:
            conditions.append(
                _reference(
                    self.urls,
                    self.besluittype,
                    "catalogi",
                    "besluittypen",
                    Besluit.besluittype_id,
                    Besluit.besluittype_url,
                    BesluitType,
                )
            )
        if self.zaak is not None:
            conditions.append(
                _reference(self.urls, self.zaak, "zaken", "zaken", Besluit.zaak_id, Besluit.zaak_url, Zaak)
            )
        return conditions


@dataclass(frozen=True, slots=True)
class BesluitInformatieObjectFilters:
    urls: TenantUrls
    besluit: str | None = None
    informatieobject: str | None = None

    @classmethod
    def from_query(cls, urls: TenantUrls, params: Mapping[str, str]) -> BesluitInformatieObjectFilters:
        _check_known(params, BIO_PARAMS)
        _check_urls(params, BIO_PARAMS)
        return cls(urls, besluit=params.get("besluit"), informatieobject=params.get("informatieobject"))

    def conditions(self) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = []
        if self.besluit is not None:
            ref = self.urls.parse_local(self.besluit)
            if ref is None or (ref.component, ref.resource) != ("besluiten", "besluiten"):
                conditions.append(false())
            else:
                conditions.append(Besluit.uuid == ref.uuid)
        if self.informatieobject is not None:
            conditions.append(
                _reference(
                    self.urls,
                    self.informatieobject,
                    "documenten",
                    "enkelvoudiginformatieobjecten",
                    BesluitInformatieObject.informatieobject_id,
                    BesluitInformatieObject.informatieobject_url,
                    InformatieObject,
                )
            )
        return conditions
