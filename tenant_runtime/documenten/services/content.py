"""Document content in the content storage: keys, uploads in bestandsdelen, and removal after commit.

Content is written before the database row that owns it is committed. When the write fails the content is
deleted again; when a document is deleted, or an update drops an unfinished upload, the content is recorded as
``ContentOrphan`` in that transaction and removed from the storage right after the commit (``purge_recorded``);
what a failed purge or a crash leaves is picked up by the periodic sweep (``services/hygiene.py``).

Checksums: every version with content records how to verify it (``content_sha256``, or for content an object
store assembled from bestandsdelen ``content_parts_sha256`` over ``content_part_size``); each part's SHA-256 is
recorded when it arrives and checked when the parts are assembled, and downloads are verified as they stream
(``verified``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.orm import Session

from tenant_runtime.core.problems import InvalidParam, Problem, validation_problem
from tenant_runtime.documenten.models import BestandsDeel, ContentOrphan, InformatieObject, InformatieObjectVersie
from tenant_runtime.documenten.services.access import not_found, parse_uuid
from tenant_runtime.logging import get_logger
from tenant_runtime.storage import ContentCorrupt, ContentNotFound, ContentStorage, StoredContent, StoredPart
from tenant_runtime.storage.checksums import ContentDigest

ORPHANS_RECORDED = "documenten_orphans_recorded"  # session.info flag: this session recorded content orphans
PURGE_BATCH = 1000

log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class ReceivedContent:
    """Content streamed into the storage under ``key`` before its version row exists."""

    key: str
    size: int
    sha256: str


def new_key() -> str:
    name = uuid.uuid4().hex
    return f"{name[:2]}/{name}"


def part_sizes(total: int, part_size: int) -> list[int]:
    """The sizes of the bestandsdelen of ``total`` bytes: all ``part_size`` except a smaller last one."""
    full, rest = divmod(total, part_size)
    return [part_size] * full + ([rest] if rest else [])


def start_upload(storage: ContentStorage, versie: InformatieObjectVersie, total: int, part_size: int) -> None:
    """Prepare ``versie`` for an upload of ``total`` bytes in bestandsdelen (content pending until complete)."""
    key = new_key()
    versie.content_key = key
    versie.upload_id = storage.start_parts(key)
    versie.content_sha256 = versie.content_parts_sha256 = ""
    versie.content_part_size = 0
    versie.bestandsomvang = total
    versie.bestandsdelen = [
        BestandsDeel(volgnummer=number, omvang=size) for number, size in enumerate(part_sizes(total, part_size), 1)
    ]


def discard_upload(storage: ContentStorage, versie: InformatieObjectVersie) -> None:
    """Undo ``start_upload`` of a version that was not committed."""
    if versie.upload_id:
        storage.abort_parts(versie.content_key, versie.upload_id)


def set_content(versie: InformatieObjectVersie, key: str, stored: StoredContent) -> None:
    """Record complete content and how to verify it on the version."""
    versie.content_key, versie.bestandsomvang = key, stored.size
    if stored.part_size:
        versie.content_sha256, versie.content_parts_sha256 = "", stored.sha256
    else:
        versie.content_sha256, versie.content_parts_sha256 = stored.sha256, ""
    versie.content_part_size = stored.part_size


def share_content(versie: InformatieObjectVersie, previous: InformatieObjectVersie) -> None:
    """A new version without new content keeps the previous version's content (and its checksums)."""
    versie.content_key, versie.bestandsomvang = previous.content_key, previous.bestandsomvang
    versie.content_sha256, versie.content_parts_sha256 = previous.content_sha256, previous.content_parts_sha256
    versie.content_part_size = previous.content_part_size


def _lock_problem(code: str, reason: str) -> Problem:
    return validation_problem([InvalidParam("lock", code, reason)])


@dataclass(frozen=True, slots=True)
class PartResult:
    deel: BestandsDeel
    document: InformatieObject
    completed: bool


def get_bestandsdeel(session: Session, raw_uuid: str) -> BestandsDeel:
    deel = session.scalar(select(BestandsDeel).where(BestandsDeel.uuid == parse_uuid(raw_uuid)))
    if deel is None:
        raise not_found()
    return deel


def upload_part(
    session: Session, storage: ContentStorage, deel: BestandsDeel, lock: str, data: BinaryIO, size: int
) -> PartResult:
    """Store one bestandsdeel; the last one to arrive assembles the content and records its SHA-256."""
    versie = deel.versie
    document = versie.informatieobject
    if not document.lock:
        raise _lock_problem("unlocked", "Het document is niet gelockt.")
    if lock != document.lock:
        raise _lock_problem("incorrect-lock-id", "Incorrect lock ID.")
    if not versie.upload_id or versie.versie != document.versie:
        raise validation_problem(
            [InvalidParam("nonFieldErrors", "upload-complete", "De upload van deze versie is al afgerond.")]
        )
    if size != deel.omvang:
        raise validation_problem(
            [
                InvalidParam(
                    "inhoud",
                    "file-size",
                    f"De grootte van het bestandsdeel is {size} bytes; verwacht: {deel.omvang} bytes.",
                )
            ]
        )
    try:
        stored = storage.put_part(versie.content_key, versie.upload_id, deel.volgnummer, data, size)
    except ContentNotFound:
        raise not_found() from None
    except ContentCorrupt:
        log.warning("document_part_corrupt", document=str(document.uuid), volgnummer=deel.volgnummer)
        raise _corrupt_problem([deel.volgnummer]) from None
    # One writer at a time decides about completion: lock the version row.
    session.execute(select(InformatieObjectVersie.id).where(InformatieObjectVersie.id == versie.id).with_for_update())
    try:
        session.refresh(deel)
    except InvalidRequestError:  # the upload expired meanwhile (services/hygiene.py) and took its parts along
        session.rollback()
        raise not_found() from None
    deel.voltooid = True
    deel.part_token = stored.token
    deel.sha256 = stored.sha256
    session.flush()
    session.refresh(versie)
    completed = bool(versie.upload_id) and all(d.voltooid for d in versie.bestandsdelen)
    if completed:
        parts = [StoredPart(d.volgnummer, d.part_token, d.omvang, d.sha256) for d in versie.bestandsdelen]
        try:
            content = storage.complete_parts(versie.content_key, versie.upload_id, parts)
        except ContentCorrupt as error:
            # Never assemble (or keep) bytes that differ from what was received: those parts are to be sent again.
            numbers = set(error.parts) or {d.volgnummer for d in versie.bestandsdelen}
            for each in versie.bestandsdelen:
                if each.volgnummer in numbers:
                    each.voltooid, each.part_token, each.sha256 = False, "", ""
            session.commit()
            log.error("document_upload_corrupt", document=str(document.uuid), versie=versie.versie,
                      parts=sorted(numbers))  # fmt: skip
            raise _corrupt_problem(sorted(numbers)) from None
        set_content(versie, versie.content_key, content)
        versie.upload_id = ""
        log.info("document_upload_completed", document=str(document.uuid), versie=versie.versie, size=content.size)
    session.commit()
    return PartResult(deel, document, completed)


def _corrupt_problem(numbers: list[int]) -> Problem:
    listed = ", ".join(str(n) for n in numbers)
    return validation_problem(
        [
            InvalidParam(
                "inhoud",
                "checksum-mismatch",
                f"De opgeslagen inhoud van bestandsdeel {listed} komt niet overeen met de ontvangen inhoud; "
                "upload dat deel opnieuw.",
            )
        ]
    )


def orphan_key(session: Session, key: str, upload_id: str = "") -> None:
    """Record content (or an unfinished upload) for removal once the transaction dropping it commits."""
    if key:
        session.add(ContentOrphan(content_key=key, upload_id=upload_id))
        session.info[ORPHANS_RECORDED] = True


def purge_recorded(session: Session, storage: ContentStorage) -> int:
    """After a commit: remove the orphans recorded (best effort; what fails stays for the sweep)."""
    if not session.info.pop(ORPHANS_RECORDED, False):
        return 0
    try:
        return purge_orphans(session, storage).removed
    except Exception:  # the response is not the place to fail: the sweep retries
        session.rollback()
        log.warning("document_content_purge_failed", exc_info=True)
        return 0


@dataclass(slots=True)
class PurgeReport:
    removed: int = 0
    failed: int = 0


def purge_orphans(session: Session, storage: ContentStorage, older_than: timedelta = timedelta(0)) -> PurgeReport:
    """Remove recorded orphans from the storage (after the commit that orphaned them), in batches until none is
    left; an orphan the storage fails to remove stays recorded for the next purge."""
    limit = datetime.now(UTC) - older_than
    report = PurgeReport()
    after = 0
    while True:
        rows = session.scalars(
            select(ContentOrphan)
            .where(ContentOrphan.created_at <= limit, ContentOrphan.id > after)
            .order_by(ContentOrphan.id)
            .limit(PURGE_BATCH)
        ).all()
        for row in rows:
            after = row.id
            try:
                if row.upload_id:
                    storage.abort_parts(row.content_key, row.upload_id)
                storage.delete(row.content_key)
            except Exception:  # storage unavailable: keep the row, the next purge retries
                log.warning("document_content_purge_failed", key=row.content_key, exc_info=True)
                report.failed += 1
                continue
            session.delete(row)
            report.removed += 1
        session.commit()
        if len(rows) < PURGE_BATCH:
            return report


def verified(chunks: Iterator[bytes], versie: InformatieObjectVersie, document: str) -> Iterator[bytes]:
    """Stream ``chunks`` while checking them against the version's checksum. The last chunk is held back until
    the check passes: a mismatch ends the stream early (short of its Content-Length, so the client sees a failed
    transfer) and is logged, never delivered as complete."""
    expected = versie.content_sha256 or versie.content_parts_sha256
    if not expected:
        yield from chunks
        return
    digest = ContentDigest(0 if versie.content_sha256 else versie.content_part_size)
    held: bytes | None = None
    for chunk in chunks:
        digest.update(chunk)
        if held is not None:
            yield held
        held = chunk
    if digest.hexdigest() != expected or digest.size != (versie.bestandsomvang or 0):
        log.error("document_content_corrupt", document=document, versie=versie.versie, key=versie.content_key,
                  size=digest.size, expected_size=versie.bestandsomvang)  # fmt: skip
        raise ContentCorrupt(versie.content_key)
    if held is not None:
        yield held
