"""Zaken API throughput and latency on PostgreSQL, the anchor being Open Zaak's published figures.

Starts its own PostgreSQL (``tests/fixtures/services.py``), one tenant with 100 published zaaktypen, bulk-loads
``--zaken`` zaken (default 1,000,000) with PostgreSQL ``COPY`` and serves the runtime as ``--server-workers``
single-process replicas on one port (``bench/replica.py``: the kernel spreads connections like a Service).
A load driver (``bench/load.py``, asyncio + httpx, loopback only, bounded in
time) then measures:

* ``POST /zaken`` with 16 users;
* ``GET /zaken`` (100 per page, pages 1–10) for a **restricted** client — autorisaties on 50 of the 100 zaaktypen,
  up to ``zaakvertrouwelijk`` — with 1 and with 16 users;
* ``GET /zaken/{uuid}?expand=zaaktype,status,rollen`` of zaken with a status and two rollen, 1 user.

``python -m bench zaken-api [--zaken 1000000] [--seconds 20] [--server-workers 2]``
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
from sqlalchemy import Table
from sqlalchemy.orm import Session

from bench.load import print_table, run_load
from tenant_runtime.autorisaties import admin as autorisaties_admin
from tenant_runtime.catalogi.models import Catalogus, ResultaatType, RolType, StatusType, ZaakType
from tenant_runtime.config import RuntimeSettings
from tenant_runtime.container import build_runtime
from tenant_runtime.core.vertrouwelijkheid import Vertrouwelijkheid
from tenant_runtime.tenants import service
from tenant_runtime.zaken.models import Zaak
from tests.fixtures.processes import ManagedProcess, free_port
from tests.fixtures.services import PostgresServer

SLUG = "bench"
RSIN = "002220647"
ZAAKTYPEN = 100
LEVELS = [level.value for level in Vertrouwelijkheid]


def _seed_catalog(session: Session) -> list[tuple[int, uuid.UUID, list[uuid.UUID], uuid.UUID]]:
    """100 published zaaktypen, each with 3 statustypen, a roltype and a resultaattype."""
    catalogus = Catalogus(domein="BENCH", rsin=RSIN, contactpersoon_beheer_naam="Bench")
    session.add(catalogus)
    created = []
    for number in range(ZAAKTYPEN):
        zaaktype = ZaakType(
            catalogus=catalogus,
            concept=False,
            identificatie=f"ZT-{number:03d}",
            omschrijving=f"Zaaktype {number}",
            vertrouwelijkheidaanduiding="openbaar",
            doel="doel",
            aanleiding="aanleiding",
            indicatie_intern_of_extern="extern",
            handeling_initiator="aanvragen",
            onderwerp="onderwerp",
            handeling_behandelaar="behandelen",
            doorlooptijd="P30D",
            opschorting_en_aanhouding_mogelijk=False,
            verlenging_mogelijk=False,
            publicatie_indicatie=False,
            producten_of_diensten=["https://example.com/product/1"],
            referentieproces_naam="proces",
            verantwoordelijke="Gemeente",
            versiedatum=date(2024, 1, 1),
            datum_begin_geldigheid=date(2024, 1, 1),
        )
        statustypen = [
            StatusType(zaaktype=zaaktype, omschrijving=o, volgnummer=n)
            for n, o in ((1, "Ontvangen"), (2, "In behandeling"), (3, "Afgerond"))
        ]
        roltype = RolType(zaaktype=zaaktype, omschrijving="Initiator", omschrijving_generiek="initiator")
        resultaattype = ResultaatType(
            zaaktype=zaaktype,
            omschrijving="Afgehandeld",
            resultaattypeomschrijving="https://referentielijsten.example/resultaattypeomschrijvingen/1",
            selectielijstklasse="https://selectielijst.example/resultaten/1",
            archiefnominatie="vernietigen",
            brondatum_afleidingswijze="afgehandeld",
        )
        session.add_all([zaaktype, *statustypen, roltype, resultaattype])
        session.flush()
        created.append((zaaktype.id, zaaktype.uuid, [s.uuid for s in statustypen], roltype.uuid))
    session.commit()
    return created


def _column_values(table: Table) -> tuple[list[str], dict[str, Any]]:
    """The columns COPY must fill and, for those the generator does not set, their ORM defaults."""
    columns = [c.name for c in table.columns if c.name != "id"]
    defaults: dict[str, Any] = {}
    for column in table.columns:
        default = column.default
        if default is None or column.name == "id":
            continue
        if default.is_scalar or default.is_callable:  # type: ignore[attr-defined]
            defaults[column.name] = default.arg  # type: ignore[attr-defined]
    return columns, defaults


def bulk_load_zaken(database_url: str, zaaktype_ids: list[int], count: int) -> float:
    """COPY ``count`` zaken spread over the zaaktypen and vertrouwelijkheidaanduidingen; returns seconds."""
    table: Table = Zaak.__table__  # type: ignore[assignment]
    columns, defaults = _column_values(table)
    json_columns = {c.name for c in table.columns if c.type.__class__.__name__ == "JSON"}
    started = time.monotonic()
    rng = random.Random(7)
    first_day = date(2020, 1, 1)
    with psycopg.connect(database_url.replace("postgresql+psycopg://", "postgresql://")) as connection:
        # The test server commits asynchronously; a flushed commit lets the VACUUM below set hint bits and the
        # visibility map right away instead of after the WAL writer's next round.
        connection.execute("SET synchronous_commit = on")
        with connection.cursor() as cursor, cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for number in range(count):
                day = first_day + timedelta(days=rng.randrange(6 * 365))
                row = {
                    "identificatie": f"BENCH-{number:010d}",
                    "bronorganisatie": RSIN,
                    "verantwoordelijke_organisatie": RSIN,
                    "zaaktype_id": zaaktype_ids[number % len(zaaktype_ids)],
                    "vertrouwelijkheidaanduiding": LEVELS[(number // len(zaaktype_ids)) % len(LEVELS)],
                    "registratiedatum": day,
                    "startdatum": day,
                    "omschrijving": f"Zaak {number}",
                }
                values = []
                for name in columns:
                    if name in row:
                        value = row[name]
                    elif name == "uuid":
                        value = uuid.uuid4()
                    elif name in defaults:
                        default = defaults[name]
                        value = default(None) if callable(default) else default  # ORM-wrapped callables
                    else:
                        value = None
                    if name in json_columns and value is not None:
                        value = json.dumps(value)
                    values.append(value)
                copy.write_row(values)
        connection.commit()
        # What autovacuum reaches shortly after a bulk load: statistics plus the visibility map, without which
        # every count is a heap scan instead of an index-only scan.
        connection.autocommit = True
        connection.execute(f"VACUUM ANALYZE {table.name}")
    return time.monotonic() - started


def _listeners(port: int) -> int:
    """Sockets listening on 127.0.0.1:``port`` (from /proc/net/tcp: state 0A is LISTEN)."""
    local = f"0100007F:{port:04X}"
    with open("/proc/net/tcp") as table:
        return sum(1 for line in table.readlines()[1:] if line.split()[1] == local and line.split()[3] == "0A")


class ZakenBench:
    def __init__(self, workdir: Path, server_workers: int) -> None:
        self.workdir = workdir
        services = workdir / "services"
        (services / "postgres").mkdir(parents=True)
        services.chmod(0o755)
        self.postgres = PostgresServer.start(services / "postgres")
        registry_url = self.postgres.create_database("registry")
        self.settings = RuntimeSettings(environment="test", data_dir=workdir, registry_url=registry_url)
        service.migrate_registry(registry_url)
        self.runtime = build_runtime(self.settings)
        self.tenant = service.create_tenant(
            self.runtime.registry, slug=SLUG, name="Gemeente Bench", database_url=self.postgres.create_database("t")
        )
        self.engine = self.runtime.engines.get(self.tenant.database_url)
        with Session(self.engine) as session:
            self.catalog = _seed_catalog(session)
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        env = {
            "ZGW_RUNTIME_ENVIRONMENT": "test",
            "ZGW_RUNTIME_DATA_DIR": str(workdir),
            "ZGW_RUNTIME_REGISTRY_URL": registry_url,
            "ZGW_RUNTIME_REGISTRY_CACHE_SECONDS": "30",
            "ZGW_RUNTIME_LOG_LEVEL": "WARNING",
            "ZGW_RUNTIME_DB_POOL_SIZE": "16",
            "ZGW_RUNTIME_DB_MAX_OVERFLOW": "8",
        }
        # One process per replica on a shared port (bench/replica.py), as the chart runs one per pod.
        self.servers = [
            ManagedProcess(f"runtime-{number}", [sys.executable, "-m", "bench.replica", str(port)], workdir, env=env)
            for number in range(server_workers)
        ]
        for server in self.servers:  # every replica listening before any load connects
            server.wait_ready(lambda: _listeners(port) == server_workers, timeout=60)
        self.servers[0].wait_ready(lambda: httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200)

    @property
    def api(self) -> str:
        return f"{self.base}/t/{SLUG}"

    def zaaktype_url(self, index: int) -> str:
        return f"{self.api}/catalogi/api/v1/zaaktypen/{self.catalog[index][1]}"

    def headers(self, *, restricted: bool) -> dict[str, str]:
        client_id = f"bench-{'restricted' if restricted else 'all'}-{uuid.uuid4().hex[:6]}"
        secret = autorisaties_admin.generate_secret()
        autorisaties = [
            autorisaties_admin.AutorisatieSpec(
                component="zrc",
                scopes=["zaken.lezen"],
                zaaktype=self.zaaktype_url(index),
                max_vertrouwelijkheidaanduiding="zaakvertrouwelijk",
            )
            for index in range(0, ZAAKTYPEN, 2)
        ]
        with Session(self.engine) as session, session.begin():
            autorisaties_admin.upsert_application(
                session,
                autorisaties_admin.ApplicationSpec(
                    client_id=client_id,
                    label=client_id,
                    heeft_alle_autorisaties=not restricted,
                    autorisaties=autorisaties if restricted else [],
                ),
            )
            autorisaties_admin.add_credential(session, client_id, secret)
        return {"Authorization": f"Bearer {autorisaties_admin.make_jwt(client_id, secret)}"}

    def zaken_with_status_and_rollen(self, headers: dict[str, str], count: int) -> list[str]:
        """Zaken made through the API, each with a status and two rollen (for the expand scenario)."""
        urls = []
        with httpx.Client(headers={**headers, "Accept-Crs": "EPSG:4326", "Content-Crs": "EPSG:4326"}) as http:
            for number in range(count):
                _, _, statustypen, roltype = self.catalog[number % ZAAKTYPEN]
                zaak = http.post(f"{self.api}/zaken/api/v1/zaken", json=self._zaak_body(number))
                zaak.raise_for_status()
                zaak_url = zaak.json()["url"]
                status = http.post(
                    f"{self.api}/zaken/api/v1/statussen",
                    json={
                        "zaak": zaak_url,
                        "statustype": f"{self.api}/catalogi/api/v1/statustypen/{statustypen[0]}",
                        "datumStatusGezet": "2024-05-01T10:00:00Z",
                    },
                )
                status.raise_for_status()
                for person in range(2):
                    rol = http.post(
                        f"{self.api}/zaken/api/v1/rollen",
                        json={
                            "zaak": zaak_url,
                            "betrokkeneType": "natuurlijk_persoon",
                            "roltype": f"{self.api}/catalogi/api/v1/roltypen/{roltype}",
                            "roltoelichting": "initiator",
                            "betrokkeneIdentificatie": {"inpBsn": f"99999{number % 1000:03d}{person}"},
                        },
                    )
                    rol.raise_for_status()
                urls.append(zaak_url)
        return urls

    def _zaak_body(self, number: int) -> dict[str, Any]:
        return {
            "zaaktype": self.zaaktype_url(number % ZAAKTYPEN),
            "bronorganisatie": RSIN,
            "verantwoordelijkeOrganisatie": RSIN,
            "startdatum": "2024-05-01",
            "omschrijving": f"Bench zaak {number}",
            "vertrouwelijkheidaanduiding": LEVELS[number % len(LEVELS)],
        }

    def close(self) -> None:
        for server in self.servers:
            server.stop()
        self.runtime.close()
        self.postgres.stop()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench zaken-api", description=__doc__)
    parser.add_argument("--zaken", type=int, default=1_000_000, help="zaken bulk-loaded before the GET runs")
    parser.add_argument("--seconds", type=float, default=20.0, help="duration of each load run")
    parser.add_argument(
        "--server-workers", type=int, default=2, help="runtime processes (replicas sharing the port, bench/replica.py)"
    )
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="zgw-test-services-bench-"))
    workdir.chmod(0o755)
    bench = ZakenBench(workdir, args.server_workers)
    rows: list[list[str]] = []
    notes: list[str] = []
    try:
        superuser = bench.headers(restricted=False)
        write_headers = {**superuser, "Accept-Crs": "EPSG:4326", "Content-Crs": "EPSG:4326"}

        async def create(client: httpx.AsyncClient, sequence: int) -> httpx.Response:
            return await client.post(
                "/t/bench/zaken/api/v1/zaken", json=bench._zaak_body(sequence), headers=write_headers
            )

        rows.append(run_load("POST /zaken", bench.base, create, users=16, seconds=args.seconds, expect=(201,)).cells())

        loaded = bulk_load_zaken(bench.tenant.database_url, [z[0] for z in bench.catalog], args.zaken)
        notes.append(f"bulk load of {args.zaken:,} zaken: {loaded:.0f} s")
        restricted = {**bench.headers(restricted=True), "Accept-Crs": "EPSG:4326"}

        async def list_page(client: httpx.AsyncClient, sequence: int) -> httpx.Response:
            page = sequence % 10 + 1  # the first ten pages, in turn
            return await client.get(f"/t/bench/zaken/api/v1/zaken?page={page}", headers=restricted)

        probe = httpx.get(f"{bench.api}/zaken/api/v1/zaken", headers=restricted, timeout=60)
        probe.raise_for_status()
        notes.append(
            f"restricted client sees {probe.json()['count']:,} of the zaken, {len(probe.json()['results'])}/page"
        )
        for users in (1, 16):
            rows.append(
                run_load(
                    f"GET /zaken restricted ({users}u)", bench.base, list_page, users=users, seconds=args.seconds
                ).cells()
            )

        urls = bench.zaken_with_status_and_rollen(superuser, 50)
        read_headers = {**superuser, "Accept-Crs": "EPSG:4326"}

        async def expand(client: httpx.AsyncClient, sequence: int) -> httpx.Response:
            url = urls[sequence % len(urls)]
            return await client.get(f"{url}?expand=zaaktype,status,rollen", headers=read_headers)

        rows.append(run_load("GET /zaken/{uuid}?expand=…", bench.base, expand, users=1, seconds=args.seconds).cells())
    finally:
        bench.close()
        shutil.rmtree(workdir, ignore_errors=True)

    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"\nZaken API — {cpus} CPUs, PostgreSQL, {args.server_workers} runtime process(es) on one port")
    print_table(rows)
    for note in notes:
        print(f"- {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
