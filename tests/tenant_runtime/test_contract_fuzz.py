"""Property-based contract run: for every operation of every ZGW API this runtime serves, schemathesis
generates requests from the official OpenAPI document and checks that no response is a 5xx and that every
response (status code, content type, headers, body) is one the official document allows.

``ZGW_FUZZ_EXAMPLES`` sets the number of generated requests per operation (default 10).
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
from tenant_runtime.main import API_PACKAGES, create_app
from tenant_runtime.openapi import spec_path
from tenant_runtime.tenants import service
from tests.fixtures.services import PostgresServer
from tests.tenant_runtime.conftest import ZgwTenant
from tests.tenant_runtime.live import serve

EXAMPLES = int(os.environ.get("ZGW_FUZZ_EXAMPLES", "10"))
# The APIs of issue 3 (Documenten and Notificaties are fuzzed with theirs).
FUZZED_APIS = ("autorisaties", "catalogi", "zaken", "besluiten")


def _served(api: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(f"tenant_runtime.{api}.routes") is not None
    except ModuleNotFoundError:
        return False


def _operations() -> list[tuple[str, str]]:
    params = []
    for api in filter(_served, FUZZED_APIS):
        schema = schemathesis.openapi.from_path(spec_path(api))
        params += [(api, operation.ok().label) for operation in schema.get_all_operations()]
    return params


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, postgres_server: PostgresServer) -> Iterator[tuple[str, dict]]:
    tmp: Path = tmp_path_factory.mktemp("fuzz")
    registry_url = postgres_server.create_database("fuzzreg")
    runtime_settings = RuntimeSettings(
        environment="test", data_dir=tmp, registry_url=registry_url, registry_cache_seconds=5
    )
    service.migrate_registry(registry_url)
    runtime = build_runtime(runtime_settings)
    info = service.create_tenant(
        runtime.registry, slug="fuzz", name="Fuzz", database_url=postgres_server.create_database("fuzz")
    )
    app = create_app(runtime_settings, runtime)
    headers = ZgwTenant(info, runtime, None).superuser()  # type: ignore[arg-type]
    with serve(app) as base:
        yield f"{base}/t/fuzz", headers
    runtime.close()


@pytest.mark.slow
@pytest.mark.parametrize(("api", "label"), _operations())
def test_operation_conforms_to_official_spec(live: tuple[str, dict], api: str, label: str) -> None:
    assert api in API_PACKAGES
    base, headers = live
    schema = schemathesis.openapi.from_path(spec_path(api))
    operation = schema.find_operation_by_label(label)
    api_root = f"{base}/{api}/api/v1"
    checks = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
    # A HEAD answers as its GET would (the standard's HTTP-caching rule), but the documents list only 200 for it:
    # a status the GET documents (404 for an unknown uuid, 403, ...) is no violation there.
    head_statuses: set[int] = set()
    if operation.method.upper() == "HEAD":
        get = schema.find_operation_by_label(f"GET {operation.path}")
        head_statuses = {int(code) for code in get.responses.status_codes if code.isdigit() and code != "200"}

    @settings(
        max_examples=EXAMPLES, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck)
    )
    @given(case=operation.as_strategy())
    def run(case: schemathesis.Case) -> None:
        response = case.call(base_url=api_root, headers=headers, timeout=30)
        case.validate_response(
            response, checks=[not_a_server_error] if response.status_code in head_statuses else checks
        )

    run()
