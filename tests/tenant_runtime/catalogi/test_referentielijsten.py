"""The Referentielijsten API 0.6.0 read endpoints, served without authentication from the shipped data."""

from __future__ import annotations

from tests.tenant_runtime.catalogi.factories import PROCESTYPE_1, RESULTAAT_1_1
from tests.tenant_runtime.conftest import ZgwTenant
from tests.tenant_runtime.contract import assert_conforms


def test_procestypen_resultaten_and_omschrijvingen(alpha: ZgwTenant) -> None:
    root = alpha.api("referentielijsten")
    procestypen = alpha.client.get(f"{root}/procestypen")
    assert procestypen.status_code == 200
    assert_conforms(procestypen)
    assert len(procestypen.json()) == 29
    assert alpha.client.get(f"{root}/procestypen", params={"jaar": "1999"}).json() == []

    procestype_url = f"{root}/procestypen/{PROCESTYPE_1}"
    detail = alpha.client.get(procestype_url)
    assert_conforms(detail)
    assert detail.json()["url"] == procestype_url

    page = alpha.client.get(f"{root}/resultaten")
    assert_conforms(page)
    assert page.json()["count"] == 346
    assert page.json()["next"] == f"{root}/resultaten?page=2"
    last = alpha.client.get(f"{root}/resultaten", params={"page": 4})
    assert_conforms(last)
    assert last.json()["next"] is None
    assert alpha.client.get(f"{root}/resultaten", params={"page": 5}).status_code == 404

    filtered = alpha.client.get(f"{root}/resultaten", params={"proces_type": procestype_url})
    assert_conforms(filtered)
    assert filtered.json()["count"] == 8
    assert all(r["procesType"] == procestype_url for r in filtered.json()["results"])

    resultaat = alpha.client.get(f"{root}/resultaten/{RESULTAAT_1_1}")
    assert_conforms(resultaat)
    assert resultaat.json()["waardering"] == "vernietigen"

    omschrijvingen = alpha.client.get(f"{root}/resultaattypeomschrijvingen")
    assert_conforms(omschrijvingen)
    assert {o["omschrijving"] for o in omschrijvingen.json()} == {"Afgewezen", "Ingetrokken", "Toegekend"}
    missing = alpha.client.get(f"{root}/resultaten/00000000-0000-4000-8000-000000000000")
    assert missing.status_code == 404
    assert_conforms(missing)
