"""Property-based contract run: for every operation of every ZGW API this runtime serves, schemathesis
generates requests from the official OpenAPI document and checks that no response is a 5xx and that every
response (status code, content type, headers, body) is one the official document allows.

``ZGW_FUZZ_EXAMPLES`` sets the number of generated requests per operation (default 10), ``ZGW_FUZZ_SEEDED_EXAMPLES``
that of the run on existing objects (default 6; a DELETE gets 2, each on a fresh object).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
from tenant_runtime.main import API_PACKAGES, create_app
from tenant_runtime.openapi import spec_path
from tenant_runtime.tenants import service
from tests.fixtures.services import PostgresServer
from tests.tenant_runtime.besluiten.conftest import besluit_body, build_catalog
from tests.tenant_runtime.conftest import ZgwTenant
from tests.tenant_runtime.live import serve
from tests.tenant_runtime.zaken.conftest import Api, make_catalog
from tests.tenant_runtime.zaken.test_relaties import make_document, rol_body

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


# --- The same run on existing objects -------------------------------------------------------------------------------
# On the empty tenant above, detail/update/delete operations mostly meet a 404 and creates a 400 (random UUIDs and
# references). Here a seeded tenant holds a published zaaktype with its sub-types, a zaak with status, rol,
# resultaat, zaakobject, zaakeigenschap, zaakinformatieobject, klantcontact, zaakcontactmoment and zaakverzoek, a
# besluit with a besluitinformatieobject and an applicatie; path parameters point at those objects (a DELETE at a
# fresh one per example), and the references of generated bodies at the seeded types and objects.
SEEDED_APIS = ("zaken", "besluiten", "autorisaties", "referentielijsten")
# Referentielijsten' communicatiekanalen are not served: upstream they are an admin-maintained table without
# published data, and the runtime ships only the published lists (tenant_runtime/referentielijsten/data.py).
NOT_SERVED = frozenset({"GET /communicatiekanalen", "GET /communicatiekanalen/{uuid}"})
SEEDED_EXAMPLES = int(os.environ.get("ZGW_FUZZ_SEEDED_EXAMPLES", "6"))
DELETE_EXAMPLES = 2


@dataclass
class Seeded:
    base: str
    headers: dict[str, str]
    params: dict[str, dict[str, str]]  # path template → its path parameters
    refs: dict[str, dict[str, str]]  # api → body property → URL of a seeded object
    fresh: dict[str, Callable[[], dict[str, str]]]  # path template → a new object's path parameters (for DELETE)


def _uuid(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[1]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory, postgres_server: PostgresServer) -> Iterator[Seeded]:
    tmp: Path = tmp_path_factory.mktemp("fuzz-seeded")
    registry_url = postgres_server.create_database("fuzzseedreg")
    runtime_settings = RuntimeSettings(
        environment="test", data_dir=tmp, registry_url=registry_url, delivery_in_process=False
    )
    service.migrate_registry(registry_url)
    runtime = build_runtime(runtime_settings)
    info = service.create_tenant(
        runtime.registry, slug="seeded", name="Seeded", database_url=postgres_server.create_database("fuzzseed")
    )
    with serve(create_app(runtime_settings, runtime)) as server, httpx.Client(timeout=30) as http:
        base = f"{server}/t/seeded"
        tenant = ZgwTenant(info, runtime, http)  # type: ignore[arg-type]
        tenant.__dict__["api"] = lambda component: f"{base}/{component}/api/v1"
        headers = tenant.superuser()
        api = Api(tenant, headers)
        zrc = make_catalog(tenant)
        brc = build_catalog(tenant)
        document = make_document(tenant, zrc)

        def created(response: httpx.Response) -> dict[str, Any]:
            assert response.status_code == 201, response.text
            return dict(response.json())

        zaak = api.create_zaak(zrc.zaaktype)
        zaak_url = zaak["url"]
        status = created(
            api.post(
                "/statussen",
                {"zaak": zaak_url, "statustype": zrc.statustypen[0], "datumStatusGezet": "2024-03-02T10:00:00Z"},
            )
        )

        def new_rol() -> dict[str, Any]:
            return created(api.post("/rollen", rol_body(zrc, zaak)))

        def new_resultaat(on: str = "") -> dict[str, Any]:
            on = on or api.create_zaak(zrc.zaaktype)["url"]
            return created(api.post("/resultaten", {"zaak": on, "resultaattype": zrc.resultaattypen["afgehandeld"]}))

        def new_zaakobject() -> dict[str, Any]:
            return created(
                api.post(
                    "/zaakobjecten", {"zaak": zaak_url, "objectType": "pand", "object": "https://bag.example/panden/1"}
                )
            )

        def new_zio(on: str = "") -> dict[str, Any]:
            on = on or api.create_zaak(zrc.zaaktype)["url"]
            return created(
                api.post("/zaakinformatieobjecten", {"zaak": on, "informatieobject": document, "titel": "foto"})
            )

        def new_zaakeigenschap() -> dict[str, Any]:
            return created(
                api.post(
                    f"/zaken/{zaak['uuid']}/zaakeigenschappen",
                    {"zaak": zaak_url, "eigenschap": zrc.eigenschappen["kleur"], "waarde": "rood"},
                )
            )

        def new_zcm() -> dict[str, Any]:
            return created(
                api.post(
                    "/zaakcontactmomenten", {"zaak": zaak_url, "contactmoment": "https://cmc.example/contactmomenten/1"}
                )
            )

        def new_zaakverzoek() -> dict[str, Any]:
            return created(api.post("/zaakverzoeken", {"zaak": zaak_url, "verzoek": "https://vrc.example/verzoeken/1"}))

        besluiten = f"{base}/besluiten/api/v1"

        def new_besluit(**extra: Any) -> dict[str, Any]:
            return created(http.post(f"{besluiten}/besluiten", json=besluit_body(brc, **extra), headers=headers))

        def new_bio() -> dict[str, Any]:
            body = {"besluit": new_besluit()["url"], "informatieobject": brc.document}
            return created(http.post(f"{besluiten}/besluitinformatieobjecten", json=body, headers=headers))

        def new_zaakbesluit() -> dict[str, str]:
            besluit = new_besluit(zaak=brc.zaak)["url"]
            listed = api.get(f"{brc.zaak}/besluiten").json()
            return {
                "zaak_uuid": _uuid(brc.zaak),
                "uuid": next(_uuid(z["url"]) for z in listed if z["besluit"] == besluit),
            }

        def new_applicatie() -> dict[str, Any]:
            body = {"clientIds": [f"fuzz-{uuid.uuid4().hex[:12]}"], "label": "Fuzz", "heeftAlleAutorisaties": True}
            return created(http.post(f"{base}/autorisaties/api/v1/applicaties", json=body, headers=headers))

        rol, resultaat, zaakobject = new_rol(), new_resultaat(zaak_url), new_zaakobject()
        zio, zaakeigenschap = new_zio(zaak_url), new_zaakeigenschap()
        klantcontact = created(
            api.post("/klantcontacten", {"zaak": zaak_url, "datumtijd": "2024-05-01T10:00:00Z", "kanaal": "telefoon"})
        )
        zcm, zaakverzoek = new_zcm(), new_zaakverzoek()
        besluit = new_besluit(zaak=brc.zaak)
        bio = created(
            http.post(
                f"{besluiten}/besluitinformatieobjecten",
                json={"besluit": besluit["url"], "informatieobject": brc.document},
                headers=headers,
            )
        )
        zaakbesluit = api.get(f"{brc.zaak}/besluiten").json()[0]
        applicatie = new_applicatie()
        zaak_audit = api.get(f"{zaak_url}/audittrail").json()[0]
        besluit_audit = http.get(f"{besluit['url']}/audittrail", headers=headers).json()[0]
        referentielijsten: dict[str, str] = {}
        for resource in ("procestypen", "resultaten", "resultaattypeomschrijvingen"):
            listed = http.get(f"{base}/referentielijsten/api/v1/{resource}", headers=headers).json()
            results = listed["results"] if isinstance(listed, dict) else listed
            referentielijsten[f"/{resource}/{{uuid}}"] = _uuid(results[0]["url"])

        one = {
            "/zaken/{uuid}": zaak_url,
            "/statussen/{uuid}": status["url"],
            "/rollen/{uuid}": rol["url"],
            "/resultaten/{uuid}": resultaat["url"],
            "/zaakobjecten/{uuid}": zaakobject["url"],
            "/zaakinformatieobjecten/{uuid}": zio["url"],
            "/klantcontacten/{uuid}": klantcontact["url"],
            "/zaakcontactmomenten/{uuid}": zcm["url"],
            "/zaakverzoeken/{uuid}": zaakverzoek["url"],
            "/besluiten/{uuid}": besluit["url"],
            "/besluitinformatieobjecten/{uuid}": bio["url"],
            "/applicaties/{uuid}": applicatie["url"],
        }
        params = {path: {"uuid": _uuid(url)} for path, url in one.items()}
        params |= {path: {"uuid": value} for path, value in referentielijsten.items()}
        params |= {
            "/zaken/{zaak_uuid}/audittrail": {"zaak_uuid": zaak["uuid"]},
            "/zaken/{zaak_uuid}/audittrail/{uuid}": {"zaak_uuid": zaak["uuid"], "uuid": zaak_audit["uuid"]},
            "/zaken/{zaak_uuid}/besluiten": {"zaak_uuid": _uuid(brc.zaak)},
            "/zaken/{zaak_uuid}/besluiten/{uuid}": {"zaak_uuid": _uuid(brc.zaak), "uuid": _uuid(zaakbesluit["url"])},
            "/zaken/{zaak_uuid}/zaakeigenschappen": {"zaak_uuid": zaak["uuid"]},
            "/zaken/{zaak_uuid}/zaakeigenschappen/{uuid}": {"zaak_uuid": zaak["uuid"], "uuid": zaakeigenschap["uuid"]},
            "/besluiten/{besluit_uuid}/audittrail": {"besluit_uuid": _uuid(besluit["url"])},
            "/besluiten/{besluit_uuid}/audittrail/{uuid}": {
                "besluit_uuid": _uuid(besluit["url"]),
                "uuid": besluit_audit["uuid"],
            },
        }

        def fresh(make: Callable[[], dict[str, Any]]) -> Callable[[], dict[str, str]]:
            return lambda: {"uuid": _uuid(make()["url"])}

        makers: dict[str, Callable[[], dict[str, str]]] = {
            "/zaken/{uuid}": fresh(lambda: api.create_zaak(zrc.zaaktype)),
            "/rollen/{uuid}": fresh(new_rol),
            "/resultaten/{uuid}": fresh(new_resultaat),
            "/zaakobjecten/{uuid}": fresh(new_zaakobject),
            "/zaakinformatieobjecten/{uuid}": fresh(new_zio),
            "/zaakcontactmomenten/{uuid}": fresh(new_zcm),
            "/zaakverzoeken/{uuid}": fresh(new_zaakverzoek),
            "/zaken/{zaak_uuid}/zaakeigenschappen/{uuid}": lambda: {
                "zaak_uuid": zaak["uuid"],
                "uuid": new_zaakeigenschap()["uuid"],
            },
            "/zaken/{zaak_uuid}/besluiten/{uuid}": new_zaakbesluit,
            "/besluiten/{uuid}": fresh(new_besluit),
            "/besluitinformatieobjecten/{uuid}": fresh(new_bio),
            "/applicaties/{uuid}": fresh(new_applicatie),
        }
        refs = {
            "zaken": {
                "zaak": zaak_url,
                "zaaktype": zrc.zaaktype,
                "statustype": zrc.statustypen[0],
                "roltype": zrc.roltype,
                "resultaattype": zrc.resultaattypen["afgehandeld"],
                "eigenschap": zrc.eigenschappen["kleur"],
                "zaakobjecttype": zrc.zaakobjecttype,
                "informatieobject": document,
                "besluit": besluit["url"],
            },
            "besluiten": {
                "besluittype": brc.besluittype,
                "zaak": brc.zaak,
                "besluit": besluit["url"],
                "informatieobject": brc.document,
            },
        }
        yield Seeded(base, headers, params, refs, makers)
    runtime.close()


def _seeded_operations() -> list[tuple[str, str]]:
    params = []
    for api in filter(_served, SEEDED_APIS):
        schema = schemathesis.openapi.from_path(spec_path(api))
        labels = [operation.ok().label for operation in schema.get_all_operations()]
        params += [(api, label) for label in labels if label not in NOT_SERVED]
    return params


@pytest.mark.slow
@pytest.mark.parametrize(("api", "label"), _seeded_operations())
def test_operation_on_existing_objects_conforms(seeded: Seeded, api: str, label: str) -> None:
    schema = schemathesis.openapi.from_path(spec_path(api))
    operation = schema.find_operation_by_label(label)
    method = operation.method.upper()
    checks = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
    head_statuses: set[int] = set()
    if method == "HEAD":
        get = schema.find_operation_by_label(f"GET {operation.path}")
        head_statuses = {int(code) for code in get.responses.status_codes if code.isdigit() and code != "200"}
    refs = seeded.refs.get(api, {})

    @settings(
        max_examples=DELETE_EXAMPLES if method == "DELETE" else SEEDED_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def run(case: schemathesis.Case) -> None:
        if "{" in operation.path:
            existing = seeded.fresh[operation.path]() if method == "DELETE" else seeded.params[operation.path]
            case.path_parameters = {**(case.path_parameters or {}), **existing}
        if isinstance(case.body, dict):
            case.body = {**case.body, **{k: v for k, v in refs.items() if k in case.body}}
        response = case.call(base_url=f"{seeded.base}/{api}/api/v1", headers=seeded.headers, timeout=30)
        if response.status_code == 304:
            # The documents define If-None-Match on every detail GET/HEAD but list no 304 (HTTP's answer to a
            # matching ETag): a 304 is right when the request was conditional, with the ETag and no body.
            assert "If-None-Match" in (case.headers or {}), response.text
            assert response.headers.get("etag") and not response.content
            return
        case.validate_response(
            response, checks=[not_a_server_error] if response.status_code in head_statuses else checks
        )

    run()
