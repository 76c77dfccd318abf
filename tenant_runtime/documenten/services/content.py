"""Document content in the content storage: keys, uploads in bestandsdelen, and removal after commit.

Content is written before the database row that owns it is committed. When the write fails the content is
deleted again; when a document is deleted its content is recorded as ``ContentOrphan`` in the deleting
transaction and removed from the storage after the commit (``purge_orphans`` retries what a crash left).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from tenant_runtime.core.problems import InvalidParam, Problem, validation_problem
from tenant_runtime.documenten.models import BestandsDeel, ContentOrphan, InformatieObject, InformatieObjectVersie
from tenant_runtime.documenten.services.access import not_found, parse_uuid
from tenant_runtime.logging import get_logger
from tenant_runtime.storage import ContentNotFound, ContentStorage, StoredPart

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
    versie.content_sha256 = ""
    versie.bestandsomvang = total
    versie.bestandsdelen = [
        BestandsDeel(volgnummer=number, omvang=size) for number, size in enumerate(part_sizes(total, part_size), 1)
    ]


def discard_upload(storage: ContentStorage, versie: InformatieObjectVersie) -> None:
    """Undo ``start_upload`` of a version that was not committed."""
    if versie.upload_id:
        storage.abort_parts(versie.content_key, versie.upload_id)


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
    # One writer at a time decides about completion: lock the version row.
    session.execute(select(InformatieObjectVersie.id).where(InformatieObjectVersie.id == versie.id).with_for_update())
    session.refresh(deel)
    deel.voltooid = True
    deel.part_token = stored.token
    deel.sha256 = stored.sha256
    session.flush()
    session.refresh(versie)
    completed = bool(versie.upload_id) and all(d.voltooid for d in versie.bestandsdelen)
    if completed:
        parts = [StoredPart(d.volgnummer, d.part_token, d.omvang, d.sha256) for d in versie.bestandsdelen]
        content = storage.complete_parts(versie.content_key, versie.upload_id, parts)
        versie.bestandsomvang = content.size
        versie.content_sha256 = content.sha256
        versie.upload_id = ""
        log.info("document_upload_completed", document=str(document.uuid), versie=versie.versie, size=content.size)
    session.commit()
    return PartResult(deel, document, completed)


def orphan_key(session: Session, key: str, upload_id: str = "") -> None:
    """Record content (or an unfinished upload) for removal once the transaction dropping it commits."""
    if key:
        session.add(ContentOrphan(content_key=key, upload_id=upload_id))


def purge_orphans(session: Session, storage: ContentStorage, older_than: timedelta = timedelta(0)) -> int:
    """Remove recorded orphans from the storage (after the commit that orphaned them); returns how many."""
    limit = datetime.now(UTC) - older_than
    rows = session.scalars(select(ContentOrphan).where(ContentOrphan.created_at <= limit).limit(1000)).all()
    removed = 0
    for row in rows:
        try:
            if row.upload_id:
                storage.abort_parts(row.content_key, row.upload_id)
            storage.delete(row.content_key)
        except Exception:  # storage unavailable: keep the row, the next purge retries
            log.warning("document_content_purge_failed", key=row.content_key, exc_info=True)
            continue
        session.delete(row)
        removed += 1
    session.commit()
    return removed
