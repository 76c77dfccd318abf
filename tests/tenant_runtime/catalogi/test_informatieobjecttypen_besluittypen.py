"""Informatieobjecttypen and besluittypen: create (IOT: 200 as the 1.3.1 document lists), filters, publish,
the besluittype's informatieobjecttypen by omschrijving (ztc-011b) and the publish rule for them."""

from __future__ import annotations

from typing import Any

from tests.tenant_runtime.catalogi.factories import (
    api,
    besluittype_body,
    checked,
    create,
    create_catalogus,
    iot_body,
    publish,
    publishable_zaaktype,
)
from tests.tenant_runtime.conftest import ZgwTenant
from tests.tenant_runtime.contract import assert_conforms


def _codes(response: Any) -> set[tuple[str, str]]:
    return {(p["name"], p["code"]) for p in response.json()["invalidParams"]}


def test_informatieobjecttype_lifecycle_and_filters(alpha: ZgwTenant) -> None:
    headers = alpha.superuser()
    catalogus = create_catalogus(alpha, headers)["url"]
    iot = create(alpha, headers, "informatieobjecttypen", iot_body(catalogus, trefwoord=["a"]), status=200)
    assert iot["concept"] is True
    assert iot["vertrouwelijkheidaanduiding"] == "openbaar"
    patched = checked(alpha.client.patch(iot["url"], json={"trefwoord": ["a", "b"]}, headers=headers), 200)
    assert patched["trefwoord"] == ["a", "b"]

    def listed(**params: str) -> list[str]:
        body = checked(alpha.client.get(api(alpha, "informatieobjecttypen"), params=params, headers=headers), 200)
        return [i["url"] for i in body["results"]]

    assert listed() == []
    assert listed(status="concept", omschrijving="Aanvraagformulier") == [iot["url"]]
    publish(alpha, headers, iot["url"])
    assert listed(datumGeldigheid="2024-02-01") == [iot["url"]]
    assert listed(datumGeldigheid="2023-12-31") == []
    bad = alpha.client.get(api(alpha, "informatieobjecttypen"), params={"datumGeldigheid": "gisteren"}, headers=headers)
    assert bad.status_code == 400
    assert_conforms(bad)

    # A second published version with the same omschrijving may not overlap.
    v2 = create(alpha, headers, "informatieobjecttypen", iot_body(catalogus, beginGeldigheid="2025-01-01"), status=200)
    overlap = alpha.client.post(f"{v2['url']}/publish", json={}, headers=headers)
    assert overlap.status_code == 400
    assert_conforms(overlap)
    assert _codes(overlap) == {("beginGeldigheid", "overlap")}


def test_besluittype_informatieobjecttypen_by_omschrijving(alpha: ZgwTenant) -> None:
    headers = alpha.superuser()
    catalogus = create_catalogus(alpha, headers)["url"]
    iot = create(alpha, headers, "informatieobjecttypen", iot_body(catalogus, omschrijving="Besluitbrief"), status=200)
    besluittype = create(
        alpha, headers, "besluittypen", besluittype_body(catalogus, "BT1", informatieobjecttypen=["Besluitbrief"])
    )
    assert besluittype["informatieobjecttypen"] == [iot["url"]]
    assert besluittype["vastgelegdIn"] == ["Besluitbrief"]
    iot_detail = checked(alpha.client.get(iot["url"], headers=headers), 200)
    assert iot_detail["besluittypen"] == [besluittype["url"]]

    refused = alpha.client.post(f"{besluittype['url']}/publish", json={}, headers=headers)
    assert refused.status_code == 400
    assert_conforms(refused)
    assert _codes(refused) == {("informatieobjecttypen", "concept-relation")}
    publish(alpha, headers, iot["url"])
    assert publish(alpha, headers, besluittype["url"])["concept"] is False

    listed = checked(
        alpha.client.get(api(alpha, "besluittypen"), params={"informatieobjecttypen": iot["url"]}, headers=headers),
        200,
    )
    assert [b["url"] for b in listed["results"]] == [besluittype["url"]]

    unknown = alpha.client.post(
        api(alpha, "besluittypen"),
        json=besluittype_body(catalogus, "BT2", informatieobjecttypen=["X"]),
        headers=headers,
    )
    assert unknown.status_code == 400
    assert _codes(unknown) == {("informatieobjecttypen", "does_not_exist")}


def test_besluittype_zaaktypen_and_resultaattypen(alpha: ZgwTenant) -> None:
    headers = alpha.superuser()
    catalogus = create_catalogus(alpha, headers)["url"]
    besluittype = create(alpha, headers, "besluittypen", besluittype_body(catalogus, "BT1"))
    zaaktype = publishable_zaaktype(alpha, headers, catalogus, besluittypen=["BT1"])
    detail = checked(alpha.client.get(besluittype["url"], headers=headers), 200)
    assert detail["zaaktypen"] == [zaaktype["url"]]
    listed = checked(
        alpha.client.get(
            api(alpha, "besluittypen"), params={"zaaktypen": zaaktype["url"], "status": "alles"}, headers=headers
        ),
        200,
    )
    assert [b["url"] for b in listed["results"]] == [besluittype["url"]]
    inconsistent = alpha.client.post(
        api(alpha, "besluittypen"),
        json=besluittype_body(catalogus, "BT3", publicatieIndicatie=False, publicatietekst="tekst"),
        headers=headers,
    )
    assert inconsistent.status_code == 400
