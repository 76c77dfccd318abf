"""Objectinformatieobjecten to objects outside this tenant (drc-002, drc-003, drc-004), deleting a document
with relations (drc-008), and the derived OIOs of this tenant's own zaken."""

from __future__ import annotations

import pytest

from tests.tenant_runtime.contract import assert_conforms
from tests.tenant_runtime.documenten.conftest import Drc
from tests.tenant_runtime.documenten.remote_zaken import RemoteZaken, remote_zaken


def _codes(response_json: dict) -> dict[str, str]:
    return {p["name"]: p["code"] for p in response_json.get("invalidParams", [])}


@pytest.fixture
def remote(drc: Drc) -> RemoteZaken:
    with remote_zaken() as zaken:
        drc.settings.external_api_roots = [zaken.root]
        yield zaken  # type: ignore[misc]


def _post(drc: Drc, document: str, zaak: str, headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    response = drc.http.post(
        f"{drc.api}/objectinformatieobjecten",
        json={"informatieobject": document, "object": zaak, "objectType": "zaak"},
        headers=headers or drc.admin,
    )
    assert_conforms(response)
    return response


def test_remote_relation_lifecycle(drc: Drc, remote: RemoteZaken) -> None:
    document = drc.create(drc.admin, drc.iot())["url"]
    zaak = remote.zaak()

    missing = _post(drc, document, zaak)  # drc-004: the Zaken API does not know the relation yet
    assert _codes(missing.json()) == {"nonFieldErrors": "inconsistent-relation"}

    remote.relations.add((zaak, document))
    created = _post(drc, document, zaak)
    assert created.status_code == 201, created.text
    oio = created.json()
    assert oio["object"] == zaak
    assert oio["objectType"] == "zaak"
    assert oio["informatieobject"] == document

    duplicate = _post(drc, document, zaak)  # drc-003
    assert _codes(duplicate.json()) == {"nonFieldErrors": "unique"}

    unknown = _post(drc, document, remote.root + "zaken/00000000-0000-4000-8000-000000000000")  # drc-002
    assert _codes(unknown.json()) == {"object": "bad-url"}
    elsewhere = _post(drc, document, "https://elders.example/zaken/api/v1/zaken/1")
    assert _codes(elsewhere.json()) == {"object": "bad-url"}

    listed = drc.http.get(f"{drc.api}/objectinformatieobjecten", params={"object": zaak}, headers=drc.admin)
    assert_conforms(listed)
    assert listed.json() == [oio]
    by_document = drc.http.get(
        f"{drc.api}/objectinformatieobjecten", params={"informatieobject": document}, headers=drc.admin
    )
    assert by_document.json() == [oio]
    read = drc.http.get(oio["url"], headers=drc.admin)
    assert_conforms(read)
    assert read.json() == oio

    # drc-008: a document with relations cannot be deleted
    refused = drc.http.delete(document, headers=drc.admin)
    assert_conforms(refused)
    assert refused.status_code == 409
    assert _codes(refused.json()) == {"nonFieldErrors": "pending-relations"}

    # the relation is removed in its source first, then here
    still = drc.http.delete(oio["url"], headers=drc.admin)
    assert_conforms(still)
    assert still.status_code == 409
    assert _codes(still.json()) == {"nonFieldErrors": "remote-relation-exists"}
    remote.relations.clear()
    deleted = drc.http.delete(oio["url"], headers=drc.admin)
    assert_conforms(deleted)
    assert deleted.status_code == 204
    assert drc.http.delete(document, headers=drc.admin).status_code == 204


def test_relations_follow_document_autorisaties(drc: Drc, remote: RemoteZaken) -> None:
    iot, other = drc.iot(), drc.iot()
    visible = drc.create(drc.admin, iot)["url"]
    hidden = drc.create(drc.admin, other)["url"]
    zaak = remote.zaak()
    remote.relations |= {(zaak, visible), (zaak, hidden)}
    assert _post(drc, visible, zaak).status_code == 201
    hidden_oio = _post(drc, hidden, zaak).json()
    reader = drc.client_for(iot, "documenten.lezen")
    listed = drc.http.get(f"{drc.api}/objectinformatieobjecten", headers=reader)
    assert_conforms(listed)
    assert [o["informatieobject"] for o in listed.json()] == [visible]
    assert drc.http.get(hidden_oio["url"], headers=reader).status_code == 403
    creator = drc.client_for(iot, "documenten.aanmaken")
    assert _post(drc, hidden, zaak, creator).status_code == 403


def test_local_zaak_relation_is_derived_not_stored(drc: Drc) -> None:
    document = drc.create(drc.admin, drc.iot())["url"]
    zaak = f"{drc.alpha.api('zaken')}/zaken/00000000-0000-4000-8000-000000000000"
    response = _post(drc, document, zaak)
    assert response.status_code == 400
    # without a ZaakInformatieObject in this tenant there is no relation, and none can be stored here
    assert _codes(response.json()) in ({"object": "bad-url"}, {"nonFieldErrors": "inconsistent-relation"})
    listed = drc.http.get(f"{drc.api}/objectinformatieobjecten", headers=drc.admin)
    assert listed.json() == []
