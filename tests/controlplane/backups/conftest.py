"""A control plane on PostgreSQL whose backups go to MinIO, a real tenant runtime over HTTP whose document
content is on MinIO too, and helpers: provision a tenant, fill it through the ZGW APIs, run jobs."""

from __future__ import annotations

import base64
import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session

from controlplane.accounts.actors import SYSTEM, Actor
from controlplane.config import Settings
from controlplane.container import ControlPlane
from controlplane.credentials import service as credentials
from controlplane.credentials.schemas import CredentialCreate
from controlplane.drivers.databases import TenantDatabases
from controlplane.drivers.interfaces import TemporaryError
from controlplane.jobs import runner
from controlplane.jobs.models import Job, JobKind, JobStatus
from controlplane.tenants import service as tenants
from controlplane.tenants.models import Tenant, TenantState
from tenant_runtime.autorisaties.admin import make_jwt
from tenant_runtime.catalogi.models import (
    BesluitType,
    Catalogus,
    InformatieObjectType,
    ZaakType,
    ZaakTypeInformatieObjectType,
)
from tenant_runtime.config import RuntimeSettings
from tenant_runtime.db.engines import build_engine
from tenant_runtime.main import create_app as create_runtime
from tests.conftest import S3Bucket
from tests.controlplane.conftest import World, add_tenant, build_world, make_settings
from tests.fixtures.services import PostgresServer
from tests.tenant_runtime.live import serve

RSIN = "002220647"


def storage_env(bucket: S3Bucket) -> dict[str, str]:
    """The runtime's content storage on MinIO (read by the runtime and, for backups, by the control plane)."""
    return {
        "ZGW_RUNTIME_STORAGE_BACKEND": "s3",
        "ZGW_RUNTIME_STORAGE_S3_ENDPOINT_URL": bucket.endpoint,
        "ZGW_RUNTIME_STORAGE_S3_ACCESS_KEY": bucket.access_key,
        "ZGW_RUNTIME_STORAGE_S3_SECRET_KEY": bucket.secret_key,
        "ZGW_RUNTIME_STORAGE_S3_BUCKET": bucket.bucket,
        "ZGW_RUNTIME_REGISTRY_CACHE_SECONDS": "0",
    }


def backup_settings(bucket: S3Bucket) -> dict[str, object]:
    return {
        "backup_target": "s3",
        "backup_s3_endpoint_url": bucket.endpoint,
        "backup_s3_access_key": bucket.access_key,
        "backup_s3_secret_key": bucket.secret_key,
        "backup_s3_bucket": f"{bucket.bucket}-backups",
        "backup_chunk_size": 64 * 1024,  # several chunks per object even in small tests
        "backup_io_threads": 4,
    }


def run_job(cp: ControlPlane, job_id: uuid.UUID, attempts: int = 40) -> JobStatus:
    """Run a job in this process to its end, retrying temporary conditions like Celery would (briefly)."""
    for _ in range(attempts):
        try:
            return runner.run(cp, job_id)
        except TemporaryError as exc:
            time.sleep(min(exc.delay, 0.3))
    raise AssertionError(f"job {job_id} kept failing temporarily")


@dataclass
class Filled:
    """What a test tenant holds, as URLs of its ZGW APIs."""

    zaken: list[str]
    documents: list[str]
    besluiten: list[str]
    contents: dict[str, bytes]  # document URL → content


@dataclass
class BackupWorld:
    world: World
    settings: Settings
    runtime_url: str
    content_bucket: S3Bucket
    informatieobjecttypen: dict[str, str] = field(default_factory=dict)  # slug → URL (made by ``fill``)

    @property
    def cp(self) -> ControlPlane:
        return self.world.cp

    @property
    def operator(self) -> Actor:
        return Actor.for_user(self.world.users["operator"], "token")

    def session(self) -> Session:
        return self.cp.sessions()

    def provision(self, slug: str, code: str) -> Tenant:
        tenant = add_tenant(self.cp, slug, code)
        with self.session() as session:
            tenant = session.get(Tenant, tenant.id)
            assert tenant is not None
            job, _ = tenants.start(self.cp, session, SYSTEM, tenant, JobKind.PROVISION)
            session.commit()
            job_id = job.id
        assert run_job(self.cp, job_id) is JobStatus.SUCCEEDED
        return self.tenant(tenant.id)

    def tenant(self, tenant_id: uuid.UUID) -> Tenant:
        with self.session() as session:
            found = session.get(Tenant, tenant_id)
            assert found is not None
            return found

    def job(self, job_id: uuid.UUID) -> Job:
        with self.session() as session:
            found = session.get(Job, job_id)
            assert found is not None
            return found

    def app_headers(self, tenant: Tenant, client_id: str = "zaaksysteem") -> dict[str, str]:
        """An application with every autorisatie, made through the control plane (so restores keep it)."""
        with self.session() as session:
            row = session.get(Tenant, tenant.id)
            assert row is not None
            _, secret = credentials.create(
                self.cp, session, SYSTEM, row,
                CredentialCreate(client_id=client_id, label=client_id, heeft_alle_autorisaties=True),
            )  # fmt: skip
            session.commit()
        token = make_jwt(client_id, secret)
        return {"Authorization": f"Bearer {token}", "Accept-Crs": "EPSG:4326", "Content-Crs": "EPSG:4326"}

    def api(self, tenant: Tenant | str, component: str) -> str:
        slug = tenant if isinstance(tenant, str) else tenant.slug
        return f"{self.runtime_url}/t/{slug}/{component}/api/v1"

    def fill(self, tenant: Tenant, headers: dict[str, str], *, zaken: int = 3, documents: int = 3) -> Filled:
        """A catalogus (rows), then zaken, documents with content, besluiten and their links via the APIs."""
        database = TenantDatabases(self.settings).database_url(credentials.spec_of(tenant))
        engine = build_engine(database, pooled=False)
        with Session(engine) as session, session.begin():
            catalogus = Catalogus(domein="BACK", rsin=RSIN, contactpersoon_beheer_naam="Beheer")
            iot = InformatieObjectType(
                catalogus=catalogus, concept=False, omschrijving="brief", vertrouwelijkheidaanduiding="openbaar",
                informatieobjectcategorie="brief", datum_begin_geldigheid=date(2020, 1, 1),
            )  # fmt: skip
            besluittype = BesluitType(
                catalogus=catalogus, concept=False, omschrijving="vergunning", publicatie_indicatie=False,
                datum_begin_geldigheid=date(2020, 1, 1), informatieobjecttype_omschrijvingen=["brief"],
            )  # fmt: skip
            zaaktype = ZaakType(
                catalogus=catalogus, concept=False, identificatie="ZT-BACKUP", omschrijving="Backup",
                vertrouwelijkheidaanduiding="openbaar", doel="doel", aanleiding="aanleiding",
                indicatie_intern_of_extern="extern", handeling_initiator="aanvragen", onderwerp="onderwerp",
                handeling_behandelaar="behandelen", doorlooptijd="P30D", opschorting_en_aanhouding_mogelijk=False,
                verlenging_mogelijk=False, publicatie_indicatie=False, referentieproces_naam="proces",
                verantwoordelijke="gemeente", versiedatum=date(2020, 1, 1), datum_begin_geldigheid=date(2020, 1, 1),
                besluittype_omschrijvingen=["vergunning"],
            )  # fmt: skip
            relation = ZaakTypeInformatieObjectType(
                zaaktype=zaaktype, informatieobjecttype_omschrijving="brief", volgnummer=1, richting="inkomend"
            )
            session.add_all([catalogus, iot, besluittype, zaaktype, relation])
            session.flush()
            iot_url = f"{self.api(tenant, 'catalogi')}/informatieobjecttypen/{iot.uuid}"
            besluittype_url = f"{self.api(tenant, 'catalogi')}/besluittypen/{besluittype.uuid}"
            zaaktype_url = f"{self.api(tenant, 'catalogi')}/zaaktypen/{zaaktype.uuid}"
        engine.dispose()
        self.informatieobjecttypen[tenant.slug] = iot_url
        filled = Filled([], [], [], {})
        with httpx.Client(headers=headers, timeout=30) as http:
            for n in range(zaken):
                zaak = http.post(f"{self.api(tenant, 'zaken')}/zaken", json={
                    "zaaktype": zaaktype_url, "bronorganisatie": RSIN, "verantwoordelijkeOrganisatie": RSIN,
                    "startdatum": "2024-05-01", "omschrijving": f"Zaak {n}"})  # fmt: skip
                assert zaak.status_code == 201, zaak.text
                filled.zaken.append(zaak.json()["url"])
            for n in range(documents):
                content = (f"document {n} ".encode() * (2000 * (n + 1)))[: 70_000 * (n + 1)]
                document = http.post(f"{self.api(tenant, 'documenten')}/enkelvoudiginformatieobjecten", json={
                    "bronorganisatie": RSIN, "creatiedatum": "2024-05-01", "titel": f"Brief {n}", "auteur": "Test",
                    "taal": "nld", "informatieobjecttype": iot_url, "bestandsnaam": f"brief-{n}.txt",
                    "formaat": "text/plain", "inhoud": base64.b64encode(content).decode()})  # fmt: skip
                assert document.status_code == 201, document.text
                filled.documents.append(document.json()["url"])
                filled.contents[document.json()["url"]] = content
            for n, zaak_url in enumerate(filled.zaken[:2]):
                besluit = http.post(f"{self.api(tenant, 'besluiten')}/besluiten", json={
                    "verantwoordelijkeOrganisatie": RSIN, "besluittype": besluittype_url, "zaak": zaak_url,
                    "datum": "2024-05-02", "ingangsdatum": "2024-05-02", "toelichting": f"Besluit {n}"})  # fmt: skip
                assert besluit.status_code == 201, besluit.text
                filled.besluiten.append(besluit.json()["url"])
            link = http.post(f"{self.api(tenant, 'zaken')}/zaakinformatieobjecten", json={
                "zaak": filled.zaken[0], "informatieobject": filled.documents[0]})  # fmt: skip
            assert link.status_code == 201, link.text
        return filled

    def fill_big_documents(self, tenant: Tenant, headers: dict[str, str], *, count: int, size: int) -> list[str]:
        """Documents of ``size`` random bytes each (after ``fill``); returns their URLs."""
        urls = []
        with httpx.Client(headers=headers, timeout=120) as http:
            for n in range(count):
                document = http.post(f"{self.api(tenant, 'documenten')}/enkelvoudiginformatieobjecten", json={
                    "bronorganisatie": RSIN, "creatiedatum": "2024-05-01", "titel": f"Groot {n}", "auteur": "Test",
                    "taal": "nld", "informatieobjecttype": self.informatieobjecttypen[tenant.slug],
                    "inhoud": base64.b64encode(os.urandom(size)).decode()})  # fmt: skip
                assert document.status_code == 201, document.text
                urls.append(document.json()["url"])
        return urls


def comparable(body: Any, source_slug: str, target_slug: str) -> Any:
    """A response body with the target tenant's URLs written as the source's (to compare two tenants)."""
    import json

    return json.loads(json.dumps(body).replace(f"/t/{target_slug}/", f"/t/{source_slug}/"))


def build_backup_world(
    tmp_path: Path, postgres_server: PostgresServer, bucket: S3Bucket, monkeypatch: pytest.MonkeyPatch,
    dispatch: object | None = None, **overrides: object,
) -> Iterator[BackupWorld]:  # fmt: skip
    for name, value in storage_env(bucket).items():
        monkeypatch.setenv(name, value)
    settings = make_settings(tmp_path, postgres_server, **{**backup_settings(bucket), **overrides})
    runtime = create_runtime(RuntimeSettings(environment="test", data_dir=tmp_path / "runtime",
                                             registry_url=settings.runtime_registry_url))  # fmt: skip
    with serve(runtime) as runtime_url:
        settings = settings.model_copy(update={"runtime_public_url": runtime_url})
        for world in build_world(settings, dispatch=dispatch):
            yield BackupWorld(world, settings, runtime_url, bucket)


@pytest.fixture
def backups(
    tmp_path: Path, postgres_server: PostgresServer, s3_bucket: S3Bucket, monkeypatch: pytest.MonkeyPatch
) -> Iterator[BackupWorld]:
    yield from build_backup_world(tmp_path, postgres_server, s3_bucket, monkeypatch)


def active(world: BackupWorld, tenant: Tenant) -> bool:
    return world.tenant(tenant.id).state is TenantState.ACTIVE
