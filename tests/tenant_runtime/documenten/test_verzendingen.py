"""Verzendingen: all fields, exactly one address, one afzender per document, filters and pagination."""

from __future__ import annotations

from typing import Any

from tests.tenant_runtime.contract import assert_conforms
from tests.tenant_runtime.documenten.conftest import Drc

BETROKKENE = "https://klanten.example/api/v1/klanten/1"
CONTACT = "https://medewerkers.example/api/v1/medewerkers/7"


def _body(document: str, **extra: Any) -> dict[str, Any]:
    return {
        "betrokkene": BETROKKENE,
        "informatieobject": document,
        "aardRelatie": "geadresseerde",
        "contactPersoon": CONTACT,
        **extra,
    }


def _codes(response_json: dict) -> dict[str, str]:
    return {p["name"]: p["code"] for p in response_json.get("invalidParams", [])}


def test_create_read_update_delete(drc: Drc) -> None:
    document = drc.create(drc.admin, drc.iot())["url"]
    adres = {
        "huisletter": "A",
        "huisnummer": 12,
        "huisnummerToevoeging": "bis",
        "naamOpenbareRuimte": "Markt",
        "postcode": "1234AB",
        "woonplaatsnaam": "Utrecht",
    }
    response = drc.http.post(
        f"{drc.api}/verzendingen",
        json=_body(
            document,
            toelichting="Besluit",
            verzenddatum="2024-05-03",
            contactpersoonnaam="J. Jansen",
            binnenlandsCorrespondentieadres=adres,
        ),
        headers=drc.admin,
    )
    assert_conforms(response)
    assert response.status_code == 201, response.text
    verzending = response.json()
    assert verzending["binnenlandsCorrespondentieadres"] == adres
    assert verzending["verzenddatum"] == "2024-05-03"
    assert verzending["mijnOverheid"] is False
    read = drc.http.get(verzending["url"], headers=drc.admin)
    assert_conforms(read)
    assert read.json() == verzending

    patched = drc.http.patch(
        verzending["url"],
        json={"binnenlandsCorrespondentieadres": None, "emailadres": "j@example.nl"},
        headers=drc.admin,
    )
    assert_conforms(patched)
    assert patched.status_code == 200, patched.text
    assert patched.json()["emailadres"] == "j@example.nl"
    assert patched.json()["binnenlandsCorrespondentieadres"] is None

    put = drc.http.put(
        verzending["url"],
        json=_body(
            document,
            correspondentiePostadres={
                "postBusOfAntwoordnummer": 12,
                "postadresPostcode": "1234AB",
                "postadresType": "postbusnummer",
                "woonplaatsnaam": "Utrecht",
            },
        ),
        headers=drc.admin,
    )
    assert_conforms(put)
    assert put.json()["emailadres"] is None
    assert put.json()["correspondentiePostadres"]["postadresType"] == "postbusnummer"

    deleted = drc.http.delete(verzending["url"], headers=drc.admin)
    assert_conforms(deleted)
    assert deleted.status_code == 204
    assert drc.http.get(verzending["url"], headers=drc.admin).status_code == 404


def test_exactly_one_address(drc: Drc) -> None:
    document = drc.create(drc.admin, drc.iot())["url"]
    url = f"{drc.api}/verzendingen"
    none = drc.http.post(url, json=_body(document), headers=drc.admin)
    assert_conforms(none)
    assert _codes(none.json()) == {"nonFieldErrors": "invalid-address"}
    two = drc.http.post(url, json=_body(document, emailadres="a@b.nl", mijnOverheid=True), headers=drc.admin)
    assert _codes(two.json()) == {"nonFieldErrors": "invalid-address"}
    bad_mail = drc.http.post(url, json=_body(document, emailadres="geen-mail"), headers=drc.admin)
    assert _codes(bad_mail.json()) == {"emailadres": "invalid"}
    assert drc.http.post(url, json=_body(document, mijnOverheid=True), headers=drc.admin).status_code == 201


def test_one_afzender_and_filters(drc: Drc) -> None:
    iot = drc.iot()
    document = drc.create(drc.admin, iot)["url"]
    other = drc.create(drc.admin, iot)["url"]
    url = f"{drc.api}/verzendingen"
    afzender = _body(document, aardRelatie="afzender", telefoonnummer="0301234567")
    assert drc.http.post(url, json=afzender, headers=drc.admin).status_code == 201
    second = drc.http.post(url, json=afzender, headers=drc.admin)
    assert_conforms(second)
    assert _codes(second.json()) == {"aardRelatie": "unique"}
    drc.http.post(url, json=_body(document, faxnummer="0301234567"), headers=drc.admin)
    drc.http.post(url, json=_body(other, faxnummer="0301234567", betrokkene=BETROKKENE + "0"), headers=drc.admin)

    everything = drc.get(url, drc.admin).json()
    assert everything["count"] == 3
    assert drc.get(url, drc.admin, aardRelatie="afzender").json()["count"] == 1
    assert drc.get(url, drc.admin, informatieobject=other).json()["count"] == 1
    assert drc.get(url, drc.admin, betrokkene=BETROKKENE).json()["count"] == 2
    assert drc.get(url, drc.admin, aardRelatie="iets").status_code == 400
    reader = drc.client_for(drc.iot(), "documenten.lezen")
    assert drc.get(url, reader).json()["count"] == 0
