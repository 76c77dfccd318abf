"""Statussen and resultaten: closing a zaak (zrc-007), archiving parameters (zrc-021), reopening (zrc-008),
changes to closed zaken (geforceerd-bijwerken), type checks (zrc-016, zrc-020)."""

from __future__ import annotations

from typing import Any

import pytest

from tenant_runtime.zaken.scopes import (
    SCOPE_STATUSSEN_TOEVOEGEN,
    SCOPE_ZAKEN_ALLES_LEZEN,
    SCOPE_ZAKEN_BIJWERKEN,
    SCOPE_ZAKEN_CREATE,
    SCOPE_ZAKEN_GEFORCEERD_BIJWERKEN,
    SCOPE_ZAKEN_HEROPENEN,
)
from tests.tenant_runtime.conftest import ZgwTenant
from tests.tenant_runtime.zaken.conftest import Api, Catalog, make_catalog, zaken_client


def set_status(api: Api, zaak: dict[str, Any], statustype: str, moment: str = "2024-04-10T12:00:00Z") -> Any:
    return api.post("/statussen", {"zaak": zaak["url"], "statustype": statustype, "datumStatusGezet": moment})


def set_resultaat(api: Api, zaak: dict[str, Any], resultaattype: str) -> dict[str, Any]:
    response = api.post("/resultaten", {"zaak": zaak["url"], "resultaattype": resultaattype})
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def close(
    api: Api, catalog: Catalog, zaak: dict[str, Any], wijze: str, moment: str = "2024-04-10T12:00:00Z"
) -> dict[str, Any]:
    set_resultaat(api, zaak, catalog.resultaattypen[wijze])
    response = set_status(api, zaak, catalog.statustypen[-1], moment)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = api.get(zaak["url"]).json()
    return result


def test_status_becomes_current_and_latest(api: Api, catalog: Catalog) -> None:
    zaak = api.create_zaak(catalog.zaaktype)
    first = set_status(api, zaak, catalog.statustypen[0], "2024-04-01T09:00:00Z").json()
    second = set_status(api, zaak, catalog.statustypen[1], "2024-04-02T09:00:00Z").json()
    assert api.get(zaak["url"]).json()["status"] == second["url"]
    assert api.get(first["url"]).json()["indicatieLaatstGezetteStatus"] is False
    assert api.get(second["url"]).json()["indicatieLaatstGezetteStatus"] is True
    latest = api.get("/statussen", params={"zaak": zaak["url"], "indicatieLaatstGezetteStatus": "true"}).json()
    assert [s["url"] for s in latest["results"]] == [second["url"]]
    assert api.get(zaak["url"]).json()["einddatum"] is None


def test_statustype_of_other_zaaktype_is_rejected(alpha: ZgwTenant, api: Api, catalog: Catalog) -> None:
    other = make_catalog(alpha)
    zaak = api.create_zaak(catalog.zaaktype)
    response = set_status(api, zaak, other.statustypen[0])
    assert response.status_code == 400
    assert response.json()["invalidParams"][0]["code"] == "zaaktype-mismatch"
    resultaat = api.post("/resultaten", {"zaak": zaak["url"], "resultaattype": other.resultaattypen["afgehandeld"]})
    assert resultaat.status_code == 400 and resultaat.json()["invalidParams"][0]["code"] == "zaaktype-mismatch"


def test_eindstatus_needs_resultaat(api: Api, catalog: Catalog) -> None:
    zaak = api.create_zaak(catalog.zaaktype)
    response = set_status(api, zaak, catalog.statustypen[-1])
    assert response.status_code == 400
    assert response.json()["invalidParams"][0]["code"] == "resultaat-does-not-exist"
    assert api.get(zaak["url"]).json()["status"] is None


def test_one_resultaat_per_zaak(api: Api, catalog: Catalog) -> None:
    zaak = api.create_zaak(catalog.zaaktype)
    set_resultaat(api, zaak, catalog.resultaattypen["afgehandeld"])
    again = api.post("/resultaten", {"zaak": zaak["url"], "resultaattype": catalog.resultaattypen["termijn"]})
    assert again.status_code == 400 and again.json()["invalidParams"][0]["code"] == "unique"


@pytest.mark.parametrize(
    ("wijze", "archiefactiedatum"),
    [
        ("afgehandeld", "2034-04-10"),  # einddatum + P10Y
        ("termijn", "2030-04-10"),  # einddatum + P1Y procestermijn + P5Y
        ("ander_datumkenmerk", None),  # set by hand
    ],
)
def test_closing_derives_archiving(api: Api, catalog: Catalog, wijze: str, archiefactiedatum: str | None) -> None:
    zaak = api.create_zaak(catalog.zaaktype)
    closed = close(api, catalog, zaak, wijze)
    assert closed["einddatum"] == "2024-04-10"
    assert closed["archiefnominatie"] == "vernietigen"
    assert closed["archiefactiedatum"] == archiefactiedatum


def test_archiving_from_eigenschap(api: Api, catalog: Catalog) -> None:
    zaak = api.create_zaak(catalog.zaaktype)
    response = api.post(
        f"/zaken/{zaak['uuid']}/zaakeigenschappen",
        {"zaak": zaak["url"], "eigenschap": catalog.eigenschappen["vervaldatum"], "waarde": "20250115"},
    )
    assert response.status_code == 201, response.text
    assert close(api, catalog, zaak, "eigenschap")["archiefactiedatum"] == "2026-01-15"


def test_archiving_from_hoofdzaak_and_related_zaak(api: Api, catalog: Catalog) -> None:
    hoofdzaak = api.create_zaak(catalog.zaaktype)
    close(api, catalog, hoofdzaak, "afgehandeld", "2024-02-01T10:00:00Z")
    deelzaak = api.create_zaak(catalog.zaaktype, hoofdzaak=hoofdzaak["url"])
    assert close(api, catalog, deelzaak, "hoofdzaak")["archiefactiedatum"] == "2026-02-01"
    related = api.create_zaak(
        catalog.zaaktype, relevanteAndereZaken=[{"url": hoofdzaak["url"], "aardRelatie": "vervolg"}]
    )
    assert close(api, catalog, related, "gerelateerde_zaak")["archiefactiedatum"] == "2027-02-01"


def test_archiving_from_zaakobject(api: Api, catalog: Catalog) -> None:
    zaak = api.create_zaak(catalog.zaaktype)
    adres = {
        "identificatie": "0363200000000001",
        "wplWoonplaatsNaam": "Utrecht",
        "gorOpenbareRuimteNaam": "Domplein",
        "huisnummer": 1,
        "datum": "2025-06-30",
    }
    created = api.post("/zaakobjecten", {"zaak": zaak["url"], "objectType": "adres", "objectIdentificatie": adres})
    assert created.status_code == 201, created.text
    assert close(api, catalog, zaak, "zaakobject")["archiefactiedatum"] == "2029-06-30"


def test_closed_zaak_needs_geforceerd_bijwerken_and_reopening_needs_heropenen(
    alpha: ZgwTenant, api: Api, catalog: Catalog
) -> None:
    zaak = api.create_zaak(catalog.zaaktype)
    close(api, catalog, zaak, "afgehandeld")
    worker = Api(
        alpha,
        zaken_client(
            alpha, catalog.zaaktype, [SCOPE_ZAKEN_ALLES_LEZEN, SCOPE_ZAKEN_BIJWERKEN, SCOPE_STATUSSEN_TOEVOEGEN]
        ),
    )
    assert worker.patch(zaak["url"], {"omschrijving": "te laat"}).status_code == 403
    assert worker.post("/klantcontacten", {"zaak": zaak["url"], "datumtijd": "2024-05-01T10:00:00Z"}).status_code == 403
    assert set_status(worker, zaak, catalog.statustypen[1]).status_code == 403  # reopening without heropenen
    forced = Api(
        alpha, zaken_client(alpha, catalog.zaaktype, [SCOPE_ZAKEN_ALLES_LEZEN, SCOPE_ZAKEN_GEFORCEERD_BIJWERKEN])
    )
    assert forced.patch(zaak["url"], {"omschrijving": "correctie"}).status_code == 200

    reopener = Api(alpha, zaken_client(alpha, catalog.zaaktype, [SCOPE_ZAKEN_ALLES_LEZEN, SCOPE_ZAKEN_HEROPENEN]))
    reopened = set_status(reopener, zaak, catalog.statustypen[1], "2024-05-01T10:00:00Z")
    assert reopened.status_code == 201, reopened.text
    body = api.get(zaak["url"]).json()
    assert (body["einddatum"], body["archiefactiedatum"], body["archiefnominatie"]) == (None, None, None)
    assert worker.patch(zaak["url"], {"omschrijving": "weer open"}).status_code == 200


def test_status_scopes(alpha: ZgwTenant, api: Api, catalog: Catalog) -> None:
    zaak = api.create_zaak(catalog.zaaktype)
    reader = Api(alpha, zaken_client(alpha, catalog.zaaktype, [SCOPE_ZAKEN_ALLES_LEZEN]))
    assert set_status(reader, zaak, catalog.statustypen[0]).status_code == 403
    creator = Api(alpha, zaken_client(alpha, catalog.zaaktype, [SCOPE_ZAKEN_CREATE]))
    assert set_status(creator, zaak, catalog.statustypen[0]).status_code == 201
    other = make_catalog(alpha)
    stranger = Api(alpha, zaken_client(alpha, other.zaaktype, [SCOPE_STATUSSEN_TOEVOEGEN]))
    assert set_status(stranger, zaak, catalog.statustypen[1]).status_code == 403
