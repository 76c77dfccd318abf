"""zrc-006: scopes per operation, zaaktype autorisaties and the maximum vertrouwelijkheidaanduiding, on lists
(filtered in SQL, counts included), details (403) and writes."""

from __future__ import annotations

import uuid

from tenant_runtime.zaken.scopes import (
    SCOPE_AUDITTRAILS_LEZEN,
    SCOPE_ZAKEN_ALLES_LEZEN,
    SCOPE_ZAKEN_ALLES_VERWIJDEREN,
    SCOPE_ZAKEN_BIJWERKEN,
    SCOPE_ZAKEN_CREATE,
)
from tests.tenant_runtime.conftest import ZgwTenant
from tests.tenant_runtime.zaken.conftest import RSIN, Api, Catalog, make_catalog, zaken_client


def test_list_and_detail_follow_zaaktype_and_vertrouwelijkheid(alpha: ZgwTenant, api: Api, catalog: Catalog) -> None:
    other = make_catalog(alpha)
    open_zaak = api.create_zaak(catalog.zaaktype, vertrouwelijkheidaanduiding="openbaar")
    secret = api.create_zaak(catalog.zaaktype, vertrouwelijkheidaanduiding="geheim")
    foreign = api.create_zaak(other.zaaktype)
    reader = Api(alpha, zaken_client(alpha, catalog.zaaktype, [SCOPE_ZAKEN_ALLES_LEZEN], maximum="zaakvertrouwelijk"))
    listing = reader.get("/zaken").json()
    assert listing["count"] == 1
    assert [z["url"] for z in listing["results"]] == [open_zaak["url"]]
    assert reader.get(open_zaak["url"]).status_code == 200
    assert reader.get(secret["url"]).status_code == 403
    assert reader.get(foreign["url"]).status_code == 403
    # _zoek and the sub-resource lists are limited the same way.
    assert reader.post("/zaken/_zoek", {}).json()["count"] == 1
    api.post("/rollen", _rol(catalog, secret))
    api.post("/rollen", _rol(catalog, open_zaak))
    rollen = reader.get("/rollen").json()
    assert [r["zaak"] for r in rollen["results"]] == [open_zaak["url"]]


def test_maximale_vertrouwelijkheidaanduiding_filter(api: Api, catalog: Catalog) -> None:
    api.create_zaak(catalog.zaaktype, vertrouwelijkheidaanduiding="openbaar")
    api.create_zaak(catalog.zaaktype, vertrouwelijkheidaanduiding="vertrouwelijk")
    api.create_zaak(catalog.zaaktype, vertrouwelijkheidaanduiding="geheim")
    found = api.get("/zaken", params={"maximaleVertrouwelijkheidaanduiding": "vertrouwelijk"}).json()
    assert sorted(z["vertrouwelijkheidaanduiding"] for z in found["results"]) == ["openbaar", "vertrouwelijk"]


def test_scopes_per_operation(alpha: ZgwTenant, api: Api, catalog: Catalog) -> None:
    body = {
        "zaaktype": catalog.zaaktype,
        "bronorganisatie": RSIN,
        "verantwoordelijkeOrganisatie": RSIN,
        "startdatum": "2024-01-01",
    }
    reader = Api(alpha, zaken_client(alpha, catalog.zaaktype, [SCOPE_ZAKEN_ALLES_LEZEN]))
    assert reader.post("/zaken", body).status_code == 403
    creator = Api(alpha, zaken_client(alpha, catalog.zaaktype, [SCOPE_ZAKEN_CREATE], maximum="openbaar"))
    created = creator.post("/zaken", body)
    assert created.status_code == 201
    # Creating above the maximum vertrouwelijkheid of the autorisatie is refused.
    assert creator.post("/zaken", {**body, "vertrouwelijkheidaanduiding": "geheim"}).status_code == 403
    zaak = created.json()
    assert reader.patch(zaak["url"], {"omschrijving": "x"}).status_code == 403
    assert reader.delete(zaak["url"]).status_code == 403
    updater = Api(alpha, zaken_client(alpha, catalog.zaaktype, [SCOPE_ZAKEN_BIJWERKEN], maximum="openbaar"))
    assert updater.patch(zaak["url"], {"omschrijving": "x"}).status_code == 200
    # Raising the vertrouwelijkheid beyond what the client may handle is refused.
    assert updater.patch(zaak["url"], {"vertrouwelijkheidaanduiding": "geheim"}).status_code == 403
    assert reader.get(f"/zaken/{zaak['uuid']}/audittrail").status_code == 403
    auditor = Api(alpha, zaken_client(alpha, catalog.zaaktype, [SCOPE_AUDITTRAILS_LEZEN]))
    assert auditor.get(f"/zaken/{zaak['uuid']}/audittrail").status_code == 200
    deleter = Api(alpha, zaken_client(alpha, catalog.zaaktype, [SCOPE_ZAKEN_ALLES_VERWIJDEREN]))
    assert deleter.delete(zaak["url"]).status_code == 204


def test_zaaktype_must_exist_and_be_published(alpha: ZgwTenant, api: Api) -> None:
    concept = make_catalog(alpha, concept=True)
    body = {"bronorganisatie": RSIN, "verantwoordelijkeOrganisatie": RSIN, "startdatum": "2024-01-01"}
    response = api.post("/zaken", {**body, "zaaktype": concept.zaaktype})
    assert response.status_code == 400 and response.json()["invalidParams"][0]["code"] == "not-published"
    missing = api.post("/zaken", {**body, "zaaktype": f"{alpha.api('catalogi')}/zaaktypen/{uuid.uuid4()}"})
    assert missing.status_code == 400 and missing.json()["invalidParams"][0]["name"] == "zaaktype"
    required = api.post("/zaken", {"zaaktype": concept.zaaktype})
    assert required.status_code == 400
    assert {p["name"] for p in required.json()["invalidParams"]} == {
        "bronorganisatie",
        "verantwoordelijkeOrganisatie",
        "startdatum",
    }


def _rol(catalog: Catalog, zaak: dict[str, str]) -> dict[str, object]:
    return {
        "zaak": zaak["url"],
        "betrokkeneType": "natuurlijk_persoon",
        "roltype": catalog.roltype,
        "roltoelichting": "melder",
        "betrokkeneIdentificatie": {"inpBsn": "111222333"},
    }
