"""POST /zaken/_zoek (zaakgeometrie within a polygon, uuid__in, other filters) and expand (expand_paden.md)."""

from __future__ import annotations

from typing import Any

from tests.tenant_runtime.zaken.conftest import Api, Catalog

UTRECHT_CENTRUM = {
    "type": "Polygon",
    "coordinates": [[[5.10, 52.08], [5.14, 52.08], [5.14, 52.10], [5.10, 52.10], [5.10, 52.08]]],
}


def point(x: float, y: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [x, y]}


def test_zoek_within_polygon(api: Api, catalog: Catalog) -> None:
    inside = api.create_zaak(catalog.zaaktype, zaakgeometrie=point(5.11, 52.085))
    # Inside the bounding box of the area but outside the (triangular) area itself.
    triangle = {"type": "Polygon", "coordinates": [[[5.10, 52.08], [5.14, 52.08], [5.10, 52.10], [5.10, 52.08]]]}
    corner = api.create_zaak(catalog.zaaktype, zaakgeometrie=point(5.135, 52.098))
    outside = api.create_zaak(catalog.zaaktype, zaakgeometrie=point(4.90, 52.37))
    api.create_zaak(catalog.zaaktype)  # no geometry
    found = api.post("/zaken/_zoek", {"zaakgeometrie": {"within": UTRECHT_CENTRUM}}).json()
    assert sorted(z["url"] for z in found["results"]) == sorted([inside["url"], corner["url"]])
    assert found["count"] == 2
    in_triangle = api.post("/zaken/_zoek", {"zaakgeometrie": {"within": triangle}}).json()
    assert [z["url"] for z in in_triangle["results"]] == [inside["url"]]
    combined = api.post(
        "/zaken/_zoek",
        {"zaakgeometrie": {"within": UTRECHT_CENTRUM}, "uuid__in": [corner["uuid"], outside["uuid"]]},
    ).json()
    assert [z["url"] for z in combined["results"]] == [corner["url"]]
    bad = api.post("/zaken/_zoek", {"zaakgeometrie": {"within": {"type": "Polygon", "coordinates": "x"}}})
    assert bad.status_code == 400
    assert bad.json()["invalidParams"][0]["name"] == "zaakgeometrie.within"


def test_zoek_filters_and_invalid_geometry_on_create(api: Api, catalog: Catalog) -> None:
    a = api.create_zaak(catalog.zaaktype, identificatie="Z-A", startdatum="2024-01-01")
    api.create_zaak(catalog.zaaktype, identificatie="Z-B", startdatum="2024-06-01")
    found = api.post("/zaken/_zoek", {"startdatum__lt": "2024-03-01", "zaaktype__in": [catalog.zaaktype]}).json()
    assert [z["url"] for z in found["results"]] == [a["url"]]
    ordered = api.post("/zaken/_zoek", {"ordering": "-identificatie"}).json()
    assert [z["identificatie"] for z in ordered["results"]] == ["Z-B", "Z-A"]
    invalid = api.post(
        "/zaken",
        {
            "zaaktype": catalog.zaaktype,
            "bronorganisatie": a["bronorganisatie"],
            "verantwoordelijkeOrganisatie": a["bronorganisatie"],
            "startdatum": "2024-01-01",
            "zaakgeometrie": {"type": "Point", "coordinates": ["a"]},
        },
    )
    assert invalid.status_code == 400 and invalid.json()["invalidParams"][0]["name"] == "zaakgeometrie"


def test_expand_on_detail_list_and_zoek(api: Api, catalog: Catalog) -> None:
    hoofdzaak = api.create_zaak(catalog.zaaktype)
    deelzaak = api.create_zaak(catalog.zaaktype, hoofdzaak=hoofdzaak["url"])
    status = api.post(
        "/statussen",
        {"zaak": deelzaak["url"], "statustype": catalog.statustypen[0], "datumStatusGezet": "2024-04-01T10:00:00Z"},
    ).json()
    detail = api.get(hoofdzaak["url"], params={"expand": "zaaktype,deelzaken.status.statustype"})
    assert detail.status_code == 200, detail.text
    expanded = detail.json()["_expand"]
    assert expanded["zaaktype"]["url"] == catalog.zaaktype
    assert expanded["zaaktype"]["omschrijving"] == "Melding openbare ruimte"
    [deel] = expanded["deelzaken"]
    assert deel["url"] == deelzaak["url"]
    assert deel["_expand"]["status"]["url"] == status["url"]
    assert deel["_expand"]["status"]["_expand"]["statustype"]["url"] == catalog.statustypen[0]

    listing = api.get("/zaken", params={"expand": "hoofdzaak", "identificatie": deelzaak["identificatie"]}).json()
    assert listing["results"][0]["_expand"]["hoofdzaak"]["url"] == hoofdzaak["url"]
    zoek = api.post("/zaken/_zoek", {"expand": "status", "uuid__in": [deelzaak["uuid"]]}).json()
    assert zoek["results"][0]["_expand"]["status"]["url"] == status["url"]

    unknown_detail = api.get(hoofdzaak["url"], params={"expand": "status.onbekend"})
    assert unknown_detail.status_code == 404  # zrc-027
    unknown_list = api.get("/zaken", params={"expand": "zaakinformatieobjecten.informatieobject"})
    assert unknown_list.status_code == 400  # zrc-025: only Zaken and Catalogi resources
