"""Factories for the Besluiten API tests: catalogus types, zaken and documents as rows of a tenant's database
(the components that own them are tested on their own), clients with besluittype autorisaties, helpers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from tenant_runtime.autorisaties.admin import AutorisatieSpec
from tenant_runtime.catalogi.models import BesluitType, Catalogus, InformatieObjectType, ZaakType
from tenant_runtime.core.audit import AuditTrailEntry
from tenant_runtime.core.outbox import OutboxMessage
from tenant_runtime.documenten.models import InformatieObject
from tenant_runtime.zaken.models import Zaak
from tests.tenant_runtime.besluiten.remote import RemoteApi, remote_api
from tests.tenant_runtime.conftest import ZgwTenant
from tests.tenant_runtime.contract import assert_conforms

RSIN = "002220647"
OTHER_RSIN = "517439943"
TODAY = date.today()


@dataclass
class Catalog:
    """URLs of one tenant's catalogus: two published besluittypen (A with informatieobjecttype "brief"), a concept
    one, a zaaktype with besluittype A, a zaak of that zaaktype and documents."""

    besluittype: str
    besluittype_b: str
    besluittype_concept: str
    informatieobjecttype: str
    informatieobjecttype_other: str
    zaaktype: str
    zaak: str
    zaak_other: str
    document: str
    document_other_type: str
    document_ids: dict[str, int]


def _url(tenant: ZgwTenant, component: str, resource: str, identifier: Any) -> str:
    return f"{tenant.api(component)}/{resource}/{identifier}"


def build_catalog(tenant: ZgwTenant) -> Catalog:
    with tenant.session() as session, session.begin():
        catalogus = Catalogus(domein="BRC", rsin=RSIN, contactpersoon_beheer_naam="Beheer")
        session.add(catalogus)
        brief = InformatieObjectType(
            catalogus=catalogus,
            concept=False,
            omschrijving="brief",
            vertrouwelijkheidaanduiding="openbaar",
            informatieobjectcategorie="brief",
            datum_begin_geldigheid=date(2020, 1, 1),
        )
        nota = InformatieObjectType(
            catalogus=catalogus,
            concept=False,
            omschrijving="nota",
            vertrouwelijkheidaanduiding="openbaar",
            informatieobjectcategorie="nota",
            datum_begin_geldigheid=date(2020, 1, 1),
        )
        besluittypen = [
            BesluitType(
                catalogus=catalogus,
                concept=concept,
                omschrijving=omschrijving,
                publicatie_indicatie=False,
                datum_begin_geldigheid=date(2020, 1, 1),
                informatieobjecttype_omschrijvingen=["brief"] if omschrijving == "vergunning" else [],
            )
            for omschrijving, concept in (("vergunning", False), ("subsidie", False), ("ontwerp", True))
        ]
        zaaktypen = [
            ZaakType(
                catalogus=catalogus,
                concept=False,
                identificatie=identificatie,
                omschrijving=identificatie,
                vertrouwelijkheidaanduiding="openbaar",
                doel="doel",
                aanleiding="aanleiding",
                indicatie_intern_of_extern="extern",
                handeling_initiator="aanvragen",
                onderwerp="onderwerp",
                handeling_behandelaar="behandelen",
                doorlooptijd="P30D",
                opschorting_en_aanhouding_mogelijk=False,
                verlenging_mogelijk=False,
                publicatie_indicatie=False,
                referentieproces_naam="proces",
                verantwoordelijke="gemeente",
                versiedatum=date(2020, 1, 1),
                datum_begin_geldigheid=date(2020, 1, 1),
                besluittype_omschrijvingen=omschrijvingen,
            )
            for identificatie, omschrijvingen in (("ZT-VERGUNNING", ["vergunning"]), ("ZT-ANDERS", ["subsidie"]))
        ]
        session.add_all([brief, nota, *besluittypen, *zaaktypen])
        session.flush()
        zaken = [
            Zaak(
                identificatie=f"ZAAK-{i}",
                bronorganisatie=RSIN,
                zaaktype=zaaktype,
                registratiedatum=TODAY,
                verantwoordelijke_organisatie=RSIN,
                startdatum=TODAY,
                vertrouwelijkheidaanduiding="openbaar",
            )
            for i, zaaktype in enumerate(zaaktypen)
        ]
        documents = [
            InformatieObject(informatieobjecttype=iotype, vertrouwelijkheidaanduiding="openbaar")
            for iotype in (brief, nota)
        ]
        session.add_all([*zaken, *documents])
        session.flush()
        return Catalog(
            besluittype=_url(tenant, "catalogi", "besluittypen", besluittypen[0].uuid),
            besluittype_b=_url(tenant, "catalogi", "besluittypen", besluittypen[1].uuid),
            besluittype_concept=_url(tenant, "catalogi", "besluittypen", besluittypen[2].uuid),
            informatieobjecttype=_url(tenant, "catalogi", "informatieobjecttypen", brief.uuid),
            informatieobjecttype_other=_url(tenant, "catalogi", "informatieobjecttypen", nota.uuid),
            zaaktype=_url(tenant, "catalogi", "zaaktypen", zaaktypen[0].uuid),
            zaak=_url(tenant, "zaken", "zaken", zaken[0].uuid),
            zaak_other=_url(tenant, "zaken", "zaken", zaken[1].uuid),
            document=_url(tenant, "documenten", "enkelvoudiginformatieobjecten", documents[0].uuid),
            document_other_type=_url(tenant, "documenten", "enkelvoudiginformatieobjecten", documents[1].uuid),
            document_ids={"brief": documents[0].id, "nota": documents[1].id},
        )


@pytest.fixture
def catalog(alpha: ZgwTenant) -> Catalog:
    return build_catalog(alpha)


@pytest.fixture
def remote(alpha: ZgwTenant) -> Iterator[RemoteApi]:
    """A remote ZGW API on loopback that alpha may fetch references from."""
    with remote_api() as api:
        previous = alpha.runtime.settings.external_api_roots
        alpha.runtime.settings.external_api_roots = [api.base]
        try:
            yield api
        finally:
            alpha.runtime.settings.external_api_roots = previous


ALL_SCOPES = [
    "besluiten.lezen",
    "besluiten.aanmaken",
    "besluiten.bijwerken",
    "besluiten.verwijderen",
    "audittrails.lezen",
]


def brc_client(tenant: ZgwTenant, besluittypen: list[str], scopes: list[str] | None = None) -> dict[str, str]:
    return tenant.headers_for(
        autorisaties=[AutorisatieSpec("brc", scopes or ALL_SCOPES, besluittype=url) for url in besluittypen]
    )


def besluit_body(catalog: Catalog, **overrides: Any) -> dict[str, Any]:
    return {
        "verantwoordelijkeOrganisatie": RSIN,
        "besluittype": catalog.besluittype,
        "datum": TODAY.isoformat(),
        "ingangsdatum": TODAY.isoformat(),
        **overrides,
    }


def besluiten_url(tenant: ZgwTenant) -> str:
    return f"{tenant.api('besluiten')}/besluiten"


def bios_url(tenant: ZgwTenant) -> str:
    return f"{tenant.api('besluiten')}/besluitinformatieobjecten"


def post(tenant: ZgwTenant, url: str, body: dict[str, Any], headers: dict[str, str]) -> httpx.Response:
    response: httpx.Response = tenant.client.post(url, json=body, headers=headers)
    assert_conforms(response)
    return response


def create_besluit(tenant: ZgwTenant, catalog: Catalog, headers: dict[str, str], **overrides: Any) -> dict[str, Any]:
    response = post(tenant, besluiten_url(tenant), besluit_body(catalog, **overrides), headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def invalid_params(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 400, response.text
    return {p["name"]: p["code"] for p in response.json()["invalidParams"]}


def outbox(tenant: ZgwTenant) -> list[OutboxMessage]:
    with tenant.session() as session:
        query = select(OutboxMessage).where(OutboxMessage.kanaal == "besluiten").order_by(OutboxMessage.id)
        return list(session.scalars(query))


def audit_rows(tenant: ZgwTenant) -> list[AuditTrailEntry]:
    with tenant.session() as session:
        return list(session.scalars(select(AuditTrailEntry).order_by(AuditTrailEntry.id)))
