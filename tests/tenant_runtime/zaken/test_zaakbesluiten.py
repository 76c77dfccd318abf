"""Zaakbesluiten: kept in step with local besluiten (links.py), the consistency rules of POST/DELETE, a zaak with
besluiten cannot be destroyed, and archiving from besluit dates (ingangsdatum_besluit, vervaldatum_besluit)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from tenant_runtime.besluiten.models import Besluit
from tenant_runtime.catalogi.models import BesluitType, ZaakType
from tenant_runtime.zaken import links
from tenant_runtime.zaken.models import Zaak
from tests.tenant_runtime.conftest import ZgwTenant
from tests.tenant_runtime.zaken.conftest import RSIN, Api, Catalog
from tests.tenant_runtime.zaken.test_statussen import close


def make_besluit(
    tenant: ZgwTenant, catalog: Catalog, zaak: dict[str, Any], ingangsdatum: date, vervaldatum: date | None = None
) -> str:
    """A besluit of this tenant in the zaak, registered the way the Besluiten service does (links.link_besluit)."""
    with tenant.session() as session, session.begin():
        zaaktype = session.scalar(select(ZaakType).where(ZaakType.uuid == catalog.zaaktype_uuid))
        zaak_row = session.scalar(select(Zaak).where(Zaak.uuid == zaak["uuid"]))
        assert zaaktype is not None and zaak_row is not None
        besluittype = BesluitType(
            catalogus_id=zaaktype.catalogus_id,
            concept=False,
            omschrijving="Vergunning",
            publicatie_indicatie=False,
            datum_begin_geldigheid=date(2024, 1, 1),
        )
        besluit = Besluit(
            identificatie=f"B-{ingangsdatum.isoformat()}",
            verantwoordelijke_organisatie=RSIN,
            besluittype=besluittype,
            zaak_id=zaak_row.id,
            datum=ingangsdatum,
            ingangsdatum=ingangsdatum,
            vervaldatum=vervaldatum,
        )
        session.add_all([besluittype, besluit])
        session.flush()
        links.link_besluit(session, zaak_row, besluit)
        return f"{tenant.api('besluiten')}/besluiten/{besluit.uuid}"


def test_local_besluit_is_listed_and_relation_rules(alpha: ZgwTenant, api: Api, catalog: Catalog) -> None:
    zaak = api.create_zaak(catalog.zaaktype)
    besluit = make_besluit(alpha, catalog, zaak, date(2024, 5, 1))
    listed = api.get(f"/zaken/{zaak['uuid']}/besluiten")
    assert listed.status_code == 200
    [zaakbesluit] = listed.json()
    assert zaakbesluit["besluit"] == besluit
    assert api.get(zaakbesluit["url"]).json() == zaakbesluit
    # Registering again is idempotent for a local besluit of this zaak; another zaak is inconsistent.
    assert api.post(f"/zaken/{zaak['uuid']}/besluiten", {"besluit": besluit}).json()["url"] == zaakbesluit["url"]
    other = api.create_zaak(catalog.zaaktype)
    wrong = api.post(f"/zaken/{other['uuid']}/besluiten", {"besluit": besluit})
    assert wrong.status_code == 400 and wrong.json()["invalidParams"][0]["code"] == "inconsistent-relation"
    # While the besluit points to the zaak the relation stays, and the zaak cannot be destroyed.
    assert api.delete(zaakbesluit["url"]).status_code == 409
    assert api.delete(zaak["url"]).status_code == 409
    with alpha.session() as session, session.begin():
        row = session.scalar(select(Besluit))
        assert row is not None
        links.unlink_besluit(session, row)
        row.zaak_id = None
    assert api.get(f"/zaken/{zaak['uuid']}/besluiten").json() == []
    assert api.delete(zaak["url"]).status_code == 204


def test_archiving_from_besluit_dates(alpha: ZgwTenant, api: Api, catalog: Catalog) -> None:
    zaak = api.create_zaak(catalog.zaaktype)
    make_besluit(alpha, catalog, zaak, date(2024, 3, 1), vervaldatum=date(2025, 3, 1))
    assert close(api, catalog, zaak, "ingangsdatum_besluit")["archiefactiedatum"] == "2030-03-01"
    other = api.create_zaak(catalog.zaaktype)
    make_besluit(alpha, catalog, other, date(2024, 3, 2), vervaldatum=date(2025, 3, 2))
    assert close(api, catalog, other, "vervaldatum_besluit")["archiefactiedatum"] == "2032-03-02"
