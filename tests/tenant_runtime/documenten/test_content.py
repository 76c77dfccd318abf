"""Document content on both storage backends: uploads in bestandsdelen larger than a part, byte-for-byte
downloads, SHA-256, and no orphaned content after failed creates, replaced uploads and deletes (drc-008)."""

from __future__ import annotations

import hashlib
import os

from tenant_runtime.documenten.models import InformatieObjectVersie
from tenant_runtime.storage.checksums import composite_sha256
from tests.tenant_runtime.contract import assert_conforms
from tests.tenant_runtime.documenten.conftest import Drc


def _codes(response_json: dict) -> dict[str, str]:
    return {p["name"]: p["code"] for p in response_json.get("invalidParams", [])}


def _put_part(drc: Drc, url: str, data: bytes, lock: str, headers: dict[str, str]):  # type: ignore[no-untyped-def]
    response = drc.http.put(url, files={"inhoud": ("deel.bin", data)}, data={"lock": lock}, headers=headers)
    assert_conforms(response)
    return response


def test_upload_in_parts_larger_than_a_part(drc_any: Drc) -> None:
    drc = drc_any
    part_size = drc.settings.document_part_size
    content = os.urandom(part_size * 2 + part_size // 2)
    created = drc.create(drc.admin, drc.iot(), None, bestandsomvang=len(content), bestandsnaam="groot.bin")
    assert created["locked"] is True
    assert created["inhoud"] is None
    lock = created["lock"]
    parts = created["bestandsdelen"]
    assert [(p["volgnummer"], p["omvang"], p["voltooid"]) for p in parts] == [
        (1, part_size, False),
        (2, part_size, False),
        (3, part_size // 2, False),
    ]
    assert all(p["lock"] == lock for p in parts)
    chunks = [content[i : i + part_size] for i in range(0, len(content), part_size)]

    wrong_lock = _put_part(drc, parts[0]["url"], chunks[0], "verkeerd", drc.admin)
    assert wrong_lock.status_code == 400
    assert _codes(wrong_lock.json()) == {"lock": "incorrect-lock-id"}
    wrong_size = _put_part(drc, parts[0]["url"], chunks[0][:-1], lock, drc.admin)
    assert wrong_size.status_code == 400
    assert _codes(wrong_size.json()) == {"inhoud": "file-size"}

    early = drc.http.post(f"{created['url']}/unlock", json={"lock": lock}, headers=drc.admin)
    assert_conforms(early)
    assert _codes(early.json()) == {"nonFieldErrors": "incomplete-upload"}

    for index in (2, 0):  # out of order
        response = _put_part(drc, parts[index]["url"], chunks[index], lock, drc.admin)
        assert response.status_code == 200, response.text
        assert response.json()["voltooid"] is True
        assert response.json()["lock"] == lock
    pending = drc.get(created["url"], drc.admin).json()
    assert pending["inhoud"] is None
    assert [p["voltooid"] for p in pending["bestandsdelen"]] == [True, False, True]

    last = _put_part(drc, parts[1]["url"], chunks[1], lock, drc.admin)
    assert last.status_code == 200, last.text
    done = drc.get(created["url"], drc.admin).json()
    assert done["bestandsdelen"] == []
    assert done["inhoud"] == f"{created['url']}/download?versie=1"
    assert done["bestandsomvang"] == len(content)

    unlock = drc.http.post(f"{created['url']}/unlock", json={"lock": lock}, headers=drc.admin)
    assert unlock.status_code == 204
    download = drc.http.get(done["inhoud"], headers=drc.admin)
    assert_conforms(download)
    assert download.content == content
    with drc.alpha.session() as session:
        versie = session.query(InformatieObjectVersie).one()
        if versie.content_part_size:  # S3 assembled it: the composite over the parts, nothing was read back
            assert versie.content_part_size == part_size
            assert versie.content_sha256 == ""
            assert versie.content_parts_sha256 == composite_sha256(hashlib.sha256(c).hexdigest() for c in chunks)
        else:  # assembled here: the plain SHA-256, computed while copying the parts
            assert versie.content_sha256 == hashlib.sha256(content).hexdigest()
    assert len(drc.stored_objects()) == 1  # the assembled content only: no parts, no open uploads


def test_update_with_new_parts_keeps_old_version_content(drc_any: Drc) -> None:
    drc = drc_any
    part_size = drc.settings.document_part_size
    iot = drc.iot()
    created = drc.create(drc.admin, iot, b"eerste versie")
    url = created["url"]
    lock = drc.lock(url, drc.admin)
    content = os.urandom(part_size + 10)
    response = drc.http.patch(
        url, json={"bestandsomvang": len(content), "inhoud": None, "lock": lock}, headers=drc.admin
    )
    assert_conforms(response)
    assert response.status_code == 200, response.text
    parts = response.json()["bestandsdelen"]
    assert len(parts) == 2
    _put_part(drc, parts[0]["url"], content[:part_size], lock, drc.admin)
    assert _put_part(drc, parts[1]["url"], content[part_size:], lock, drc.admin).status_code == 200
    assert drc.http.get(f"{url}/download", headers=drc.admin).content == content
    assert drc.http.get(f"{url}/download", params={"versie": 1}, headers=drc.admin).content == b"eerste versie"


def test_failed_create_leaves_no_content(drc_any: Drc) -> None:
    drc = drc_any
    concept = drc.iot(concept=True)
    response = drc.http.post(
        f"{drc.api}/enkelvoudiginformatieobjecten", json=drc.body(concept, os.urandom(300_000)), headers=drc.admin
    )
    assert_conforms(response)
    assert response.status_code == 400
    response = drc.http.post(
        f"{drc.api}/enkelvoudiginformatieobjecten",
        json=drc.body(drc.iot(), os.urandom(1000), bestandsomvang=5),
        headers=drc.admin,
    )
    assert _codes(response.json()) == {"bestandsomvang": "file-size"}
    truncated = b'{"titel": "x", "inhoud": "' + b"QUJD" * 100_000
    response = drc.http.post(
        f"{drc.api}/enkelvoudiginformatieobjecten",
        content=truncated,
        headers={**drc.admin, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert drc.stored_objects() == []


def test_delete_removes_every_version_and_its_content(drc_any: Drc) -> None:
    drc = drc_any
    iot = drc.iot()
    created = drc.create(drc.admin, iot, b"een")
    url = created["url"]
    lock = drc.lock(url, drc.admin)
    body = drc.body(iot, b"twee", lock=lock)
    assert drc.http.put(url, json=body, headers=drc.admin).status_code == 200
    gebruiksrecht = drc.http.post(
        f"{drc.api}/gebruiksrechten",
        json={"informatieobject": url, "startdatum": "2024-01-01T00:00:00Z", "omschrijvingVoorwaarden": "Geen"},
        headers=drc.admin,
    )
    assert gebruiksrecht.status_code == 201, gebruiksrecht.text
    assert len(drc.stored_objects()) == 2

    response = drc.http.delete(url, headers=drc.admin)
    assert_conforms(response)
    assert response.status_code == 204
    assert drc.stored_objects() == []
    assert drc.http.get(url, headers=drc.admin).status_code == 404
    assert drc.http.get(gebruiksrecht.json()["url"], headers=drc.admin).status_code == 404
    trail = drc.http.get(f"{url}/audittrail", headers=drc.admin)
    assert_conforms(trail)
    assert trail.json() == []  # drc-008: the audit trail went with the document
    with drc.alpha.session() as session:
        from tenant_runtime.core.audit import AuditTrailEntry
        from tenant_runtime.documenten.models import ContentOrphan

        assert session.query(AuditTrailEntry).filter_by(hoofd_object=url).count() == 0
        assert session.query(ContentOrphan).count() == 0
