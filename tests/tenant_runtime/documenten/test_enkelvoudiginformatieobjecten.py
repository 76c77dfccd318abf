"""Enkelvoudiginformatieobjecten: create with base64 inhoud, read, list and filters, versions, lock and update,
download, _zoek, ETag/HEAD, validation rules (drc-001, drc-005, drc-007, drc-009) and the audit trail."""

from __future__ import annotations

import hashlib
import os
import time

from tenant_runtime.core.outbox import OutboxMessage
from tests.tenant_runtime.contract import assert_conforms
from tests.tenant_runtime.documenten.conftest import RSIN, Drc


def _params(response_json: dict) -> dict[str, str]:
    return {p["name"]: p["code"] for p in response_json.get("invalidParams", [])}


def test_create_with_inhoud_and_read_back(drc: Drc) -> None:
    iot = drc.iot(vertrouwelijkheid="zaakvertrouwelijk")
    content = os.urandom(200_000)
    created = drc.create(drc.admin, iot, content, bestandsnaam="brief.pdf", trefwoorden=["a", "b"])
    assert created["versie"] == 1
    assert created["bestandsomvang"] == len(content)
    assert created["vertrouwelijkheidaanduiding"] == "zaakvertrouwelijk"  # drc-007: from the type
    assert created["locked"] is False
    assert created["bestandsdelen"] == []
    assert created["identificatie"].startswith("DOCUMENT-")
    assert created["inhoud"] == f"{created['url']}/download?versie=1"
    assert created["informatieobjecttype"] == iot

    read = drc.get(created["url"], drc.admin)
    assert read.status_code == 200
    assert read.json() == created
    assert read.headers["ETag"]

    download = drc.http.get(created["inhoud"], headers=drc.admin)
    assert_conforms(download)
    assert download.status_code == 200
    assert download.content == content
    assert download.headers["content-type"] == "application/octet-stream"

    with drc.alpha.session() as session:
        from tenant_runtime.documenten.models import InformatieObjectVersie

        versie = session.query(InformatieObjectVersie).one()
        assert versie.content_sha256 == hashlib.sha256(content).hexdigest()


def test_explicit_vertrouwelijkheid_wins(drc: Drc) -> None:
    created = drc.create(drc.admin, drc.iot(), vertrouwelijkheidaanduiding="geheim")
    assert created["vertrouwelijkheidaanduiding"] == "geheim"


def test_etag_and_head(drc: Drc) -> None:
    created = drc.create(drc.admin, drc.iot())
    first = drc.get(created["url"], drc.admin)
    etag = first.headers["ETag"]
    cached = drc.http.get(created["url"], headers={**drc.admin, "If-None-Match": etag})
    assert cached.status_code == 304
    # HEAD: the headers of the GET without a body (HTTP has no body for HEAD, so openapi-core cannot check it).
    head = drc.http.head(created["url"], headers=drc.admin)
    assert head.status_code == 200
    assert head.headers["ETag"] == etag
    assert head.content == b""
    other = drc.http.get(created["url"], headers={**drc.admin, "If-None-Match": '"other"'})
    assert other.status_code == 200


def test_informatieobjecttype_must_exist_and_be_published(drc: Drc) -> None:  # drc-001
    url = f"{drc.api}/enkelvoudiginformatieobjecten"
    concept = drc.iot(concept=True)
    response = drc.http.post(url, json=drc.body(concept, b"x"), headers=drc.admin)
    assert_conforms(response)
    assert response.status_code == 400
    assert _params(response.json()) == {"informatieobjecttype": "not-published"}

    missing = concept.rsplit("/", 1)[0] + "/00000000-0000-4000-8000-000000000000"
    response = drc.http.post(url, json=drc.body(missing, b"x"), headers=drc.admin)
    assert_conforms(response)
    assert _params(response.json()) == {"informatieobjecttype": "bad-url"}

    response = drc.http.post(url, json=drc.body("https://elders.example/iot/1", b"x"), headers=drc.admin)
    assert_conforms(response)
    assert _params(response.json()) == {"informatieobjecttype": "bad-url"}


def test_validation_errors_are_400_with_codes(drc: Drc) -> None:
    url = f"{drc.api}/enkelvoudiginformatieobjecten"
    iot = drc.iot()
    response = drc.http.post(url, json={"titel": ""}, headers=drc.admin)
    assert_conforms(response)
    codes = _params(response.json())
    assert codes["bronorganisatie"] == "required"
    assert codes["titel"] == "min_length"
    response = drc.http.post(url, json=drc.body(iot, bronorganisatie="123456789"), headers=drc.admin)
    assert _params(response.json()) == {"bronorganisatie": "invalid"}
    response = drc.http.post(url, json={**drc.body(iot), "inhoud": "not base64!"}, headers=drc.admin)
    assert_conforms(response)
    assert _params(response.json()) == {"inhoud": "invalid"}
    response = drc.http.post(url, content=b'{"titel": ', headers={**drc.admin, "Content-Type": "application/json"})
    assert_conforms(response)
    assert response.status_code == 400
    response = drc.http.post(url, content=b"x", headers={**drc.admin, "Content-Type": "text/plain"})
    assert_conforms(response)
    assert response.status_code == 415


def test_received_document_cannot_be_in_bewerking(drc: Drc) -> None:  # drc-005
    url = f"{drc.api}/enkelvoudiginformatieobjecten"
    body = drc.body(drc.iot(), b"x", ontvangstdatum="2024-05-02", status="in_bewerking")
    response = drc.http.post(url, json=body, headers=drc.admin)
    assert_conforms(response)
    assert _params(response.json()) == {"status": "invalid_for_received"}
    body["status"] = "definitief"
    assert drc.http.post(url, json=body, headers=drc.admin).status_code == 201


def test_identificatie_unique_per_bronorganisatie(drc: Drc) -> None:
    iot = drc.iot()
    drc.create(drc.admin, iot, identificatie="DOC-1")
    response = drc.http.post(
        f"{drc.api}/enkelvoudiginformatieobjecten", json=drc.body(iot, identificatie="DOC-1"), headers=drc.admin
    )
    assert_conforms(response)
    assert _params(response.json()) == {"identificatie": "identificatie-niet-uniek"}
    drc.create(drc.admin, iot, identificatie="DOC-1", bronorganisatie="517439943")


def test_update_requires_lock_and_creates_versions(drc: Drc) -> None:  # drc-009, drc-010
    iot = drc.iot()
    created = drc.create(drc.admin, iot, b"versie een")
    url = created["url"]

    unlocked = drc.http.patch(url, json={"titel": "Nieuw", "lock": "x"}, headers=drc.admin)
    assert_conforms(unlocked)
    assert _params(unlocked.json()) == {"nonFieldErrors": "unlocked"}

    lock = drc.lock(url, drc.admin)
    assert len(lock) >= 32
    again = drc.http.post(f"{url}/lock", headers=drc.admin)
    assert_conforms(again)
    assert _params(again.json()) == {"nonFieldErrors": "existing-lock"}
    assert drc.get(url, drc.admin).json()["locked"] is True

    wrong = drc.http.patch(url, json={"titel": "Nieuw", "lock": "wrong"}, headers=drc.admin)
    assert_conforms(wrong)
    assert _params(wrong.json()) == {"nonFieldErrors": "incorrect-lock-id"}
    missing = drc.http.patch(url, json={"titel": "Nieuw"}, headers=drc.admin)
    assert _params(missing.json()) == {"lock": "missing-lock-id"}

    patched = drc.http.patch(url, json={"titel": "Nieuw", "lock": lock}, headers=drc.admin)
    assert_conforms(patched)
    assert patched.status_code == 200, patched.text
    assert patched.json()["versie"] == 2
    assert patched.json()["titel"] == "Nieuw"
    assert patched.json()["inhoud"] == f"{url}/download?versie=2"  # content shared with version 1
    time.sleep(0.01)

    put_body = drc.body(iot, b"versie drie", titel="Drie", lock=lock)
    put = drc.http.put(url, json=put_body, headers=drc.admin)
    assert_conforms(put)
    assert put.status_code == 200, put.text
    assert put.json()["versie"] == 3
    assert put.json()["bestandsomvang"] == len(b"versie drie")

    assert drc.get(url, drc.admin, versie=1).json()["titel"] == "Aanvraag"
    assert drc.get(url, drc.admin, versie=2).json()["titel"] == "Nieuw"
    assert drc.get(url, drc.admin).json()["versie"] == 3
    assert drc.get(url, drc.admin, versie=9).status_code == 404
    v1_moment = created["beginRegistratie"]
    assert drc.get(url, drc.admin, registratieOp=v1_moment).json()["versie"] == 1

    assert drc.http.get(f"{url}/download", headers=drc.admin, params={"versie": 1}).content == b"versie een"
    assert drc.http.get(f"{url}/download", headers=drc.admin, params={"versie": 2}).content == b"versie een"
    assert drc.http.get(f"{url}/download", headers=drc.admin).content == b"versie drie"

    # Without documenten.geforceerd-unlock only the lock id unlocks.
    worker = drc.client_for(iot, "documenten.lezen", "documenten.bijwerken", "documenten.lock")
    wrong_unlock = drc.http.post(f"{url}/unlock", json={"lock": "nope"}, headers=worker)
    assert_conforms(wrong_unlock)
    assert _params(wrong_unlock.json()) == {"nonFieldErrors": "incorrect-lock-id"}
    unlock = drc.http.post(f"{url}/unlock", json={"lock": lock}, headers=worker)
    assert_conforms(unlock)
    assert unlock.status_code == 204
    assert drc.get(url, drc.admin).json()["locked"] is False


def test_forced_unlock_needs_the_scope(drc: Drc) -> None:
    iot = drc.iot()
    url = drc.create(drc.admin, iot)["url"]
    drc.lock(url, drc.admin)
    locker = drc.client_for(iot, "documenten.lock")
    response = drc.http.post(f"{url}/unlock", json={}, headers=locker)
    assert_conforms(response)
    assert _params(response.json()) == {"nonFieldErrors": "incorrect-lock-id"}
    forcer = drc.client_for(iot, "documenten.geforceerd-unlock")
    response = drc.http.post(f"{url}/unlock", json={}, headers=forcer)
    assert_conforms(response)
    assert response.status_code == 204


def test_list_filters_and_pagination(drc: Drc) -> None:
    iot = drc.iot()
    first = drc.create(drc.admin, iot, identificatie="A-1", trefwoorden=["bouw", "vergunning"])
    drc.create(drc.admin, iot, identificatie="A-2", trefwoorden=["bouw"])
    drc.create(drc.admin, iot, identificatie="A-3", bronorganisatie="517439943")
    url = f"{drc.api}/enkelvoudiginformatieobjecten"

    everything = drc.get(url, drc.admin).json()
    assert everything["count"] == 3
    assert [d["identificatie"] for d in everything["results"]] == ["A-1", "A-2", "A-3"]
    assert drc.get(url, drc.admin, identificatie="A-1").json()["results"] == [first]
    assert drc.get(url, drc.admin, bronorganisatie="517439943").json()["count"] == 1
    assert drc.get(url, drc.admin, trefwoorden="bouw").json()["count"] == 2
    assert drc.get(url, drc.admin, trefwoorden="bouw,vergunning").json()["count"] == 1
    assert drc.get(url, drc.admin, trefwoorden="bou").json()["count"] == 0
    unknown = drc.get(url, drc.admin, onbekend="1")
    assert unknown.status_code == 400
    past = drc.get(url, drc.admin, page=2)
    assert past.status_code == 400, past.text  # past the last page (core pagination)


def test_zoek_by_uuids(drc: Drc) -> None:
    iot = drc.iot()
    a = drc.create(drc.admin, iot)
    drc.create(drc.admin, iot)
    response = drc.http.post(
        f"{drc.api}/enkelvoudiginformatieobjecten/_zoek",
        json={"uuid_In": [a["url"].rsplit("/", 1)[1]]},
        headers=drc.admin,
    )
    assert_conforms(response)
    assert response.json()["results"] == [a]
    bad = drc.http.post(f"{drc.api}/enkelvoudiginformatieobjecten/_zoek", json={"uuid_In": ["nope"]}, headers=drc.admin)
    assert_conforms(bad)
    assert bad.status_code == 400


def test_vertrouwelijkheid_and_type_autorisaties(drc: Drc) -> None:
    iot, other_iot = drc.iot(), drc.iot()
    openbaar = drc.create(drc.admin, iot, vertrouwelijkheidaanduiding="openbaar")
    geheim = drc.create(drc.admin, iot, vertrouwelijkheidaanduiding="geheim")
    other = drc.create(drc.admin, other_iot, vertrouwelijkheidaanduiding="openbaar")
    reader = drc.client_for(iot, "documenten.lezen", maximum="vertrouwelijk")
    listed = drc.get(f"{drc.api}/enkelvoudiginformatieobjecten", reader).json()
    assert [d["url"] for d in listed["results"]] == [openbaar["url"]]
    assert drc.get(openbaar["url"], reader).status_code == 200
    for hidden in (geheim, other):
        response = drc.get(hidden["url"], reader)
        assert response.status_code == 403
        assert drc.http.get(f"{hidden['url']}/download", headers=reader).status_code == 403
    # Creating needs documenten.aanmaken for that type up to that level.
    response = drc.http.post(f"{drc.api}/enkelvoudiginformatieobjecten", json=drc.body(iot, b"x"), headers=reader)
    assert_conforms(response)
    assert response.status_code == 403
    creator = drc.client_for(iot, "documenten.aanmaken", maximum="openbaar")
    response = drc.http.post(
        f"{drc.api}/enkelvoudiginformatieobjecten",
        json=drc.body(iot, b"x", vertrouwelijkheidaanduiding="geheim"),
        headers=creator,
    )
    assert response.status_code == 403
    assert (
        drc.http.post(f"{drc.api}/enkelvoudiginformatieobjecten", json=drc.body(iot, b"x"), headers=creator).status_code
        == 201
    )


def test_notifications_and_audittrail(drc: Drc) -> None:
    iot = drc.iot()
    created = drc.create(drc.admin, iot, b"abc")
    url = created["url"]
    lock = drc.lock(url, drc.admin)
    response = drc.http.patch(
        url, json={"titel": "B", "lock": lock}, headers={**drc.admin, "X-Audit-Toelichting": "Typfout"}
    )
    assert response.status_code == 200
    with drc.alpha.session() as session:
        messages = [m for m in session.query(OutboxMessage).order_by(OutboxMessage.id) if m.kanaal == "documenten"]
    assert [(m.actie, m.resource, m.hoofd_object) for m in messages] == [
        ("create", "enkelvoudiginformatieobject", url),
        ("partial_update", "enkelvoudiginformatieobject", url),
    ]
    assert messages[0].kenmerken == {
        "bronorganisatie": RSIN,
        "informatieobjecttype": iot,
        "vertrouwelijkheidaanduiding": "openbaar",
    }
    trail = drc.get(f"{url}/audittrail", drc.admin)
    assert trail.status_code == 200
    entries = trail.json()
    assert [e["actie"] for e in entries] == ["create", "partial_update"]
    assert entries[1]["toelichting"] == "Typfout"
    assert entries[1]["wijzigingen"]["oud"]["titel"] == "Aanvraag"
    assert entries[1]["wijzigingen"]["nieuw"]["titel"] == "B"
    one = drc.get(f"{url}/audittrail/{entries[0]['uuid']}", drc.admin)
    assert one.status_code == 200
    assert one.json() == entries[0]


def test_empty_inhoud_means_no_content(drc: Drc) -> None:
    created = drc.create(drc.admin, drc.iot(), b"")
    assert created["inhoud"] is None
    assert created["bestandsomvang"] == 0
    assert drc.http.get(f"{created['url']}/download", headers=drc.admin).status_code == 404


def test_tenant_isolation(drc: Drc) -> None:
    created = drc.create(drc.admin, drc.iot(), b"alpha geheim")
    beta_admin = drc.beta.superuser()
    beta_url = created["url"].replace("/t/alpha/", "/t/beta/")
    assert drc.http.get(beta_url, headers=beta_admin).status_code == 404
    assert drc.http.get(f"{beta_url}/download", headers=beta_admin).status_code == 404
    listed = drc.http.get(f"{drc.beta.api('documenten')}/enkelvoudiginformatieobjecten", headers=beta_admin)
    assert listed.json()["count"] == 0
    # alpha's credentials are unknown to beta
    assert drc.http.get(beta_url, headers=drc.admin).status_code == 403
