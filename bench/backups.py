"""Backup and restore of one large tenant, through the production code path.

Starts its own PostgreSQL and MinIO (``tests/fixtures/services.py``) and the shared tenant runtime as its own
process (uvicorn; its document content on MinIO). One tenant is provisioned by the control plane's job runner,
then filled: the catalogue and ``--zaken`` zaken (default 100,000) with the zaken bulk loader of
``bench/zaken_api.py``, and ``--documents`` documents (default 10,000) of random content totalling ``--gigabytes``
(default 1 GB) written to the content storage with their Documenten rows. Then, in this process:

* **backup** — ``backup_now``: consistent snapshot + ``pg_dump``, every document object into encrypted tar
  segments on MinIO (AES-256-GCM, 1 MiB chunks), manifest, read back and checked;
* **restore** — ``restore_in_place``: verify every checksum, stage the database, maintenance, swap, write every
  document object back, credentials, record counts, active, a real ZGW call.

Reported: duration, throughput (document bytes + dump per second), the tenant's time in maintenance and the
peak resident memory of this process during each (sampled every 20 ms; the baseline before it shown apart).
Targets: backup ≤ 60 s, restore ≤ 120 s.

``python -m bench backups [--zaken 100000] [--documents 10000] [--gigabytes 1.0] [--io-threads 8]``
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from bench.zaken_api import _seed_catalog, bulk_load_zaken
from controlplane.accounts.actors import SYSTEM
from controlplane.backups import service
from controlplane.backups.content import content_storage
from controlplane.backups.models import Backup, Restore
from controlplane.cli import migrate_controlplane
from controlplane.config import Settings
from controlplane.container import build_controlplane
from controlplane.credentials.service import new_secret, spec_of
from controlplane.drivers.databases import TenantDatabases
from controlplane.jobs import runner
from controlplane.jobs.models import JobKind, JobStatus
from controlplane.tenants import service as tenants
from controlplane.tenants.models import Plan, Tenant, TenantState, Tier
from tenant_runtime.catalogi.models import Catalogus, InformatieObjectType
from tenant_runtime.db.engines import build_engine
from tenant_runtime.documenten.models import InformatieObject, InformatieObjectVersie
from tenant_runtime.tenants.service import migrate_registry
from tests.fixtures.processes import ManagedProcess, free_port
from tests.fixtures.services import MinioServer, PostgresServer

BENCH_KEY = "zP3o0sVt0H8oX3f3a0m0b3Yy6c5V7Qe6J2pQm3JrXx8="  # a fixed Fernet key, benchmark only
RSIN = "002220647"


def _rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


@dataclass
class Measured:
    seconds: float
    baseline_mib: float
    peak_mib: float


@contextmanager
def measured() -> Iterator[Callable[[], Measured]]:
    """Time a block and sample this process's resident memory every 20 ms while it runs."""
    baseline = _rss_mib()
    peak = [baseline]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.02):
            peak[0] = max(peak[0], _rss_mib())

    thread = threading.Thread(target=sample, daemon=True)
    started = time.monotonic()
    thread.start()
    result: list[Measured] = []
    try:
        yield lambda: result[0]
    finally:
        stop.set()
        thread.join()
        result.append(Measured(time.monotonic() - started, baseline, max(peak[0], _rss_mib())))


def _storage_env(minio: MinioServer, bucket: str) -> dict[str, str]:
    return {
        "ZGW_RUNTIME_STORAGE_BACKEND": "s3",
        "ZGW_RUNTIME_STORAGE_S3_ENDPOINT_URL": minio.endpoint,
        "ZGW_RUNTIME_STORAGE_S3_ACCESS_KEY": minio.access_key,
        "ZGW_RUNTIME_STORAGE_S3_SECRET_KEY": minio.secret_key,
        "ZGW_RUNTIME_STORAGE_S3_BUCKET": bucket,
    }


def _load_documents(settings: Settings, tenant: Tenant, count: int, total_bytes: int, threads: int) -> float:
    """``count`` documents of random content (``total_bytes`` together) in the content storage and their rows."""
    spec = spec_of(tenant)
    storage = content_storage(settings, tenant.slug)
    size = total_bytes // count
    started = time.monotonic()

    def put(number: int) -> tuple[str, str]:
        key = f"{number % 256:02x}/bench-{number:08d}"
        data = os.urandom(size)
        writer = storage.writer(key)
        writer.write(data)
        writer.commit()
        return key, hashlib.sha256(data).hexdigest()

    with ThreadPoolExecutor(max_workers=threads) as pool:
        stored = list(pool.map(put, range(count)))
    engine = build_engine(TenantDatabases(settings).database_url(spec), pooled=False)
    with Session(engine) as session, session.begin():
        iot = InformatieObjectType(
            catalogus=session.scalar(select(Catalogus)), concept=False, omschrijving="bench",
            vertrouwelijkheidaanduiding="openbaar", informatieobjectcategorie="brief",
            datum_begin_geldigheid=date(2020, 1, 1),
        )  # fmt: skip
        session.add(iot)
        session.flush()
        for start in range(0, count, 1000):
            batch = range(start, min(count, start + 1000))
            ids = session.scalars(
                insert(InformatieObject).returning(InformatieObject.id),
                [{"uuid": uuid.uuid4(), "informatieobjecttype_id": iot.id, "vertrouwelijkheidaanduiding": "openbaar",
                  "versie": 1} for _ in batch],
            ).all()  # fmt: skip
            session.execute(
                insert(InformatieObjectVersie),
                [{"informatieobject_id": ids[i], "versie": 1, "identificatie": f"DOC-{n:08d}", "bronorganisatie": RSIN,
                  "creatiedatum": date(2024, 5, 1), "titel": f"Document {n}", "vertrouwelijkheidaanduiding": "openbaar",
                  "auteur": "bench", "taal": "nld", "bestandsnaam": f"document-{n}.bin", "bestandsomvang": size,
                  "content_key": stored[n][0], "content_sha256": stored[n][1], "trefwoorden": []}
                 for i, n in enumerate(batch)],
            )  # fmt: skip
    engine.dispose()
    return time.monotonic() - started


def _run(cp: object, job_id: uuid.UUID) -> None:
    from controlplane.drivers.interfaces import TemporaryError

    for _ in range(30):
        try:
            assert runner.run(cp, job_id) is JobStatus.SUCCEEDED  # type: ignore[arg-type]
            return
        except TemporaryError:
            time.sleep(0.5)
    raise RuntimeError("provisioning did not finish")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench backups", description=__doc__)
    parser.add_argument("--zaken", type=int, default=100_000)
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument("--gigabytes", type=float, default=1.0, help="total document content (10^9 bytes)")
    parser.add_argument("--io-threads", type=int, default=8, help="ZGW_BACKUP_IO_THREADS")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="zgw-test-services-bench-"))
    workdir.chmod(0o755)
    (workdir / "postgres").mkdir()
    (workdir / "minio").mkdir()
    postgres = PostgresServer.start(workdir / "postgres")
    minio = MinioServer.start(workdir / "minio")
    runtime_process: ManagedProcess | None = None
    notes: list[str] = []
    try:
        registry = postgres.create_database("registry")
        migrate_registry(registry)
        storage_env = _storage_env(minio, "bench-documenten")
        os.environ.update(storage_env)  # the control plane reads the runtime's storage settings too
        port = free_port()
        runtime_process = ManagedProcess(
            "runtime",
            [sys.executable, "-m", "uvicorn", "--factory", "tenant_runtime.main:app_from_env", "--host", "127.0.0.1",
             "--port", str(port), "--no-access-log", "--log-level", "warning"],
            workdir,
            env={"ZGW_RUNTIME_ENVIRONMENT": "test", "ZGW_RUNTIME_DATA_DIR": str(workdir / "runtime"),
                 "ZGW_RUNTIME_REGISTRY_URL": registry, "ZGW_RUNTIME_REGISTRY_CACHE_SECONDS": "1",
                 "ZGW_RUNTIME_LOG_LEVEL": "WARNING", **storage_env},
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        runtime_process.wait_ready(lambda: httpx.get(f"{base}/healthz", timeout=1).status_code == 200, timeout=60)
        settings = Settings(
            environment="test", encryption_key=BENCH_KEY, secret_key="bench-secret-key-0123456789-abcdefghij",
            data_dir=workdir / "cp", database_url=postgres.create_database("cp"), runtime_data_dir=workdir / "runtime",
            runtime_registry_url=registry, runtime_public_url=base, backup_target="s3",
            backup_s3_endpoint_url=minio.endpoint, backup_s3_access_key=minio.access_key,
            backup_s3_secret_key=minio.secret_key, backup_s3_bucket="bench-backups", backup_io_threads=args.io_threads,
        )  # fmt: skip
        migrate_controlplane(settings)
        cp = build_controlplane(settings, dispatch=lambda _job: None)
        with cp.sessions() as session:
            plan = Plan(code="basis", name="Basis")
            session.add(plan)
            session.flush()
            tenant = Tenant(
                slug="bench", name="Gemeente Bench", gemeentecode="0999", rsin=RSIN, inhabitants=100_000,
                tier=Tier.SHARED, plan_id=plan.id, state=TenantState.REQUESTED,
                platform_secret_encrypted=settings.fernet().encrypt(new_secret().encode()).decode(),
            )  # fmt: skip
            session.add(tenant)
            session.commit()
            job, _ = tenants.start(cp, session, SYSTEM, tenant, JobKind.PROVISION)
            session.commit()
            job_id, tenant_id = job.id, tenant.id
        _run(cp, job_id)
        with cp.sessions() as session:
            tenant = session.get(Tenant, tenant_id)  # type: ignore[assignment]
            assert tenant is not None
        database_url = TenantDatabases(settings).database_url(spec_of(tenant))
        engine = build_engine(database_url, pooled=False)
        with Session(engine) as session:
            catalog = _seed_catalog(session)
        engine.dispose()
        seconds = bulk_load_zaken(database_url, [z[0] for z in catalog], args.zaken)
        notes.append(f"bulk load of {args.zaken:,} zaken: {seconds:.0f} s")
        total = int(args.gigabytes * 1e9)
        seconds = _load_documents(settings, tenant, args.documents, total, args.io_threads)
        notes.append(f"{args.documents:,} documents, {total / 1e9:.2f} GB random content written: {seconds:.0f} s")

        with cp.sessions() as session, measured() as backup_time:
            row = session.get(Tenant, tenant_id)
            assert row is not None
            backup = service.backup_now(cp, session, row, reason="bench", key="bench")
            backup_id = backup.id
        with cp.sessions() as session:
            backup = session.get(Backup, backup_id)  # type: ignore[assignment]
            assert backup is not None
            moved = backup.documents_bytes + backup.database_bytes
            notes.append(
                f"backup: {backup.documents_count:,} documents, dump {backup.database_bytes / 1e6:.0f} MB, "
                f"stored {backup.stored_bytes / 1e9:.2f} GB, counts {backup.record_counts}"
            )
        with cp.sessions() as session, measured() as restore_time:
            row = session.get(Tenant, tenant_id)
            saved = session.get(Backup, backup_id)
            assert row is not None and saved is not None
            restore = service.restore_in_place(cp, session, row, saved)
            restore_id = restore.id
        with cp.sessions() as session:
            restore = session.get(Restore, restore_id)  # type: ignore[assignment]
            assert restore is not None and restore.maintenance_started_at and restore.maintenance_ended_at
            maintenance = (restore.maintenance_ended_at - restore.maintenance_started_at).total_seconds()
            notes.append(f"restore: counts after {restore.record_counts}")
        cp.close()
    finally:
        if runtime_process is not None:
            runtime_process.stop()
        minio.stop()
        postgres.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    b, r = backup_time(), restore_time()
    print(f"\nBackup and restore — {cpus} CPUs, PostgreSQL + MinIO on loopback, {args.io_threads} I/O threads")
    print(f"{'':10} {'duration':>10} {'throughput':>12} {'peak RSS':>10} {'(before)':>10} {'target':>8}")
    print(f"{'backup':10} {b.seconds:>9.1f}s {moved / b.seconds / 1e6:>9.0f}MB/s {b.peak_mib:>8.0f}MiB "
          f"{b.baseline_mib:>8.0f}MiB {'60 s':>8}")  # fmt: skip
    print(f"{'restore':10} {r.seconds:>9.1f}s {moved / r.seconds / 1e6:>9.0f}MB/s {r.peak_mib:>8.0f}MiB "
          f"{r.baseline_mib:>8.0f}MiB {'120 s':>8}")  # fmt: skip
    print(f"- tenant in maintenance (503) during the restore: {maintenance:.1f} s")
    for note in notes:
        print(f"- {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
