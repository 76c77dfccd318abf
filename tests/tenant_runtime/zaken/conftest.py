"""Fixtures of the Zaken API tests: a published zaaktype (with statustypen, resultaattypen, roltype, eigenschap,
zaakobjecttype) created directly in the tenant's Catalogi tables, clients with zaken autorisaties, helpers."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx
import pytest

from tenant_runtime.autorisaties.admin import AutorisatieSpec
from tenant_runtime.catalogi.models import (
    Catalogus,
    Eigenschap,
    ResultaatType,
    RolType,
    StatusType,
    ZaakObjectType,
    ZaakType,
)
from tenant_runtime.zaken.scopes import COMPONENT
from tests.tenant_runtime.conftest import ZgwTenant
from tests.tenant_runtime.contract import assert_conforms

RSIN = "517439943"
CRS = {"Accept-Crs": "EPSG:4326", "Content-Crs": "EPSG:4326"}


@dataclass
class Catalog:
    """URLs of one zaaktype and its sub-types, as the Catalogi API of the tenant names them."""

    zaaktype: str
    zaaktype_uuid: uuid.UUID
    statustypen: list[str]
    resultaattypen: dict[str, str] = field(default_factory=dict)  # afleidingswijze → url
    roltype: str = ""
    eigenschappen: dict[str, str] = field(default_factory=dict)  # naam → url
    zaakobjecttype: str = ""


def _url(tenant: ZgwTenant, resource: str, obj: Any) -> str:
    return f"{tenant.api('catalogi')}/{resource}/{obj.uuid}"


RESULTAATTYPEN: dict[str, dict[str, Any]] = {
    "afgehandeld": {"archiefactietermijn": "P10Y"},
    "termijn": {"archiefactietermijn": "P5Y", "brondatum_procestermijn": "P1Y"},
    "eigenschap": {"archiefactietermijn": "P1Y", "brondatum_datumkenmerk": "vervaldatum"},
    "ander_datumkenmerk": {"archiefactietermijn": "P1Y"},
    "hoofdzaak": {"archiefactietermijn": "P2Y"},
    "gerelateerde_zaak": {"archiefactietermijn": "P3Y"},
    "zaakobject": {"archiefactietermijn": "P4Y", "brondatum_objecttype": "adres", "brondatum_datumkenmerk": "datum"},
    "ingangsdatum_besluit": {"archiefactietermijn": "P6Y"},
    "vervaldatum_besluit": {"archiefactietermijn": "P7Y"},
}


def make_catalog(tenant: ZgwTenant, *, vertrouwelijkheid: str = "openbaar", concept: bool = False) -> Catalog:
    with tenant.session() as session, session.begin():
        catalogus = Catalogus(domein="ZAKEN", rsin=RSIN, contactpersoon_beheer_naam="Beheer")
        zaaktype = ZaakType(
            catalogus=catalogus,
            concept=concept,
            identificatie=f"ZT-{uuid.uuid4().hex[:8]}",
            omschrijving="Melding openbare ruimte",
            vertrouwelijkheidaanduiding=vertrouwelijkheid,
            doel="doel",
            aanleiding="aanleiding",
            indicatie_intern_of_extern="extern",
            handeling_initiator="melden",
            onderwerp="openbare ruimte",
            handeling_behandelaar="behandelen",
            doorlooptijd="P30D",
            opschorting_en_aanhouding_mogelijk=True,
            verlenging_mogelijk=True,
            verlengingstermijn="P10D",
            publicatie_indicatie=False,
            producten_of_diensten=["https://example.com/product/1"],
            referentieproces_naam="melding",
            verantwoordelijke="Gemeente",
            versiedatum=date(2024, 1, 1),
            datum_begin_geldigheid=date(2024, 1, 1),
        )
        statustypen = [
            StatusType(zaaktype=zaaktype, omschrijving=o, volgnummer=n)
            for n, o in ((1, "Ontvangen"), (2, "In behandeling"), (3, "Afgerond"))
        ]
        resultaattypen = {
            wijze: ResultaatType(
                zaaktype=zaaktype,
                omschrijving=f"Resultaat {wijze}"[:30],
                resultaattypeomschrijving="https://referentielijsten.example/resultaattypeomschrijvingen/1",
                selectielijstklasse="https://selectielijst.example/resultaten/1",
                archiefnominatie="vernietigen",
                brondatum_afleidingswijze=wijze,
                **extra,
            )
            for wijze, extra in RESULTAATTYPEN.items()
        }
        roltype = RolType(zaaktype=zaaktype, omschrijving="Initiator", omschrijving_generiek="initiator")
        eigenschappen = {
            "vervaldatum": Eigenschap(
                zaaktype=zaaktype,
                naam="vervaldatum",
                definitie="datum",
                specificatie_formaat="datum",
                specificatie_lengte="8",
                specificatie_kardinaliteit="1",
            ),
            "kleur": Eigenschap(
                zaaktype=zaaktype,
                naam="kleur",
                definitie="kleur",
                specificatie_formaat="tekst",
                specificatie_lengte="5",
                specificatie_kardinaliteit="1",
                specificatie_waardenverzameling=["rood", "groen"],
            ),
        }
        zaakobjecttype = ZaakObjectType(
            zaaktype=zaaktype, objecttype="https://objecttypen.example/adres", relatie_omschrijving="adres"
        )
        session.add_all(
            [
                catalogus,
                zaaktype,
                *statustypen,
                *resultaattypen.values(),
                roltype,
                *eigenschappen.values(),
                zaakobjecttype,
            ]
        )
        session.flush()
        return Catalog(
            zaaktype=_url(tenant, "zaaktypen", zaaktype),
            zaaktype_uuid=zaaktype.uuid,
            statustypen=[_url(tenant, "statustypen", s) for s in statustypen],
            resultaattypen={w: _url(tenant, "resultaattypen", r) for w, r in resultaattypen.items()},
            roltype=_url(tenant, "roltypen", roltype),
            eigenschappen={n: _url(tenant, "eigenschappen", e) for n, e in eigenschappen.items()},
            zaakobjecttype=_url(tenant, "zaakobjecttypen", zaakobjecttype),
        )


@pytest.fixture
def catalog(alpha: ZgwTenant) -> Catalog:
    return make_catalog(alpha)


def zaken_client(tenant: ZgwTenant, zaaktype: str, scopes: list[str], maximum: str = "zeer_geheim") -> dict[str, str]:
    return tenant.headers_for(
        autorisaties=[
            AutorisatieSpec(
                component=COMPONENT, scopes=scopes, zaaktype=zaaktype, max_vertrouwelijkheidaanduiding=maximum
            )
        ]
    )


@dataclass
class Api:
    """Requests to one tenant's Zaken API with given headers; every response is checked against the spec."""

    tenant: ZgwTenant
    headers: dict[str, str]

    def url(self, path: str) -> str:
        return path if path.startswith("http") else f"{self.tenant.api('zaken')}{path}"

    def request(self, method: str, path: str, check: bool = True, **kwargs: Any) -> httpx.Response:
        headers = {**CRS, **self.headers, **kwargs.pop("headers", {})}
        response = self.tenant.client.request(method, self.url(path), headers=headers, **kwargs)
        if check:
            assert_conforms(response, "zaken")
        return response

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, json: Any, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, json=json, **kwargs)

    def patch(self, path: str, json: Any, **kwargs: Any) -> httpx.Response:
        return self.request("PATCH", path, json=json, **kwargs)

    def put(self, path: str, json: Any, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", path, json=json, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", path, **kwargs)

    def create_zaak(self, zaaktype: str, **fields: Any) -> dict[str, Any]:
        body = {
            "zaaktype": zaaktype,
            "bronorganisatie": RSIN,
            "verantwoordelijkeOrganisatie": RSIN,
            "startdatum": "2024-03-01",
            **fields,
        }
        response = self.post("/zaken", body)
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result


@pytest.fixture
def api(alpha: ZgwTenant) -> Api:
    return Api(alpha, alpha.superuser())
