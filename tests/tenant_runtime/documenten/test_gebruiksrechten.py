"""Gebruiksrechten: CRUD, filters, and the document's indicatieGebruiksrecht following them (drc-006)."""

from __future__ import annotations

from tests.tenant_runtime.contract import assert_conforms
from tests.tenant_runtime.documenten.conftest import Drc


def _create(drc: Drc, document: str, start: str = "2024-01-01T00:00:00Z", **extra: object) -> dict:
    response = drc.http.post(
        f"{drc.api}/gebruiksrechten",
        json={"informatieobject": document, "startdatum": start, "omschrijvingVoorwaarden": "Intern", **extra},
        headers=drc.admin,
    )
    assert_conforms(response)
    assert response.status_code == 201, response.text
    return dict(response.json())


def _indicatie(drc: Drc, document: str) -> object:
    response = drc.http.get(document, headers=drc.admin)
    assert_conforms(response)
    return response.json()["indicatieGebruiksrecht"]


def test_indicatie_follows_gebruiksrechten(drc: Drc) -> None:
    document = drc.create(drc.admin, drc.iot())["url"]
    assert _indicatie(drc, document) is None
    first = _create(drc, document)
    assert _indicatie(drc, document) is True
    second = _create(drc, document, "2025-01-01T00:00:00Z", einddatum="2026-01-01T00:00:00Z")
    assert drc.http.delete(first["url"], headers=drc.admin).status_code == 204
    assert _indicatie(drc, document) is True
    response = drc.http.delete(second["url"], headers=drc.admin)
    assert_conforms(response)
    assert response.status_code == 204
    assert _indicatie(drc, document) is None
    assert drc.http.get(document, headers=drc.admin).json()["versie"] == 1  # no new version


def test_update_filters_and_read(drc: Drc) -> None:
    iot = drc.iot()
    document = drc.create(drc.admin, iot)["url"]
    other = drc.create(drc.admin, iot)["url"]
    recht = _create(drc, document)
    _create(drc, other, "2030-01-01T00:00:00Z")

    read = drc.http.get(recht["url"], headers=drc.admin)
    assert_conforms(read)
    assert read.json() == recht
    patched = drc.http.patch(recht["url"], json={"omschrijvingVoorwaarden": "Openbaar"}, headers=drc.admin)
    assert_conforms(patched)
    assert patched.json()["omschrijvingVoorwaarden"] == "Openbaar"
    moved = drc.http.patch(recht["url"], json={"informatieobject": other}, headers=drc.admin)
    assert_conforms(moved)
    assert {p["code"] for p in moved.json()["invalidParams"]} == {"wijzigen-niet-toegelaten"}
    put = drc.http.put(
        recht["url"],
        json={"informatieobject": document, "startdatum": "2024-02-01T00:00:00Z", "omschrijvingVoorwaarden": "X"},
        headers=drc.admin,
    )
    assert_conforms(put)
    assert put.json()["startdatum"] == "2024-02-01T00:00:00Z"

    url = f"{drc.api}/gebruiksrechten"
    assert len(drc.get(url, drc.admin).json()) == 2
    assert [r["url"] for r in drc.get(url, drc.admin, informatieobject=document).json()] == [recht["url"]]
    assert len(drc.get(url, drc.admin, startdatum__gte="2029-01-01T00:00:00Z").json()) == 1
    assert len(drc.get(url, drc.admin, startdatum__lt="2029-01-01T00:00:00Z").json()) == 1
    assert drc.get(url, drc.admin, startdatum__lt="gisteren").status_code == 400
    assert drc.get(url, drc.admin, informatieobject="geen url").status_code == 400


def test_gebruiksrechten_need_access_to_the_document(drc: Drc) -> None:
    iot = drc.iot()
    document = drc.create(drc.admin, iot, vertrouwelijkheidaanduiding="geheim")["url"]
    recht = _create(drc, document)
    reader = drc.client_for(iot, "documenten.lezen", maximum="openbaar")
    assert drc.get(f"{drc.api}/gebruiksrechten", reader).json() == []
    assert drc.http.get(recht["url"], headers=reader).status_code == 403
    creator = drc.client_for(iot, "documenten.aanmaken", maximum="openbaar")
    response = drc.http.post(
        f"{drc.api}/gebruiksrechten",
        json={"informatieobject": document, "startdatum": "2024-01-01T00:00:00Z", "omschrijvingVoorwaarden": "x"},
        headers=creator,
    )
    assert_conforms(response)
    assert response.status_code == 403
