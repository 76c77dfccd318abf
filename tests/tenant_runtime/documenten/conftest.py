"""A runtime serving the Documenten API for tenants ``alpha`` and ``beta`` on PostgreSQL, with its content
storage on a local directory or on MinIO, plus factories for informatieobjecttypen and documents."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tenant_runtime.autorisaties.admin import AutorisatieSpec
from tenant_runtime.catalogi.models import Catalogus, InformatieObjectType
from tenant_runtime.config import RuntimeSettings
from tenant_runtime.container import build_runtime
from tenant_runtime.main import create_app
from tenant_runtime.storage import ContentStorage, storage_for
from tenant_runtime.tenants import service
from tests.conftest import S3Bucket
from tests.fixtures.services import PostgresServer
from tests.tenant_runtime.conftest import ZgwTenant
from tests.tenant_runtime.contract import assert_conforms

MIB = 1024 * 1024
# Small parts keep the multi-part tests fast; S3 cannot go below 5 MiB.
LOCAL_PART_SIZE = 64 * 1024
S3_PART_SIZE = 5 * MIB
RSIN = "002220647"


@dataclass
class Drc:
    alpha: ZgwTenant
    beta: ZgwTenant
    settings: RuntimeSettings
    http: TestClient
    admin: dict[str, str] = field(default_factory=dict)

    @property
    def api(self) -> str:
        return self.alpha.api("documenten")

    def storage(self, tenant: ZgwTenant | None = None) -> ContentStorage:
        return storage_for(self.settings, (tenant or self.alpha).slug)

    def stored_objects(self, tenant: ZgwTenant | None = None) -> list[str]:
        """Everything in the tenant's content storage: committed objects and (``upload:<key>``) open uploads."""
        storage = self.storage(tenant)
        objects = [o.key for o in storage.list_keys()]
        uploads = [f"upload:{u.key}" for u in storage.list_uploads(datetime.now(UTC) + timedelta(days=365))]
        return sorted(objects + uploads)

    def iot(
        self, tenant: ZgwTenant | None = None, *, concept: bool = False, vertrouwelijkheid: str = "openbaar"
    ) -> str:
        """A local informatieobjecttype (written straight into the Catalogi tables) and its URL."""
        tenant = tenant or self.alpha
        with tenant.session() as session, session.begin():
            catalogus = Catalogus(domein="TEST", rsin=RSIN, contactpersoon_beheer_naam="Beheer")
            iot = InformatieObjectType(
                catalogus=catalogus,
                concept=concept,
                omschrijving=f"Type {uuid.uuid4().hex[:6]}",
                vertrouwelijkheidaanduiding=vertrouwelijkheid,
                informatieobjectcategorie="brief",
                datum_begin_geldigheid=date(2024, 1, 1),
            )
            session.add(iot)
            session.flush()
            return f"{tenant.api('catalogi')}/informatieobjecttypen/{iot.uuid}"

    def body(self, iot: str, content: bytes | None = None, **fields: Any) -> dict[str, Any]:
        data: dict[str, Any] = {
            "bronorganisatie": RSIN,
            "creatiedatum": "2024-05-01",
            "titel": "Aanvraag",
            "auteur": "Test",
            "taal": "nld",
            "informatieobjecttype": iot,
        }
        if content is not None:
            data["inhoud"] = base64.b64encode(content).decode()
        data.update(fields)
        return data

    def create(self, headers: dict[str, str], iot: str, content: bytes | None = b"inhoud", **fields: Any) -> dict:
        response = self.http.post(
            f"{self.api}/enkelvoudiginformatieobjecten", json=self.body(iot, content, **fields), headers=headers
        )
        assert_conforms(response)
        assert response.status_code == 201, response.text
        return dict(response.json())

    def get(self, url: str, headers: dict[str, str], **params: Any) -> httpx.Response:
        response = self.http.get(url, headers=headers, params=params)
        assert_conforms(response)
        return response

    def client_for(
        self, iot: str, *scopes: str, maximum: str = "zeer_geheim", tenant: ZgwTenant | None = None
    ) -> dict[str, str]:
        """Headers of an application holding ``scopes`` on the Documenten API for ``iot`` up to ``maximum``."""
        return (tenant or self.alpha).headers_for(
            autorisaties=[
                AutorisatieSpec(
                    component="drc",
                    scopes=list(scopes),
                    informatieobjecttype=iot,
                    max_vertrouwelijkheidaanduiding=maximum,
                )
            ]
        )

    def lock(self, url: str, headers: dict[str, str]) -> str:
        response = self.http.post(f"{url}/lock", headers=headers)
        assert_conforms(response)
        assert response.status_code == 200, response.text
        return str(response.json()["lock"])


def _drc(tmp_path: Path, server: PostgresServer, **settings: Any) -> Iterator[Drc]:
    registry_url = server.create_database("registry")
    runtime_settings = RuntimeSettings(
        environment="test", data_dir=tmp_path, registry_url=registry_url, registry_cache_seconds=0, **settings
    )
    service.migrate_registry(registry_url)
    runtime = build_runtime(runtime_settings)
    for slug in ("alpha", "beta"):
        service.create_tenant(
            runtime.registry, slug=slug, name=f"Gemeente {slug}", database_url=server.create_database(slug)
        )
    with TestClient(create_app(runtime_settings, runtime), raise_server_exceptions=False) as client:
        alpha = ZgwTenant(runtime.registry.get("alpha"), runtime, client)  # type: ignore[arg-type]
        beta = ZgwTenant(runtime.registry.get("beta"), runtime, client)  # type: ignore[arg-type]
        drc = Drc(alpha, beta, runtime_settings, client)
        drc.admin = alpha.superuser()
        yield drc


def s3_settings(bucket: S3Bucket) -> dict[str, Any]:
    return {
        "storage_backend": "s3",
        "storage_s3_endpoint_url": bucket.endpoint,
        "storage_s3_access_key": bucket.access_key,
        "storage_s3_secret_key": bucket.secret_key,
        "storage_s3_bucket": bucket.bucket,
        "document_part_size": S3_PART_SIZE,
    }


@pytest.fixture
def drc(tmp_path: Path, postgres_server: PostgresServer) -> Iterator[Drc]:
    """Documenten on the local content storage (small bestandsdelen)."""
    yield from _drc(tmp_path, postgres_server, document_part_size=LOCAL_PART_SIZE)


@pytest.fixture(params=["local", "s3"])
def drc_any(request: pytest.FixtureRequest, tmp_path: Path, postgres_server: PostgresServer) -> Iterator[Drc]:
    """Documenten on each content storage backend."""
    if request.param == "local":
        yield from _drc(tmp_path, postgres_server, document_part_size=LOCAL_PART_SIZE)
    else:
        bucket: S3Bucket = request.getfixturevalue("s3_bucket")
        yield from _drc(tmp_path, postgres_server, **s3_settings(bucket))
