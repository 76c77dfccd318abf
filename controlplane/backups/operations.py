"""What a backup, a restore and an export do with a tenant's data — without the control-plane records around
them (``service``/``jobs`` keep those). Works on a ``TenantSpec``, so a drill's scratch tenant (which has no
tenant record) is restored the same way as a real one."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import tarfile
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import structlog
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

import tenant_runtime
from controlplane.backups import archive, crypto
from controlplane.backups.content import content_storage
from controlplane.backups.interfaces import BackupTarget
from controlplane.backups.targets import build_target
from controlplane.config import Settings
from controlplane.drivers.databases import Snapshot, TenantDatabases
from controlplane.drivers.interfaces import TemporaryError, TenantSpec
from tenant_runtime.db.engines import build_engine
from tenant_runtime.storage import ContentStorage
from tenant_runtime.storage.local import LocalStorage
from tenant_runtime.storage.s3 import S3Storage
from tenant_runtime.tenants.service import tenant_alembic_config

log = structlog.get_logger(__name__)

# The record counts a manifest carries (drills compare them with what the restored APIs report).
COUNTED_TABLES = {"zaken": "zaken_zaak", "documenten": "documenten_informatieobject", "besluiten": "besluiten_besluit"}
VERSIONS = "documenten_informatieobject_versie"
CONTENT_SQL = (
    f"SELECT content_key, max(bestandsomvang), max(content_sha256) FROM {VERSIONS} "  # noqa: S608 - constant names
    "WHERE content_key <> '' AND upload_id = '' GROUP BY content_key ORDER BY content_key"
)
METADATA_SQL = (
    "SELECT io.uuid, v.versie, v.identificatie, v.titel, v.bestandsnaam, v.formaat, v.content_key, "
    "v.bestandsomvang, v.content_sha256 FROM documenten_informatieobject_versie v "
    "JOIN documenten_informatieobject io ON io.id = v.informatieobject_id ORDER BY io.uuid, v.versie"
)
EXPORT_FORMAT = "zgw-cloud-export"


def backup_prefix(tenant_id: uuid.UUID, backup_id: uuid.UUID) -> str:
    return f"tenants/{tenant_id}/backups/{backup_id}/"


def export_key(tenant_id: uuid.UUID, export_id: uuid.UUID) -> str:
    return f"tenants/{tenant_id}/exports/{export_id}.tar.zgwenc"


@dataclass(frozen=True)
class Captured:
    format: str
    dump_file: Path
    heads: list[str]
    counts: dict[str, int]
    documents: list[archive.Document]
    metadata: list[dict[str, Any]]  # per document version (exports)


def _capture(snap: Snapshot, *, with_metadata: bool = False) -> Captured:
    counts = {
        name: int(snap.rows(f"SELECT count(*) FROM {table}")[0][0]) if snap.table_exists(table) else 0  # noqa: S608
        for name, table in COUNTED_TABLES.items()
    }
    documents: list[archive.Document] = []
    metadata: list[dict[str, Any]] = []
    if snap.table_exists(VERSIONS):
        documents = [
            archive.Document(str(k), None if s is None else int(s), str(h or "")) for k, s, h in snap.rows(CONTENT_SQL)
        ]
        if with_metadata:
            rows = snap.rows(METADATA_SQL)
            metadata = [
                {"informatieobject": str(u), "versie": int(n), "identificatie": i, "titel": t, "bestandsnaam": b,
                 "formaat": f, "file": f"documents/{k}" if k else None, "bestandsomvang": s, "sha256": h or None}
                for u, n, i, t, b, f, k, s, h in rows
            ]  # fmt: skip
    return Captured(snap.format, snap.dump_file, snap.heads(), counts, documents, metadata)


def _still_referenced(databases: TenantDatabases, tenant: TenantSpec) -> Any:
    engine = build_engine(databases.database_url(tenant), pooled=False)

    def check(key: str) -> bool:
        with engine.connect() as connection:
            found = connection.execute(text(f"SELECT 1 FROM {VERSIONS} WHERE content_key = :k LIMIT 1"), {"k": key})  # noqa: S608
            return found.first() is not None

    return check


@dataclass(frozen=True)
class BackupContext:
    settings: Settings
    tenant: TenantSpec
    tenant_id: uuid.UUID
    backup_id: uuid.UUID
    data_key: bytes
    wrapped: crypto.WrappedKey


def take_backup(ctx: BackupContext, now: datetime) -> dict[str, Any]:
    """Write a complete backup (database at one moment + every document object it references) to the target
    and return its sealed manifest. An earlier, interrupted attempt's objects are removed first."""
    settings = ctx.settings
    target = build_target(settings)
    prefix = backup_prefix(ctx.tenant_id, ctx.backup_id)
    target.delete_prefix(prefix)
    work = settings.backup_work_dir / f"backup-{ctx.backup_id}"
    shutil.rmtree(work, ignore_errors=True)
    databases = TenantDatabases(settings)
    storage = content_storage(settings, ctx.tenant.slug)
    chunk = settings.backup_chunk_size
    try:
        with databases.snapshot(ctx.tenant, work) as snap:
            captured = _capture(snap)
        database = archive.encrypt_file(
            target, prefix + archive.DATABASE_OBJECT, captured.dump_file, ctx.data_key, chunk
        )
        captured.dump_file.unlink(missing_ok=True)
        segments = archive.SegmentWriter(target, prefix, ctx.data_key, chunk)
        try:
            documents = archive.write_documents(
                storage,
                captured.documents,
                segments,
                threads=settings.backup_io_threads,
                spool_dir=work / "spool",
                chunk_size=chunk,
                still_referenced=_still_referenced(databases, ctx.tenant),
            )
        except archive.ContentChanged as exc:
            segments.abort()
            raise TemporaryError(f"{exc}; taking the backup again", delay=1) from None
        except BaseException:
            segments.abort()
            raise
        manifest = archive.seal_manifest(
            {
                "format": archive.FORMAT_NAME,
                "version": archive.FORMAT_VERSION,
                "backup_id": str(ctx.backup_id),
                "tenant": {"id": str(ctx.tenant_id), "slug": ctx.tenant.slug, "name": ctx.tenant.name},
                "snapshot_at": now.isoformat(),
                "runtime_version": tenant_runtime.__version__,
                "schema_heads": captured.heads,
                "record_counts": captured.counts,
                "encryption": {
                    "algorithm": crypto.ALGORITHM,
                    "chunk_size": chunk,
                    "key_wrap": crypto.KEY_WRAP,
                    "wrapped_key": ctx.wrapped.wrapped,
                    "platform_key_id": ctx.wrapped.platform_key_id,
                },
                "database": {**database.as_dict(), "format": captured.format},
                "documents": documents,
            },
            ctx.data_key,
        )
        archive.write_manifest(target, prefix, manifest)
        log.info(
            "backup_written",
            tenant=ctx.tenant.slug,
            backup=str(ctx.backup_id),
            database_bytes=database.size,
            documents=documents["count"],
            documents_bytes=documents["bytes"],
        )
        return manifest
    finally:
        shutil.rmtree(work, ignore_errors=True)


def stored_bytes(manifest: dict[str, Any]) -> int:
    parts = [manifest["database"], *manifest["documents"]["segments"]]
    return sum(int(p["stored_size"]) for p in parts)


# --- verification ---------------------------------------------------------------------------------
def known_revisions() -> set[str]:
    """Every tenant-schema revision the installed runtime knows."""
    script = ScriptDirectory.from_config(tenant_alembic_config("sqlite://"))
    return {r.revision for r in script.walk_revisions()}


def newer_schema(heads: list[str]) -> list[str]:
    """The backup's schema revisions this runtime does not know (the backup is from a newer runtime)."""
    known = known_revisions()
    return sorted(h for h in heads if h not in known)


@dataclass(frozen=True)
class Opened:
    target: BackupTarget
    prefix: str
    manifest: dict[str, Any]
    data_key: bytes


def open_backup(
    settings: Settings, tenant_id: uuid.UUID, backup_id: uuid.UUID, summary: dict[str, Any] | None
) -> Opened:
    """Read and authenticate a backup's manifest; it must match what the control plane recorded."""
    target = build_target(settings)
    prefix = backup_prefix(tenant_id, backup_id)
    manifest = archive.read_manifest(target, prefix)
    encryption = manifest["encryption"]
    wrapped = crypto.WrappedKey(encryption["wrapped_key"], encryption["platform_key_id"])
    try:
        data_key = crypto.unwrap(wrapped, settings.backup_platform_keys(), manifest["tenant"]["id"])
    except crypto.DecryptionError as exc:
        raise archive.BackupCorrupt(str(exc)) from None
    archive.check_manifest(manifest, data_key)
    if summary is not None and archive.summary(manifest) != summary:
        raise archive.BackupCorrupt("the stored manifest differs from the one the control plane recorded")
    return Opened(target, prefix, manifest, data_key)


def verify_backup(opened: Opened) -> None:
    """Every stored part's size and SHA-256 against the manifest (nothing is touched before this passes)."""
    archive.verify_objects(opened.target, opened.prefix, opened.manifest)
    too_new = newer_schema(opened.manifest["schema_heads"])
    if too_new:
        raise SchemaTooNew(too_new)


class SchemaTooNew(Exception):
    def __init__(self, revisions: list[str]) -> None:
        super().__init__(
            f"the backup's schema ({', '.join(revisions)}) is newer than this runtime "
            f"({tenant_runtime.__version__}) knows; restore it with a runtime of that release"
        )
        self.revisions = revisions


# --- restoring ------------------------------------------------------------------------------------
def staged_dump(settings: Settings, restore_id: uuid.UUID, fmt: str) -> Path:
    suffix = ".sqlite3" if fmt == "sqlite3" else ".dump"
    return settings.backup_work_dir / f"restore-{restore_id}" / f"database{suffix}"


def decrypt_database(opened: Opened, destination: Path) -> str:
    part = opened.manifest["database"]
    archive.decrypt_to_file(opened.target, opened.prefix + part["object"], destination, opened.data_key, part)
    return str(part["format"])


def restore_database(
    settings: Settings, opened: Opened, tenant: TenantSpec, restore_id: uuid.UUID, *, staging: bool
) -> None:
    """Decrypt the dump and restore it: into the tenant's own new database, or its staging database."""
    dump = staged_dump(settings, restore_id, opened.manifest["database"]["format"])
    fmt = decrypt_database(opened, dump)
    TenantDatabases(settings).restore_dump(tenant, dump, fmt, staging=staging)
    if not (staging and fmt == "sqlite3"):  # a staged SQLite file is needed until it is swapped in
        shutil.rmtree(dump.parent, ignore_errors=True)


def swap_in(settings: Settings, opened: Opened, tenant: TenantSpec, restore_id: uuid.UUID) -> None:
    dump = staged_dump(settings, restore_id, opened.manifest["database"]["format"])
    databases = TenantDatabases(settings)
    if databases.server_url is None and not dump.exists():  # resumed on another machine or after a clean-up
        decrypt_database(opened, dump)
    databases.swap_in(tenant, dump)
    shutil.rmtree(dump.parent, ignore_errors=True)


def _write_object(storage: ContentStorage, key: str, data: bytes | Iterator[bytes], expected: str) -> int:
    writer = storage.writer(key)
    try:
        if isinstance(data, bytes):
            writer.write(data)
        else:
            for chunk in data:
                writer.write(chunk)
        stored = writer.commit()
    except BaseException:
        writer.abort()
        raise
    if expected and stored.sha256 != expected:
        raise archive.BackupCorrupt(f"document {key}: restored content does not match its SHA-256")
    return stored.size


def _member_chunks(handle: IO[bytes], chunk_size: int) -> Iterator[bytes]:
    while chunk := handle.read(chunk_size):
        yield chunk


def restore_documents(settings: Settings, opened: Opened, tenant: TenantSpec) -> dict[str, int]:
    """Write every document object of the backup into the tenant's content storage (same keys)."""
    storage = content_storage(settings, tenant.slug)
    expected = {item["key"]: item["sha256"] for item in opened.manifest["documents"]["items"]}
    written, total = 0, 0
    threads = settings.backup_io_threads
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="restore-write") as pool:
        pending: list[Future[int]] = []
        try:
            for member, tar in archive.iter_documents(opened.target, opened.prefix, opened.manifest, opened.data_key):
                handle = tar.extractfile(member)
                assert handle is not None
                sha = expected.get(member.name, "")
                if member.size <= archive.IN_MEMORY_LIMIT:
                    pending.append(pool.submit(_write_object, storage, member.name, handle.read(), sha))
                else:
                    total += _write_object(
                        storage, member.name, _member_chunks(handle, settings.backup_chunk_size), sha
                    )
                    written += 1
                while len(pending) >= threads * 2:
                    total += pending.pop(0).result()
                    written += 1
            for future in pending:
                total += future.result()
                written += 1
        except crypto.DecryptionError as exc:
            raise archive.BackupCorrupt(str(exc)) from None
        finally:
            for future in pending:
                future.cancel()
    if written != len(expected):
        raise archive.BackupCorrupt(f"{written} documents restored, the manifest lists {len(expected)}")
    log.info("backup_documents_restored", tenant=tenant.slug, documents=written, bytes=total)
    return {"documents": written, "bytes": total}


def prepare_restored(settings: Settings, tenant: TenantSpec, *, detach_notifications: bool) -> None:
    """Make a restored database fit to serve: uploads in bestandsdelen that were unfinished at the backup get
    a fresh (empty) upload (their parts must be sent again); a clone drops the source's abonnementen so it
    never notifies the source's subscribers."""
    databases = TenantDatabases(settings)
    storage = content_storage(settings, tenant.slug)
    engine = build_engine(databases.database_url(tenant), pooled=False)
    try:
        with engine.begin() as connection:
            pending = connection.execute(
                text(f"SELECT id, content_key FROM {VERSIONS} WHERE upload_id <> ''")  # noqa: S608
            ).all()
            for version_id, key in pending:
                connection.execute(
                    text(f"UPDATE {VERSIONS} SET upload_id = :u WHERE id = :i"),  # noqa: S608
                    {"u": storage.start_parts(key), "i": version_id},
                )
                connection.execute(
                    text("UPDATE documenten_bestandsdeel SET voltooid = false, part_token = '', sha256 = '' "
                         "WHERE versie_id = :i"),
                    {"i": version_id},
                )  # fmt: skip
            if detach_notifications:
                for table in ("notificaties_delivery_attempt", "notificaties_delivery",
                              "notificaties_abonnement_kanaal", "notificaties_abonnement"):  # fmt: skip
                    connection.execute(text(f"DELETE FROM {table}"))  # noqa: S608 - constant names
    finally:
        engine.dispose()


def count_records(settings: Settings, tenant: TenantSpec) -> dict[str, int]:
    engine = build_engine(TenantDatabases(settings).database_url(tenant), pooled=False)
    try:
        with engine.connect() as connection:
            return {
                name: int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar() or 0)  # noqa: S608
                for name, table in COUNTED_TABLES.items()
            }
    finally:
        engine.dispose()


def document_keys(settings: Settings, tenant: TenantSpec) -> list[str]:
    """Every content key the tenant database's document versions name (finished or still being uploaded);
    [] when the database or its documents table does not exist."""
    databases = TenantDatabases(settings)
    try:
        if not databases.exists(tenant):
            return []
    finally:
        databases.close()
    engine = build_engine(databases.database_url(tenant), pooled=False)
    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table(VERSIONS):
                return []
            rows = connection.execute(
                text(f"SELECT DISTINCT content_key FROM {VERSIONS} WHERE content_key <> ''")  # noqa: S608
            )
            return sorted(str(row[0]) for row in rows)
    finally:
        engine.dispose()


def _sweep_s3(storage: S3Storage) -> int:
    """Delete every object and abort every unfinished upload below the storage's prefix (all of its bucket when
    the bucket is the tenant's own): what no document version names any more goes too."""
    client, bucket, prefix = storage.client, storage.bucket, storage.prefix
    for uploads in client.get_paginator("list_multipart_uploads").paginate(Bucket=bucket, Prefix=prefix):
        for upload in uploads.get("Uploads", []):
            client.abort_multipart_upload(Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"])
    deleted = 0
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        batch = [{"Key": item["Key"]} for item in page.get("Contents", [])]
        if batch:  # one page holds at most 1000 keys, as many as DeleteObjects takes
            client.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})  # type: ignore[typeddict-item]
            deleted += len(batch)
    return deleted


def delete_documents(settings: Settings, tenant: TenantSpec, keys: list[str]) -> None:
    """Remove a tenant's document objects (a drill's scratch tenant, or a purged tenant): the named keys, then
    whatever else its content storage holds (its directory; its S3 prefix or bucket). Idempotent."""
    storage = content_storage(settings, tenant.slug)
    with ThreadPoolExecutor(max_workers=settings.backup_io_threads, thread_name_prefix="documents-delete") as pool:
        list(pool.map(storage.delete, keys))
    swept = 0
    if isinstance(storage, LocalStorage):
        shutil.rmtree(storage.root, ignore_errors=True)
    elif isinstance(storage, S3Storage):
        swept = _sweep_s3(storage)
    log.info("tenant_documents_deleted", tenant=tenant.slug, documents=len(keys), swept=swept)


# --- exports --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ExportResult:
    size: int
    sha256: str
    documents: int
    counts: dict[str, int]


def write_export(
    settings: Settings, tenant: TenantSpec, tenant_info: dict[str, Any], key: str, data_key: bytes, now: datetime
) -> ExportResult:
    """A tar archive (database dump, ``documents/<key>`` per document object, ``documents.json`` with the
    document versions, ``index.json`` last) streamed encrypted into the target under ``key``."""
    target = build_target(settings)
    work = settings.backup_work_dir / f"export-{hashlib.sha256(key.encode()).hexdigest()[:16]}"
    shutil.rmtree(work, ignore_errors=True)
    databases = TenantDatabases(settings)
    storage = content_storage(settings, tenant.slug)
    chunk = settings.backup_chunk_size
    writer = target.writer(key)
    try:
        with databases.snapshot(tenant, work) as snap:
            captured = _capture(snap, with_metadata=True)
        encrypting = crypto.EncryptingWriter(writer, data_key, chunk)
        tar = tarfile.open(fileobj=encrypting, mode="w|", format=tarfile.PAX_FORMAT)  # type: ignore[call-overload]  # noqa: SIM115
        database_name = "database.sqlite3" if captured.format == "sqlite3" else "database.dump"
        digest = hashlib.sha256()
        with captured.dump_file.open("rb") as handle:
            for piece in iter(lambda: handle.read(chunk), b""):
                digest.update(piece)
        database_size = captured.dump_file.stat().st_size
        info = tarfile.TarInfo(database_name)
        info.size, info.mode, info.mtime = database_size, 0o600, int(now.timestamp())
        with captured.dump_file.open("rb") as handle:
            tar.addfile(info, handle)
        captured.dump_file.unlink(missing_ok=True)
        documents = archive.write_documents(
            storage,
            captured.documents,
            archive.TarMembers(tar, "documents/", int(now.timestamp())),
            threads=settings.backup_io_threads,
            spool_dir=work / "spool",
            chunk_size=chunk,
            still_referenced=_still_referenced(databases, tenant),
        )

        def add_json(name: str, document: object) -> None:
            raw = json.dumps(document, indent=1, sort_keys=True, default=str).encode()
            member = tarfile.TarInfo(name)
            member.size, member.mode, member.mtime = len(raw), 0o600, int(now.timestamp())
            tar.addfile(member, io.BytesIO(raw))

        add_json("documents.json", captured.metadata)
        add_json(
            "index.json",
            {
                "format": EXPORT_FORMAT,
                "version": 1,
                "created_at": now.isoformat(),
                "tenant": tenant_info,
                "runtime_version": tenant_runtime.__version__,
                "schema_heads": captured.heads,
                "record_counts": captured.counts,
                "database": {"file": database_name, "format": captured.format, "size": database_size,
                             "sha256": digest.hexdigest()},
                "documents": {"count": documents["count"], "bytes": documents["bytes"], "index": "documents.json",
                              "files": [{"file": f"documents/{i['key']}", "size": i["size"], "sha256": i["sha256"]}
                                        for i in documents["items"]],
                              "missing": documents["missing"]},
            },
        )  # fmt: skip
        tar.close()
        encrypting.close()
        writer.commit()
    except archive.ContentChanged as exc:
        writer.abort()
        raise TemporaryError(f"{exc}; exporting again", delay=1) from None
    except BaseException:
        writer.abort()
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    log.info("tenant_export_written", tenant=tenant.slug, bytes=encrypting.size, documents=documents["count"])
    return ExportResult(encrypting.size, encrypting.sha256, documents["count"], captured.counts)


def read_export(settings: Settings, key: str, data_key: bytes) -> Iterator[bytes]:
    """The export archive, decrypted as it streams."""
    return crypto.decrypt(build_target(settings).read(key), data_key)
