"""Content hygiene on both storage backends (real MinIO and the local directory): the periodic sweep removes
what a crash or a failed purge left once it is older than the grace period, keeps young and referenced content,
expires abandoned bestandsdelen uploads; updates purge what they orphan; checksums guard assembly and download.

The clock is injected (``now``) instead of waiting: storage timestamps are real, the sweep is told it runs later."""

from __future__ import annotations

import base64
import hashlib
import io
import os
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from tenant_runtime.celery_app import celery_app
from tenant_runtime.documenten import tasks
from tenant_runtime.documenten.models import BestandsDeel, ContentOrphan, InformatieObjectVersie
from tenant_runtime.documenten.services import content, hygiene
from tenant_runtime.storage.local import LocalStorage
from tenant_runtime.storage.s3 import S3Storage
from tests.tenant_runtime.contract import assert_conforms
from tests.tenant_runtime.documenten.conftest import Drc
from tests.tenant_runtime.documenten.test_content import _put_part

GRACE = timedelta(hours=1)
EXPIRY = timedelta(days=7)


def _sweep(drc: Drc, after: timedelta = timedelta(0)) -> hygiene.SweepReport:
    """Sweep tenant alpha as if it ran ``after`` from now."""
    with drc.alpha.session() as session:
        return hygiene.sweep(
            session, drc.storage(), grace=GRACE, upload_expiry=EXPIRY, now=datetime.now(UTC) + after, tenant="alpha"
        )


def _crash_after_storage_write(drc: Drc, data: bytes) -> str:
    """What a process killed between writing content and committing its row leaves: an unreferenced object."""
    key = content.new_key()
    writer = drc.storage().writer(key)
    writer.write(data)
    writer.commit()
    return key


def _crash_during_upload(drc: Drc) -> str:
    """An unfinished multipart upload no row references (killed after ``start_parts``)."""
    key = content.new_key()
    storage = drc.storage()
    upload_id = storage.start_parts(key)
    storage.put_part(key, upload_id, 1, io.BytesIO(b"part"), 4)
    return key


def _unavailable(self: Any, key: str) -> None:
    raise OSError("storage unavailable")


def _pending(drc: Drc, content_size: int) -> dict[str, Any]:
    return drc.create(drc.admin, drc.iot(), None, bestandsomvang=content_size)


def test_crash_and_failed_purge_leftovers_are_swept_after_the_grace_period_only(
    drc_any: Drc, monkeypatch: pytest.MonkeyPatch
) -> None:
    drc = drc_any
    deleted = drc.create(drc.admin, drc.iot(), b"weg ermee")
    with monkeypatch.context() as patched:  # the storage is down when the delete's purge runs
        patched.setattr(type(drc.storage()), "delete", _unavailable)
        assert drc.http.delete(deleted["url"], headers=drc.admin).status_code == 204
    assert len(drc.stored_objects()) == 1
    retried = _sweep(drc)  # recorded orphans need no grace: the rows dropping them committed
    assert (retried.orphans_purged, retried.objects_removed) == (1, 0)
    assert drc.stored_objects() == []

    part_size = drc.settings.document_part_size
    kept = drc.create(drc.admin, drc.iot(), b"referenced content")
    lock = drc.lock(kept["url"], drc.admin)
    update = drc.http.patch(kept["url"], json={"titel": "Alleen metadata", "lock": lock}, headers=drc.admin)
    assert update.status_code == 200, update.text  # version 2 shares version 1's content
    pending = _pending(drc, part_size + 10)  # an upload in bestandsdelen in progress (referenced)
    first = _put_part(drc, pending["bestandsdelen"][0]["url"], os.urandom(part_size), pending["lock"], drc.admin)
    assert first.status_code == 200
    orphan = _crash_after_storage_write(drc, os.urandom(2000))
    upload_orphan = _crash_during_upload(drc)
    before = drc.stored_objects()
    assert len(before) == 4  # kept content, the pending upload, the crash's object and its unfinished upload

    young = _sweep(drc)
    assert (young.objects_removed, young.uploads_removed) == (0, 0), "nothing within the grace period is touched"
    assert young.objects_young == 2
    assert drc.stored_objects() == before

    report = _sweep(drc, GRACE + timedelta(minutes=1))
    assert (report.objects_removed, report.uploads_removed, report.failures) == (1, 1, 0)
    assert not drc.storage().exists(orphan)
    left = drc.stored_objects()
    assert len(left) == 2
    assert not any(upload_orphan in entry for entry in left)
    for versie in (1, 2):
        download = drc.http.get(f"{kept['url']}/download", params={"versie": versie}, headers=drc.admin)
        assert download.content == b"referenced content"
    _download_corrupted(drc)
    rest = os.urandom(10)
    last = _put_part(drc, pending["bestandsdelen"][1]["url"], rest, pending["lock"], drc.admin)
    assert last.status_code == 200, "the referenced upload survived the sweep"

    again = _sweep(drc, GRACE + timedelta(minutes=1))  # idempotent
    assert (again.objects_removed, again.uploads_removed) == (0, 0)


def _download_corrupted(drc: Drc) -> None:
    """Stored bytes changed behind the runtime's back: the download never completes."""
    data = os.urandom(3 * 1024 * 1024 + 5)  # several read chunks
    created = drc.create(drc.admin, drc.iot(), data)
    assert drc.http.get(f"{created['url']}/download", headers=drc.admin).content == data
    with drc.alpha.session() as session:
        versie = session.scalars(
            select(InformatieObjectVersie).where(InformatieObjectVersie.bestandsomvang == len(data))
        ).one()
    _corrupt(drc, versie.content_key, os.urandom(len(data)))
    try:
        response = drc.http.get(f"{created['url']}/download", headers=drc.admin)
    except (httpx.HTTPError, OSError):
        return  # the transfer failed: what a client sees
    assert len(response.content) < len(data), "the stream ends short of its Content-Length"
    assert int(response.headers["Content-Length"]) == len(data)


def test_update_purges_the_upload_it_replaces_and_abandoned_uploads_expire(drc_any: Drc) -> None:
    drc = drc_any
    part_size = drc.settings.document_part_size
    replaced = _pending(drc, part_size + 1)
    first = _put_part(drc, replaced["bestandsdelen"][0]["url"], os.urandom(part_size), replaced["lock"], drc.admin)
    assert first.status_code == 200
    response = drc.http.patch(
        replaced["url"],
        json={"inhoud": base64.b64encode(b"nieuwe inhoud").decode(), "lock": replaced["lock"]},
        headers=drc.admin,
    )
    assert_conforms(response)
    assert response.status_code == 200, response.text
    assert len(drc.stored_objects()) == 1, "the replaced upload and its part are gone right after the commit"
    with drc.alpha.session() as session:
        assert session.scalar(select(func.count()).select_from(ContentOrphan)) == 0
    assert drc.http.get(f"{replaced['url']}/download", headers=drc.admin).content == b"nieuwe inhoud"
    drc.http.delete(replaced["url"], headers=drc.admin)

    abandoned = _pending(drc, part_size * 2)
    first = abandoned["bestandsdelen"][0]
    assert _put_part(drc, first["url"], os.urandom(part_size), abandoned["lock"], drc.admin).status_code == 200

    assert _sweep(drc, EXPIRY - timedelta(hours=1)).uploads_expired == 0, "not abandoned yet"
    report = _sweep(drc, EXPIRY + timedelta(minutes=1))
    assert report.uploads_expired == 1
    assert report.orphans_purged == 1
    assert drc.stored_objects() == []  # its part and upload are gone
    with drc.alpha.session() as session:
        assert session.scalar(select(func.count()).select_from(BestandsDeel)) == 0
        assert session.scalar(select(func.count()).select_from(ContentOrphan)) == 0

    document = drc.get(abandoned["url"], drc.admin).json()
    assert (document["inhoud"], document["bestandsomvang"], document["bestandsdelen"]) == (None, None, [])
    assert document["locked"] is True
    late = _put_part(drc, abandoned["bestandsdelen"][1]["url"], os.urandom(part_size), abandoned["lock"], drc.admin)
    assert late.status_code == 404
    unlock = drc.http.post(f"{abandoned['url']}/unlock", json={"lock": abandoned["lock"]}, headers=drc.admin)
    assert unlock.status_code == 204, unlock.text


def test_sweep_tasks_fan_out_per_tenant_and_are_scheduled(drc: Drc, monkeypatch: pytest.MonkeyPatch) -> None:
    assert celery_app.conf.beat_schedule["documenten-sweep"]["task"] == tasks.SWEEP_TASK
    assert tasks.sweep.acks_late and tasks.sweep_tenant.acks_late
    monkeypatch.setattr(tasks, "worker_runtime", lambda: drc.alpha.runtime)
    sent: list[str] = []
    monkeypatch.setattr(tasks.sweep_tenant, "delay", sent.append)
    assert tasks.sweep.run() == 2
    assert sorted(sent) == ["alpha", "beta"]
    orphan = _crash_after_storage_write(drc, b"x")
    assert tasks.sweep_tenant.run("alpha")["objects_young"] == 1
    assert drc.storage().exists(orphan)
    assert tasks.sweep_tenant.run("unknown") == {}


def _corrupt(drc: Drc, key: str, data: bytes) -> None:
    """Replace stored bytes behind the runtime's back (same length)."""
    storage = drc.storage()
    if isinstance(storage, LocalStorage):
        (storage.root / key).write_bytes(data)
    else:
        assert isinstance(storage, S3Storage)
        storage.client.put_object(Bucket=storage.bucket, Key=storage.prefix + key, Body=data)


def test_corrupted_part_is_reported_and_sent_again(drc: Drc) -> None:
    part_size = drc.settings.document_part_size
    data = os.urandom(part_size * 2)
    created = _pending(drc, len(data))
    parts, lock = created["bestandsdelen"], created["lock"]
    assert _put_part(drc, parts[0]["url"], data[:part_size], lock, drc.admin).status_code == 200
    storage = drc.storage()
    assert isinstance(storage, LocalStorage)
    (stored_part,) = (storage.root / ".parts").glob("*/00000001")
    stored_part.write_bytes(os.urandom(part_size))  # the disk changed part 1 after it was received

    last = _put_part(drc, parts[1]["url"], data[part_size:], lock, drc.admin)
    assert last.status_code == 400
    assert {p["name"]: p["code"] for p in last.json()["invalidParams"]} == {"inhoud": "checksum-mismatch"}
    pending = drc.get(created["url"], drc.admin).json()
    assert [p["voltooid"] for p in pending["bestandsdelen"]] == [False, True]
    assert pending["inhoud"] is None

    assert _put_part(drc, parts[0]["url"], data[:part_size], lock, drc.admin).status_code == 200
    assert drc.http.get(f"{created['url']}/download", headers=drc.admin).content == data
    with drc.alpha.session() as session:
        versie = session.scalars(select(InformatieObjectVersie)).one()
        assert versie.content_sha256 == hashlib.sha256(data).hexdigest()
