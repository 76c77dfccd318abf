"""A zaak holds several local documents and besluiten (the uniqueness of external relations, zrc0004, does not
cover the local ones), while the same document or external URL twice is still refused."""

from __future__ import annotations

from tests.tenant_runtime.besluiten.conftest import build_catalog, create_besluit
from tests.tenant_runtime.conftest import ZgwTenant
from tests.tenant_runtime.zaken.conftest import Api, Catalog
from tests.tenant_runtime.zaken.test_relaties import make_document


def test_a_zaak_has_several_local_documents(alpha: ZgwTenant, api: Api, catalog: Catalog) -> None:
    zaak = api.create_zaak(catalog.zaaktype)
    documents = [make_document(alpha, catalog), make_document(alpha, catalog, omschrijving="Brief")]
    for document in documents:
        created = api.post("/zaakinformatieobjecten", {"zaak": zaak["url"], "informatieobject": document})
        assert created.status_code == 201, created.text
    again = api.post("/zaakinformatieobjecten", {"zaak": zaak["url"], "informatieobject": documents[0]})
    assert again.status_code == 400 and again.json()["invalidParams"][0]["code"] == "unique"
    listed = api.get("/zaakinformatieobjecten", params={"zaak": zaak["url"]}).json()
    assert len(listed) == 2


def test_a_zaak_has_several_local_besluiten(alpha: ZgwTenant) -> None:
    catalog = build_catalog(alpha)
    headers = alpha.superuser()
    besluiten = [create_besluit(alpha, catalog, headers, zaak=catalog.zaak)["url"] for _ in range(2)]
    api = Api(alpha, headers)
    linked = api.get(f"{catalog.zaak}/besluiten").json()
    assert sorted(z["besluit"] for z in linked) == sorted(besluiten)
    # Registering one again in the Zaken API answers the existing relation.
    again = api.post(f"{catalog.zaak}/besluiten", {"besluit": besluiten[0]})
    assert again.status_code == 201, again.text
    assert len(api.get(f"{catalog.zaak}/besluiten").json()) == 2
