"""The content sweep of one tenant: storage and database agree again after crashes, failures and abandonment.

Content is written to the storage before the row that references it commits, and removed only after the commit
that drops the reference, so a crash or an unavailable storage leaves objects behind but never loses one that
is referenced. ``sweep`` cleans up, in this order (each step idempotent, safe to run twice at once):

1. **Abandoned uploads** — a version whose upload in bestandsdelen was registered more than
   ``document_upload_expiry_seconds`` ago and never completed: its parts and upload are removed (recorded as an
   orphan in the same transaction), the version keeps its metadata without content, and the document's lock
   stays, so the lock holder can unlock it (or a client with geforceerd-unlock) or upload new content.
2. **Recorded orphans** — content a committed delete or update dropped whose removal failed or never ran.
3. **Unreferenced objects and uploads** — what the storage holds that no version references: removed only once
   older than ``document_orphan_grace_seconds`` (since the last write), so an upload whose row has not committed
   yet is never touched. Listing is streamed page by page and checked against the database in batches.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import TypeVar

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from tenant_runtime.container import Runtime
from tenant_runtime.documenten.models import BestandsDeel, InformatieObjectVersie
from tenant_runtime.documenten.services import content
from tenant_runtime.logging import get_logger
from tenant_runtime.registry.repository import TenantInfo
from tenant_runtime.storage import ContentStorage, PendingUpload, storage_for

log = get_logger(__name__)

CHECK_BATCH = 500  # storage keys checked against the database per query
EXPIRE_BATCH = 100  # abandoned uploads expired per transaction

T = TypeVar("T")


@dataclass(slots=True)
class SweepReport:
    uploads_expired: int = 0
    orphans_purged: int = 0
    orphans_failed: int = 0
    objects_seen: int = 0
    objects_young: int = 0
    objects_removed: int = 0
    uploads_removed: int = 0
    failures: int = 0


def _batches(items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def expire_uploads(session: Session, now: datetime, expiry: timedelta) -> int:
    """Step 1: expire uploads in bestandsdelen registered before ``now - expiry``; returns how many."""
    expired = 0
    while True:
        versies = session.scalars(
            select(InformatieObjectVersie)
            .where(InformatieObjectVersie.upload_id != "", InformatieObjectVersie.begin_registratie < now - expiry)
            .order_by(InformatieObjectVersie.id)
            .limit(EXPIRE_BATCH)
            .with_for_update(skip_locked=True)  # an upload completing right now keeps its row lock
        ).all()
        for versie in versies:
            content.orphan_key(session, versie.content_key, versie.upload_id)
            log.info("document_upload_expired", document=str(versie.informatieobject.uuid), versie=versie.versie,
                     registered=versie.begin_registratie.isoformat())  # fmt: skip
            session.execute(delete(BestandsDeel).where(BestandsDeel.versie_id == versie.id))
            versie.content_key = versie.upload_id = versie.content_sha256 = versie.content_parts_sha256 = ""
            versie.content_part_size = 0
            versie.bestandsomvang = None
        session.commit()
        expired += len(versies)
        if len(versies) < EXPIRE_BATCH:
            return expired


def _referenced_keys(session: Session, keys: list[str]) -> set[str]:
    return set(
        session.scalars(select(InformatieObjectVersie.content_key).where(InformatieObjectVersie.content_key.in_(keys)))
    )


def _referenced_uploads(session: Session, uploads: list[PendingUpload]) -> set[str]:
    ids = [u.upload_id for u in uploads]
    return set(
        session.scalars(select(InformatieObjectVersie.upload_id).where(InformatieObjectVersie.upload_id.in_(ids)))
    )


def sweep_storage(session: Session, storage: ContentStorage, cutoff: datetime, report: SweepReport) -> None:
    """Step 3: remove objects and unfinished uploads written before ``cutoff`` that no version references."""
    old = _old_objects(storage, cutoff, report)
    for batch in _batches(old, CHECK_BATCH):
        referenced = _referenced_keys(session, batch)
        session.rollback()  # end the read transaction: no snapshot is held while the storage works
        for key in batch:
            if key in referenced:
                continue
            try:
                storage.delete(key)
            except Exception:
                report.failures += 1
                log.warning("document_sweep_delete_failed", key=key, exc_info=True)
                continue
            report.objects_removed += 1
            log.info("document_unreferenced_content_removed", key=key)
    for uploads in _batches(storage.list_uploads(cutoff), CHECK_BATCH):
        referenced = _referenced_uploads(session, uploads)
        session.rollback()
        for upload in uploads:
            if upload.upload_id in referenced:
                continue  # a pending bestandsdelen upload: step 1 decides about its age
            try:
                storage.abort_parts(upload.key, upload.upload_id)
            except Exception:
                report.failures += 1
                log.warning("document_sweep_abort_failed", key=upload.key, exc_info=True)
                continue
            report.uploads_removed += 1
            log.info(
                "document_unreferenced_upload_removed", key=upload.key, last_activity=upload.last_activity.isoformat()
            )


def _old_objects(storage: ContentStorage, cutoff: datetime, report: SweepReport) -> Iterator[str]:
    for stored in storage.list_keys():
        report.objects_seen += 1
        if stored.modified >= cutoff:
            report.objects_young += 1
            continue
        yield stored.key


def sweep(
    session: Session,
    storage: ContentStorage,
    *,
    grace: timedelta,
    upload_expiry: timedelta,
    now: datetime | None = None,
    tenant: str = "",
) -> SweepReport:
    """Run the three steps for one tenant (see the module docstring); ``now`` is injectable for tests."""
    moment = now or datetime.now(UTC)
    report = SweepReport()
    report.uploads_expired = expire_uploads(session, moment, upload_expiry)
    purged = content.purge_orphans(session, storage)
    report.orphans_purged, report.orphans_failed = purged.removed, purged.failed
    sweep_storage(session, storage, moment - grace, report)
    log.info("documenten_content_swept", tenant=tenant, **asdict(report))
    return report


def sweep_tenant(runtime: Runtime, tenant: TenantInfo, now: datetime | None = None) -> SweepReport:
    """The sweep of one registered tenant with the runtime's settings (Celery task and in-process thread)."""
    settings = runtime.settings
    with Session(runtime.engines.get(tenant.database_url)) as session:
        return sweep(
            session,
            storage_for(settings, tenant.slug),
            grace=timedelta(seconds=settings.document_orphan_grace_seconds),
            upload_expiry=timedelta(seconds=settings.document_upload_expiry_seconds),
            now=now,
            tenant=tenant.slug,
        )


def sweep_all(runtime: Runtime, tenants: Iterable[TenantInfo]) -> int:
    """Sweep each tenant in turn (a failing one is logged and skipped); returns how many were swept."""
    swept = 0
    for tenant in tenants:
        try:
            sweep_tenant(runtime, tenant)
        except Exception:
            log.exception("documenten_sweep_failed", tenant=tenant.slug)
            continue
        swept += 1
    return swept
