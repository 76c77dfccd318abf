"""Upload and download of one large document through the live Documenten API.

Starts its own PostgreSQL (and MinIO with ``--backend s3``), one tenant with a published informatieobjecttype,
and the runtime as a separate uvicorn process on 127.0.0.1 (``tenant_runtime.main:app_from_env``). Then, per
mode:

* **inhoud**: ``POST /enkelvoudiginformatieobjecten`` with the content base64-encoded in the JSON body, streamed
  from a generator (the client never holds the document either);
* **bestandsdelen**: create with ``bestandsomvang``, ``PUT`` every bestandsdeel (multipart), unlock;

followed by a streamed ``GET .../download`` whose SHA-256 must equal the uploaded one. It prints MB/s for each
transfer and the server process's peak resident memory (``VmHWM``), which shows the content never sits in
memory as a whole.

``python -m bench documenten-transfer [--size-mb 1024] [--backend local|s3] [--modes inhoud,bestandsdelen]``
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
from sqlalchemy.orm import Session

from tenant_runtime.autorisaties import admin as autorisaties_admin
from tenant_runtime.catalogi.models import Catalogus, InformatieObjectType
from tenant_runtime.config import RuntimeSettings
from tenant_runtime.container import build_runtime
from tenant_runtime.tenants import service
from tests.fixtures.processes import ManagedProcess, free_port
from tests.fixtures.services import MinioServer, PostgresServer

MIB = 1024 * 1024
RSIN = "002220647"
# The generated content repeats one random block, varied per block so no two blocks are equal; 3 MiB keeps base64
# chunks aligned (a multiple of 3 bytes encodes without padding).
BLOCK = 3 * MIB
PART_SIZE = 64 * MIB


def _content(size: int) -> Iterator[bytes]:
    seed = os.urandom(BLOCK)
    sent = 0
    index = 0
    while sent < size:
        block = index.to_bytes(8, "big") + seed[8:]
        block = block[: min(BLOCK, size - sent)]
        sent += len(block)
        index += 1
        yield block


@dataclass
class Result:
    mode: str
    upload_seconds: float
    download_seconds: float
    size: int

    def cells(self) -> list[str]:
        mb = self.size / MIB
        return [
            self.mode,
            f"{mb:.0f}",
            f"{self.upload_seconds:.1f}",
            f"{mb / self.upload_seconds:.0f}",
            f"{self.download_seconds:.1f}",
            f"{mb / self.download_seconds:.0f}",
        ]


def _rss_peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _rss_now_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Bench:
    def __init__(self, workdir: Path, backend: str) -> None:
        services = workdir / "services"
        services.mkdir()
        services.chmod(0o755)
        (services / "postgres").mkdir()
        self.postgres = PostgresServer.start(services / "postgres")
        self.minio: MinioServer | None = None
        env: dict[str, str] = {}
        if backend == "s3":
            (services / "minio").mkdir()
            self.minio = MinioServer.start(services / "minio")
            env = {
                "ZGW_RUNTIME_STORAGE_BACKEND": "s3",
                "ZGW_RUNTIME_STORAGE_S3_ENDPOINT_URL": self.minio.endpoint,
                "ZGW_RUNTIME_STORAGE_S3_ACCESS_KEY": self.minio.access_key,
                "ZGW_RUNTIME_STORAGE_S3_SECRET_KEY": self.minio.secret_key,
                "ZGW_RUNTIME_STORAGE_S3_BUCKET": "bench-documenten",
            }
        registry_url = self.postgres.create_database("registry")
        settings = RuntimeSettings(environment="test", data_dir=workdir, registry_url=registry_url)
        service.migrate_registry(registry_url)
        runtime = build_runtime(settings)
        tenant = service.create_tenant(
            runtime.registry, slug="bench", name="Gemeente Bench", database_url=self.postgres.create_database("t")
        )
        secret = autorisaties_admin.generate_secret()
        with Session(runtime.engines.get(tenant.database_url)) as session, session.begin():
            catalogus = Catalogus(domein="BENCH", rsin=RSIN, contactpersoon_beheer_naam="Bench")
            iot = InformatieObjectType(
                catalogus=catalogus,
                concept=False,
                omschrijving="Bench",
                vertrouwelijkheidaanduiding="openbaar",
                informatieobjectcategorie="bench",
                datum_begin_geldigheid=date(2024, 1, 1),
            )
            session.add(iot)
            session.flush()
            iot_uuid = iot.uuid
            autorisaties_admin.upsert_application(
                session,
                autorisaties_admin.ApplicationSpec(
                    client_id="bench", label="bench", heeft_alle_autorisaties=True, autorisaties=[]
                ),
            )
            autorisaties_admin.add_credential(session, "bench", secret)
        runtime.close()
        token = autorisaties_admin.make_jwt("bench", secret)
        self.headers = {"Authorization": f"Bearer {token}"}

        port = free_port()
        self.base = f"http://127.0.0.1:{port}/t/bench"
        self.iot = f"{self.base}/catalogi/api/v1/informatieobjecttypen/{iot_uuid}"
        env.update(
            ZGW_RUNTIME_ENVIRONMENT="test",
            ZGW_RUNTIME_DATA_DIR=str(workdir),
            ZGW_RUNTIME_REGISTRY_URL=registry_url,
            ZGW_RUNTIME_DELIVERY_IN_PROCESS="false",
            ZGW_RUNTIME_DOCUMENT_PART_SIZE=str(PART_SIZE),
            ZGW_RUNTIME_LOG_LEVEL="WARNING",
        )
        argv = [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "tenant_runtime.main:app_from_env",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ]
        self.server = ManagedProcess("runtime", argv, workdir, env=env)
        self.server.wait_ready(self._ready, timeout=60)
        self.pid = self.server.process.pid
        self.http = httpx.Client(timeout=httpx.Timeout(600.0, connect=10.0))

    def _ready(self) -> bool:
        try:
            return httpx.get(self.base.rsplit("/t/", 1)[0] + "/healthz", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    def _metadata(self, **extra: object) -> dict[str, object]:
        return {
            "bronorganisatie": RSIN,
            "creatiedatum": "2024-05-01",
            "titel": "Groot document",
            "auteur": "Bench",
            "taal": "nld",
            "informatieobjecttype": self.iot,
            "bestandsnaam": "groot.bin",
            **extra,
        }

    def upload_inhoud(self, size: int) -> tuple[str, str]:
        digest = hashlib.sha256()
        prefix = json.dumps(self._metadata()).encode()[:-1] + b', "inhoud": "'

        def body() -> Iterator[bytes]:
            yield prefix
            for block in _content(size):
                digest.update(block)
                yield base64.b64encode(block)
            yield b'"}'

        response = self.http.post(
            f"{self.base}/documenten/api/v1/enkelvoudiginformatieobjecten",
            content=body(),
            headers={**self.headers, "Content-Type": "application/json"},
        )
        response.raise_for_status()
        return str(response.json()["url"]), digest.hexdigest()

    def upload_parts(self, size: int) -> tuple[str, str]:
        response = self.http.post(
            f"{self.base}/documenten/api/v1/enkelvoudiginformatieobjecten",
            json=self._metadata(bestandsomvang=size),
            headers=self.headers,
        )
        response.raise_for_status()
        created = response.json()
        digest = hashlib.sha256()
        blocks = _content(size)
        pending = b""
        for deel in created["bestandsdelen"]:
            with tempfile.TemporaryFile() as part:
                written = 0
                while written < deel["omvang"]:
                    if not pending:
                        pending = next(blocks)
                    take = pending[: deel["omvang"] - written]
                    pending = pending[len(take) :]
                    part.write(take)
                    digest.update(take)
                    written += len(take)
                part.seek(0)
                put = self.http.put(
                    deel["url"], files={"inhoud": ("deel", part)}, data={"lock": created["lock"]}, headers=self.headers
                )
                put.raise_for_status()
        unlock = self.http.post(f"{created['url']}/unlock", json={"lock": created["lock"]}, headers=self.headers)
        unlock.raise_for_status()
        return str(created["url"]), digest.hexdigest()

    def download(self, url: str) -> tuple[int, str]:
        digest = hashlib.sha256()
        size = 0
        with self.http.stream("GET", f"{url}/download", headers=self.headers) as response:
            response.raise_for_status()
            for chunk in response.iter_bytes(MIB):
                digest.update(chunk)
                size += len(chunk)
        return size, digest.hexdigest()

    def run(self, mode: str, size: int) -> Result:
        started = time.perf_counter()
        url, uploaded = self.upload_inhoud(size) if mode == "inhoud" else self.upload_parts(size)
        upload_seconds = time.perf_counter() - started
        started = time.perf_counter()
        received, downloaded = self.download(url)
        download_seconds = time.perf_counter() - started
        if received != size or downloaded != uploaded:
            raise SystemExit(f"{mode}: downloaded content differs ({received} bytes, sha256 {downloaded})")
        self.http.delete(url, headers=self.headers).raise_for_status()
        return Result(mode, upload_seconds, download_seconds, size)

    def close(self) -> None:
        self.http.close()
        self.server.stop()
        if self.minio is not None:
            self.minio.stop()
        self.postgres.stop()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench documenten-transfer", description=__doc__)
    parser.add_argument("--size-mb", type=int, default=1024, help="document size in MiB")
    parser.add_argument("--backend", choices=("local", "s3"), default="local", help="content storage backend")
    parser.add_argument("--modes", default="inhoud,bestandsdelen", help="upload modes, comma-separated")
    args = parser.parse_args(argv)
    size = args.size_mb * MIB

    workdir = Path(tempfile.mkdtemp(prefix="zgw-test-services-bench-drc-"))
    workdir.chmod(0o755)
    bench = Bench(workdir, args.backend)
    rows: list[Result] = []
    try:
        idle_mb = _rss_now_mb(bench.pid)
        for mode in (m for m in args.modes.split(",") if m):
            rows.append(bench.run(mode, size))
        peak_mb = _rss_peak_mb(bench.pid)
    finally:
        bench.close()
        shutil.rmtree(workdir, ignore_errors=True)

    print(f"\nDocumenten transfer — {os.cpu_count()} CPUs, storage backend {args.backend}, uvicorn on 127.0.0.1")
    header = ["upload mode", "MiB", "upload s", "upload MB/s", "download s", "download MB/s"]
    table = [header, *(row.cells() for row in rows)]
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    for index, cells in enumerate(table):
        print("  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))))
        if index == 0:
            print("  ".join("-" * w for w in widths))
    print(f"server RSS: {idle_mb:.0f} MiB after start, peak {peak_mb:.0f} MiB (VmHWM) over all transfers")
    print("(MB/s = MiB of document content per second; the inhoud upload sends ~4/3 of that as base64 JSON)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
