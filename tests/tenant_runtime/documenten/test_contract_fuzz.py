"""Property-based contract run over every Documenten operation: schemathesis generates requests from the
official document against a live runtime (uvicorn on loopback, PostgreSQL, local content storage) holding a
published informatieobjecttype and a document; no response may be a 5xx, and every response must be one the
document allows.

A HEAD answers as its GET would (the standard's HTTP-caching rule) but the document lists only 200 for it, so a
status its GET documents (404 for an unknown uuid, ...) is accepted there. ``ZGW_FUZZ_EXAMPLES`` sets the number
of generated requests per operation (default 10).
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tenant_runtime.config import RuntimeSettings
from tenant_runtime.container import build_runtime
from tenant_runtime.main import create_app
from tenant_runtime.openapi import spec_path
from tenant_runtime.tenants import service
from tests.fixtures.services import PostgresServer
from tests.tenant_runtime.conftest import ZgwTenant
from tests.tenant_runtime.documenten.conftest import LOCAL_PART_SIZE, Drc
from tests.tenant_runtime.live import serve

EXAMPLES = int(os.environ.get("ZGW_FUZZ_EXAMPLES", "10"))


def _operations() -> list[str]:
    schema = schemathesis.openapi.from_path(spec_path("documenten"))
    return [operation.ok().label for operation in schema.get_all_operations()]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, postgres_server: PostgresServer) -> Iterator[tuple[str, dict]]:
    tmp: Path = tmp_path_factory.mktemp("fuzz-drc")
    registry_url = postgres_server.create_database("fuzzdrcreg")
    runtime_settings = RuntimeSettings(
        environment="test",
        data_dir=tmp,
        registry_url=registry_url,
        registry_cache_seconds=5,
        delivery_in_process=False,
        document_part_size=LOCAL_PART_SIZE,
    )
    service.migrate_registry(registry_url)
    runtime = build_runtime(runtime_settings)
    info = service.create_tenant(
        runtime.registry, slug="fuzz", name="Fuzz", database_url=postgres_server.create_database("fuzzdrc")
    )
    tenant = ZgwTenant(info, runtime, None)  # type: ignore[arg-type]
    headers = tenant.superuser()
    with serve(create_app(runtime_settings, runtime)) as base:
        root = f"{base}/t/fuzz"
        # Something to find: a published type, a document with content, one uploading in parts.
        drc = Drc(tenant, tenant, runtime_settings, None)  # type: ignore[arg-type]
        iot = drc.iot().replace("http://testserver/t/fuzz", root)
        for extra in ({"inhoud": base64.b64encode(b"fuzz").decode()}, {"bestandsomvang": LOCAL_PART_SIZE + 1}):
            created = httpx.post(
                f"{root}/documenten/api/v1/enkelvoudiginformatieobjecten",
                json={**drc.body(iot), **extra},
                headers=headers,
            )
            assert created.status_code == 201, created.text
        yield root, headers
    runtime.close()


@pytest.mark.slow
@pytest.mark.parametrize("label", _operations())
def test_operation_conforms_to_official_spec(live: tuple[str, dict], label: str) -> None:
    base, headers = live
    schema = schemathesis.openapi.from_path(spec_path("documenten"))
    operation = schema.find_operation_by_label(label)
    checks = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
    head_statuses: set[int] = set()
    if operation.method.upper() == "HEAD":
        get = schema.find_operation_by_label(f"GET {operation.path}")
        head_statuses = {int(code) for code in get.responses.status_codes if code.isdigit() and code != "200"}

    @settings(
        max_examples=EXAMPLES, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck)
    )
    @given(case=operation.as_strategy())
    def run(case: schemathesis.Case) -> None:
        response = case.call(base_url=f"{base}/documenten/api/v1", headers=headers, timeout=60)
        case.validate_response(
            response, checks=[not_a_server_error] if response.status_code in head_statuses else checks
        )

    run()
