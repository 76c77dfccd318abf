"""The expand parameter of the Documenten API: documents expand their informatieobjecttype, gebruiksrechten,
verzendingen and objectinformatieobjecten expand their informatieobject (and its type); unknown paths are refused
(400 on a list, 404 on a detail); a document the client may not read is not expanded."""

from __future__ import annotations

from typing import Any

from tests.tenant_runtime.contract import assert_conforms
from tests.tenant_runtime.documenten.conftest import Drc


def _get(drc: Drc, url: str, headers: dict[str, str], **params: Any) -> Any:
    response = drc.get(url, headers, **params)
    assert_conforms(response)
    assert response.status_code == 200, response.text
    return response.json()


def test_document_expands_its_informatieobjecttype(drc: Drc) -> None:
    iot = drc.iot()
    document = drc.create(drc.admin, iot)
    type_document = drc.http.get(iot, headers=drc.admin).json()

    detail = _get(drc, document["url"], drc.admin, expand="informatieobjecttype")
    assert detail["_expand"] == {"informatieobjecttype": type_document}
    assert "_expand" not in _get(drc, document["url"], drc.admin)
    listed = _get(drc, f"{drc.api}/enkelvoudiginformatieobjecten", drc.admin, expand="informatieobjecttype")
    assert [d["_expand"]["informatieobjecttype"]["url"] for d in listed["results"]] == [iot]


def test_related_resources_expand_their_document_and_its_type(drc: Drc) -> None:
    iot = drc.iot()
    document = drc.create(drc.admin, iot)
    recht = drc.http.post(
        f"{drc.api}/gebruiksrechten",
        json={
            "informatieobject": document["url"],
            "startdatum": "2024-01-01T00:00:00Z",
            "omschrijvingVoorwaarden": "-",
        },
        headers=drc.admin,
    ).json()
    verzending = drc.http.post(
        f"{drc.api}/verzendingen",
        json={
            "betrokkene": "https://example.com/betrokkene/1",
            "informatieobject": document["url"],
            "aardRelatie": "geadresseerde",
            "contactPersoon": "https://example.com/persoon/1",
            "contactpersoonnaam": "J. Jansen",
            "binnenlandsCorrespondentieadres": {
                "huisnummer": 1,
                "naamOpenbareRuimte": "Stationsplein",
                "woonplaatsnaam": "Utrecht",
            },
        },
        headers=drc.admin,
    )
    assert verzending.status_code == 201, verzending.text
    current = _get(drc, document["url"], drc.admin)  # indicatieGebruiksrecht changed with the gebruiksrecht

    for url in (recht["url"], verzending.json()["url"]):
        expanded = _get(drc, url, drc.admin, expand="informatieobject")["_expand"]
        assert expanded == {"informatieobject": current}
        deep = _get(drc, url, drc.admin, expand="informatieobject.informatieobjecttype")["_expand"]
        assert deep["informatieobject"]["_expand"]["informatieobjecttype"]["url"] == iot
    listed = _get(drc, f"{drc.api}/gebruiksrechten", drc.admin, expand="informatieobject")
    assert [r["_expand"]["informatieobject"]["url"] for r in listed] == [document["url"]]
    verzendingen = _get(drc, f"{drc.api}/verzendingen", drc.admin, expand="informatieobject")["results"]
    assert [v["_expand"]["informatieobject"]["url"] for v in verzendingen] == [document["url"]]


def test_unknown_expand_paths_are_refused(drc: Drc) -> None:
    iot = drc.iot()
    document = drc.create(drc.admin, iot)
    listed = drc.get(f"{drc.api}/enkelvoudiginformatieobjecten", drc.admin, expand="zaaktype")
    assert_conforms(listed)
    assert listed.status_code == 400
    assert listed.json()["invalidParams"][0]["name"] == "expand"
    detail = drc.get(document["url"], drc.admin, expand="informatieobject")
    assert detail.status_code == 404
    assert drc.get(f"{drc.api}/gebruiksrechten", drc.admin, expand="informatieobjecttype").status_code == 400
