"""Property-based contract run over every Notificaties operation: schemathesis generates requests from the
official document; no response may be a 5xx, and every response must be one the document allows.

One deviation is accepted: ``POST /notificaties`` documents only ``200``, but a notificatie on an unknown kanaal
or with kenmerken that do not fit the kanaal has to be refused — with a ``400`` validation problem, as the
standard's reference implementation does — so for that operation the status code check is left out.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

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
from tests.tenant_runtime.live import serve

EXAMPLES = int(os.environ.get("ZGW_FUZZ_EXAMPLES", "10"))
UNDOCUMENTED_400 = {"POST /notificaties"}


def _operations() -> list[str]:
    schema = schemathesis.openapi.from_path(spec_path("notificaties"))
    return [operation.ok().label for operation in schema.get_all_operations()]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, postgres_server: PostgresServer) -> Iterator[tuple[str, dict]]:
    tmp: Path = tmp_path_factory.mktemp("fuzz-nrc")
    registry_url = postgres_server.create_database("fuzznrcreg")
    runtime_settings = RuntimeSettings(
        environment="test",
        data_dir=tmp,
        registry_url=registry_url,
        registry_cache_seconds=5,
        delivery_timeout=1.0,
        delivery_in_process=False,
    )
    service.migrate_registry(registry_url)
    runtime = build_runtime(runtime_settings)
    info = service.create_tenant(
        runtime.registry, slug="fuzz", name="Fuzz", database_url=postgres_server.create_database("fuzznrc")
    )
    headers = ZgwTenant(info, runtime, None).superuser()  # type: ignore[arg-type]
    with serve(create_app(runtime_settings, runtime)) as base:
        yield f"{base}/t/fuzz", headers
    runtime.close()


@pytest.mark.slow
@pytest.mark.parametrize("label", _operations())
def test_operation_conforms_to_official_spec(live: tuple[str, dict], label: str) -> None:
    base, headers = live
    schema = schemathesis.openapi.from_path(spec_path("notificaties"))
    operation = schema.find_operation_by_label(label)
    checks = [not_a_server_error, content_type_conformance, response_schema_conformance]
    if label not in UNDOCUMENTED_400:
        checks.append(status_code_conformance)

    @settings(
        max_examples=EXAMPLES, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck)
    )
    @given(case=operation.as_strategy())
    def run(case: schemathesis.Case) -> None:
        response = case.call(base_url=f"{base}/notificaties/api/v1", headers=headers, timeout=30)
        case.validate_response(response, checks=checks)

    run()
