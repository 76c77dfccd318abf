"""Cross-tenant isolation over every read endpoint of every ZGW API the runtime serves.

Tenant ``alpha`` is seeded (once per module, through the APIs themselves) with at least one object of every
resource. The cases are derived from the official OpenAPI documents: every path with a GET (lists, details,
nested resources, audit trails, downloads), every HEAD, the ``_zoek`` POSTs, and every list filter that takes a
URL or an identifier of alpha's objects. With ``beta``'s heeftAlleAutorisaties token none of them may reveal an
object of alpha: lists hold only beta's own objects, details of alpha's uuids are 404 problems. Alpha's own token
sent to beta's URL prefix is refused (403): tokens are verified per tenant. ``test_every_operation_is_covered``
fails when a path of a document has no case or a path parameter no seeded object, so nothing is skipped silently.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tenant_runtime.openapi import SPECS, spec_text
from tests.fixtures.services import PostgresServer
from tests.tenant_runtime.catalogi.factories import (
    PROCESTYPE_1,
    besluittype_body,
    catalogus_body,
    iot_body,
    referentielijst,
    resultaattype_body,
    roltype_body,
    statustype_body,
    zaaktype_body,
)
from tests.tenant_runtime.conftest import ZgwRuntime, ZgwTenant, _runtime_with_tenants
from tests.tenant_runtime.contract import assert_conforms
from tests.tenant_runtime.notificaties.subscriber import Subscriber

RSIN = "517439943"
CRS = {"Accept-Crs": "EPSG:4326", "Content-Crs": "EPSG:4326"}
PLACEHOLDER = re.compile(r"\{([^}]+)\}")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
PROBLEM = "application/problem+json"
APIS = tuple(SPECS)  # every API the runtime serves, each with its official document
# Paths of a served document the runtime does not implement (yet): their cases assert the 404 of an unknown
# route, so implementing one fails here until it is seeded and checked like the others.
NOT_SERVED: dict[tuple[str, str], str] = {
    ("referentielijsten", "/communicatiekanalen"): "no communicatiekanalen data shipped",
    ("referentielijsten", "/communicatiekanalen/{uuid}"): "no communicatiekanalen data shipped",
}

# --- the cases, from the official documents ------------------------------------------------------------------

# A list filter (query parameter or _zoek property) → (resource key, field of alpha's object) it filters on.
# A resource key is "<api>:<path segment>" (the segment before the uuid in the document's paths).
FILTERS: dict[str, tuple[str, str]] = {
    "zaak": ("zaken:zaken", "url"),
    "zaaktype": ("catalogi:zaaktypen", "url"),
    "zaaktypen": ("catalogi:zaaktypen", "url"),
    "zaaktypeIdentificatie": ("catalogi:zaaktypen", "identificatie"),
    "zaaktype_identificatie": ("catalogi:zaaktypen", "identificatie"),
    "catalogus": ("catalogi:catalogussen", "url"),
    "domein": ("catalogi:catalogussen", "domein"),
    "statustype": ("catalogi:statustypen", "url"),
    "resultaattype": ("catalogi:resultaattypen", "url"),
    "roltype": ("catalogi:roltypen", "url"),
    "informatieobjecttype": ("catalogi:informatieobjecttypen", "url"),
    "informatieobjecttypen": ("catalogi:informatieobjecttypen", "url"),
    "objecttype": ("catalogi:zaakobjecttypen", "objecttype"),
    "relatieOmschrijving": ("catalogi:zaakobjecttypen", "relatieOmschrijving"),
    "besluittype": ("catalogi:besluittypen", "url"),
    "informatieobject": ("documenten:enkelvoudiginformatieobjecten", "url"),
    "besluit": ("besluiten:besluiten", "url"),
    "betrokkene": ("zaken:rollen", "betrokkene"),
    "rol__betrokkene": ("zaken:rollen", "betrokkene"),
    "contactmoment": ("zaken:zaakcontactmomenten", "contactmoment"),
    "verzoek": ("zaken:zaakverzoeken", "verzoek"),
    "clientIds": ("autorisaties:applicaties", "clientIds.0"),
    "clientId": ("autorisaties:applicaties", "clientIds.0"),
}
# Filters whose meaning depends on the path: (path, name) → (resource key, field).
PATH_FILTERS: dict[tuple[str, str], tuple[str, str]] = {
    ("/zaken", "identificatie"): ("zaken:zaken", "identificatie"),
    ("/zaken/_zoek", "identificatie"): ("zaken:zaken", "identificatie"),
    ("/zaaktypen", "identificatie"): ("catalogi:zaaktypen", "identificatie"),
    ("/enkelvoudiginformatieobjecten", "identificatie"): ("documenten:enkelvoudiginformatieobjecten", "identificatie"),
    ("/besluiten", "identificatie"): ("besluiten:besluiten", "identificatie"),
    ("/zaakobjecten", "object"): ("zaken:zaakobjecten", "object"),
    ("/verzendingen", "betrokkene"): ("documenten:verzendingen", "betrokkene"),
    ("/objectinformatieobjecten", "object"): ("zaken:zaken", "url"),
    ("/kanaal", "naam"): ("notificaties:kanaal", "naam"),
    ("/zaken/_zoek", "uuid__in"): ("zaken:zaken", "uuid"),
    ("/enkelvoudiginformatieobjecten/_zoek", "uuid_In"): ("documenten:enkelvoudiginformatieobjecten", "uuid"),
}
# Filters that name no object of alpha (paging, dates, enums, free text) are left out; these are the kinds of
# filter that must be mapped above, so a new one in a document fails test_every_operation_is_covered.
BETROKKENE = re.compile(r"(?:rol__)?betrokkeneIdentificatie__(\w+?)__(\w+)")
# Filters whose value is the same in every tenant (kanalen are seeded per tenant under the same names): beta finds
# its own objects by them, so they are not compared with a value that names nothing.
SHARED_VALUES = {("/kanaal", "naam")}
IDENTIFYING = re.compile(r"(identificatie|Identificatie|clientIds?|uuid_[_I]n)$")


@dataclass(frozen=True)
class Case:
    api: str
    method: str  # GET, HEAD or POST (_zoek)
    path: str  # as in the document, e.g. /zaken/{zaak_uuid}/zaakeigenschappen/{uuid}
    kind: str  # "list", "detail" or "filter"
    filter: str = ""  # query parameter or _zoek property
    many: bool = False  # the filter takes an array
    required: tuple[tuple[str, bool], ...] = ()  # filters the operation requires: (name, takes an array)

    @property
    def id(self) -> str:
        suffix = f"?{self.filter}" if self.filter else ""
        return f"{self.api}:{self.method} {self.path}{suffix}"

    def placeholders(self) -> list[tuple[str, str]]:
        """(placeholder, resource key) for each path parameter: the key of the segment before it."""
        segments = self.path.strip("/").split("/")
        return [
            (match.group(1), f"{self.api}:{segments[index - 1]}")
            for index, segment in enumerate(segments)
            if (match := PLACEHOLDER.fullmatch(segment))
        ]


@cache
def _document(api: str) -> dict[str, Any]:
    # libyaml's loader: the pure-Python one spends seconds on these documents at every collection.
    document: dict[str, Any] = yaml.load(spec_text(api), Loader=yaml.CSafeLoader)
    return document


def _resolve(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = document
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


def _schema_type(document: dict[str, Any], schema: dict[str, Any]) -> str:
    schema = _resolve(document, schema)
    return str(schema.get("format") or schema.get("type") or "")


def _filters(api: str, path: str, method: str, operation: dict[str, Any]) -> Iterator[tuple[str, str, bool]]:
    """(name, schema type, required) of the filters of an operation: its query parameters and, for a _zoek
    POST, the properties of its body."""
    document = _document(api)
    shared = document["paths"][path].get("parameters", [])
    for parameter in (_resolve(document, p) for p in [*operation.get("parameters", []), *shared]):
        if parameter["in"] == "query":
            schema_type = _schema_type(document, parameter.get("schema", {}))
            yield parameter["name"], schema_type, bool(parameter.get("required"))
    if method == "post":
        body = _resolve(document, operation["requestBody"]["content"]["application/json"]["schema"])
        for name, schema in body.get("properties", {}).items():
            yield name, _schema_type(document, schema), name in body.get("required", [])


def _many(name: str, schema_type: str) -> bool:
    return name.endswith("__in") or name.endswith("_In") or schema_type == "array"


def _mapped(path: str, name: str) -> tuple[str, str] | None:
    if (path, name) in PATH_FILTERS:
        return PATH_FILTERS[(path, name)]
    if match := BETROKKENE.fullmatch(name):  # an identificatie of the betrokkene of alpha's rol of that type
        return f"zaken:rollen#{match[1]}", f"betrokkeneIdentificatie.{match[2]}"
    return FILTERS.get(name.removesuffix("__in"))


def cases() -> list[Case]:
    found: list[Case] = []
    for api in APIS:
        for path, item in _document(api)["paths"].items():
            for method in ("get", "head", "post"):
                operation = item.get(method)
                if operation is None or (method == "post" and not path.endswith("/_zoek")):
                    continue
                kind = "detail" if path.endswith("}") or method == "head" or path.endswith("/download") else "list"
                filters = list(_filters(api, path, method, operation)) if method != "head" else []
                required = tuple((name, _many(name, t)) for name, t, needed in filters if needed)
                found.append(Case(api, method.upper(), path, kind, required=required))
                for name, schema_type, needed in filters:
                    if not needed and _mapped(path, name) is not None:
                        found.append(
                            Case(api, method.upper(), path, "filter", name, _many(name, schema_type), required)
                        )
    return found


CASES = cases()
READS = [c for c in CASES if c.kind != "filter"]


def _public(api: str) -> bool:
    """An API whose document secures no operation (the referentielijsten): read by anyone."""
    return not any(
        "security" in operation
        for item in _document(api)["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict)
    )


# --- alpha's objects ----------------------------------------------------------------------------------------


@dataclass
class World:
    alpha: ZgwTenant
    beta: ZgwTenant
    alpha_headers: dict[str, str]
    beta_headers: dict[str, str]
    seeds: dict[str, dict[str, Any]] = field(default_factory=dict)  # resource key → alpha's object (API JSON)

    def values(self, key: str, attribute: str) -> Any:
        value: Any = self.seeds[key]
        for part in attribute.split("."):
            value = value[int(part)] if isinstance(value, list) else value[part]
        return value

    def alpha_uuids(self) -> set[str]:
        return {str(obj["uuid"]) for key, obj in self.seeds.items() if not key.startswith("referentielijsten:")}


def _request(tenant: ZgwTenant, method: str, url: str, headers: dict[str, str], **kwargs: Any) -> httpx.Response:
    response: httpx.Response = tenant.client.request(method, url, headers={**CRS, **headers}, **kwargs)
    return response


def _create(
    tenant: ZgwTenant, headers: dict[str, str], api: str, path: str, body: dict[str, Any], status: int = 201
) -> dict[str, Any]:
    response = _request(tenant, "POST", f"{tenant.api(api)}/{path}", headers, json=body)
    assert response.status_code == status, f"{path}: {response.text}"
    result: dict[str, Any] = response.json()
    return result


def _only(tenant: ZgwTenant, headers: dict[str, str], url: str) -> dict[str, Any]:
    response = _request(tenant, "GET", url, headers)
    assert response.status_code == 200, response.text
    body = response.json()
    results = body["results"] if isinstance(body, dict) else body
    assert results, f"nothing at {url}"
    first: dict[str, Any] = results[0]
    return first


def _seed(alpha: ZgwTenant, headers: dict[str, str], subscriber: Subscriber, client_id: str) -> dict[str, Any]:
    """One object of every resource of alpha, created through its APIs; resource key → the object's JSON."""
    seeds: dict[str, dict[str, Any]] = {}

    def keep(key: str, obj: dict[str, Any]) -> dict[str, Any]:
        if "uuid" not in obj:
            obj = {**obj, "uuid": obj["url"].rstrip("/").rsplit("/", 1)[-1]}
        seeds[key] = obj
        return obj

    # Autorisaties
    applicatie = _only(alpha, headers, f"{alpha.api('autorisaties')}/applicaties?clientIds={client_id}")
    keep("autorisaties:applicaties", applicatie)
    # Catalogi
    catalogus = keep(
        "catalogi:catalogussen", _create(alpha, headers, "catalogi", "catalogussen", catalogus_body("ISOA"))
    )
    iot = keep(
        "catalogi:informatieobjecttypen",
        _create(alpha, headers, "catalogi", "informatieobjecttypen", iot_body(catalogus["url"], "Isolatiebrief"), 200),
    )
    besluittype = keep(
        "catalogi:besluittypen",
        _create(
            alpha,
            headers,
            "catalogi",
            "besluittypen",
            besluittype_body(catalogus["url"], "ISO-BT", informatieobjecttypen=[iot["omschrijving"]]),
        ),
    )
    zaaktype = _create(
        alpha,
        headers,
        "catalogi",
        "zaaktypen",
        zaaktype_body(
            catalogus["url"],
            identificatie="ZT-ISOLATIE",
            besluittypen=[besluittype["omschrijving"]],
            selectielijstProcestype=referentielijst(alpha, "procestypen", PROCESTYPE_1),
        ),
    )
    parts: list[tuple[str, dict[str, Any]]] = [
        ("statustypen", statustype_body(zaaktype["url"], 1)),
        ("statustypen", statustype_body(zaaktype["url"], 2)),
        ("roltypen", roltype_body(zaaktype["url"])),
        ("resultaattypen", resultaattype_body(alpha, zaaktype["url"])),
        (
            "zaaktype-informatieobjecttypen",
            {
                "zaaktype": zaaktype["url"],
                "informatieobjecttype": iot["omschrijving"],
                "volgnummer": 1,
                "richting": "inkomend",
            },
        ),
        (
            "eigenschappen",
            {
                "naam": "kleur",
                "definitie": "kleur",
                "specificatie": {"formaat": "tekst", "lengte": "5", "kardinaliteit": "1"},
                "zaaktype": zaaktype["url"],
            },
        ),
        (
            "zaakobjecttypen",
            {
                "anderObjecttype": False,
                "beginGeldigheid": "2024-01-01",
                "objecttype": f"https://objecttypen.example/api/v2/objecttypes/{uuid.uuid4()}",
                "relatieOmschrijving": "Isolatieperceel",
                "zaaktype": zaaktype["url"],
                "catalogus": catalogus["url"],
            },
        ),
    ]
    for resource, body in parts:
        _create(alpha, headers, "catalogi", resource, body)
    for url in (iot["url"], besluittype["url"], zaaktype["url"]):
        _create(alpha, headers, "catalogi", url.removeprefix(alpha.api("catalogi") + "/") + "/publish", {}, 200)
    zaaktype = keep("catalogi:zaaktypen", _request(alpha, "GET", zaaktype["url"], headers).json())
    for resource, field_name in (
        ("statustypen", "statustypen"),
        ("roltypen", "roltypen"),
        ("resultaattypen", "resultaattypen"),
        ("eigenschappen", "eigenschappen"),
        ("zaakobjecttypen", "zaakobjecttypen"),
        ("zaaktype-informatieobjecttypen", "informatieobjecttypen"),
    ):
        url = f"{alpha.api('catalogi')}/{resource}?zaaktype={zaaktype['url']}"
        keep(f"catalogi:{resource}", _only(alpha, headers, url))
        assert zaaktype[field_name], field_name
    # Documenten
    document = keep(
        "documenten:enkelvoudiginformatieobjecten",
        _create(
            alpha,
            headers,
            "documenten",
            "enkelvoudiginformatieobjecten",
            {
                "identificatie": "DOC-ISOLATIE",
                "bronorganisatie": RSIN,
                "creatiedatum": "2024-05-01",
                "titel": "Isolatie",
                "auteur": "Test",
                "taal": "nld",
                "informatieobjecttype": iot["url"],
                "inhoud": base64.b64encode(b"alleen voor alpha").decode(),
                "indicatieGebruiksrecht": True,
            },
        ),
    )
    keep(
        "documenten:gebruiksrechten",
        _create(
            alpha,
            headers,
            "documenten",
            "gebruiksrechten",
            {"informatieobject": document["url"], "startdatum": "2024-05-01T00:00:00Z", "omschrijvingVoorwaarden": "x"},
        ),
    )
    keep(
        "documenten:verzendingen",
        _create(
            alpha,
            headers,
            "documenten",
            "verzendingen",
            {
                "betrokkene": f"https://klanten.example/api/v1/klanten/{uuid.uuid4()}",
                "informatieobject": document["url"],
                "aardRelatie": "geadresseerde",
                "contactPersoon": "https://medewerkers.example/api/v1/medewerkers/7",
                "emailadres": "iemand@example.com",
            },
        ),
    )
    in_parts = _create(
        alpha,
        headers,
        "documenten",
        "enkelvoudiginformatieobjecten",
        {
            "bronorganisatie": RSIN,
            "creatiedatum": "2024-05-01",
            "titel": "In delen",
            "auteur": "Test",
            "taal": "nld",
            "informatieobjecttype": iot["url"],
            "inhoud": None,
            "bestandsomvang": 10,
            "bestandsnaam": "delen.bin",
        },
    )
    keep("documenten:bestandsdelen", in_parts["bestandsdelen"][0])
    # Zaken
    zaak = keep(
        "zaken:zaken",
        _create(
            alpha,
            headers,
            "zaken",
            "zaken",
            {
                "identificatie": "ZAAK-ISOLATIE",
                "zaaktype": zaaktype["url"],
                "bronorganisatie": RSIN,
                "verantwoordelijkeOrganisatie": RSIN,
                "startdatum": "2024-03-01",
            },
        ),
    )
    on_zaak = {"zaak": zaak["url"]}
    keep(
        "zaken:statussen",
        _create(
            alpha,
            headers,
            "zaken",
            "statussen",
            {**on_zaak, "statustype": zaaktype["statustypen"][0], "datumStatusGezet": "2024-03-02T10:00:00Z"},
        ),
    )
    keep(
        "zaken:resultaten",
        _create(alpha, headers, "zaken", "resultaten", {**on_zaak, "resultaattype": zaaktype["resultaattypen"][0]}),
    )
    betrokkenen: dict[str, tuple[str, dict[str, Any]]] = {  # filter name part → betrokkeneType, identificatie
        "natuurlijkPersoon": (
            "natuurlijk_persoon",
            {"inpBsn": "111222333", "anpIdentificatie": "ANP-ISO", "inpA_nummer": "1234567890"},
        ),
        "nietNatuurlijkPersoon": ("niet_natuurlijk_persoon", {"innNnpId": "517439943", "annIdentificatie": "ANN-ISO"}),
        "vestiging": ("vestiging", {"vestigingsNummer": "VST-ISO"}),
        "organisatorischeEenheid": ("organisatorische_eenheid", {"identificatie": "OEH-ISO", "naam": "Team"}),
        "medewerker": ("medewerker", {"identificatie": "MW-ISO", "achternaam": "Jansen"}),
    }
    for part, (betrokkene_type, identificatie) in betrokkenen.items():
        rol = _create(
            alpha,
            headers,
            "zaken",
            "rollen",
            {
                **on_zaak,
                "betrokkene": f"https://personen.example/api/v1/betrokkenen/{uuid.uuid4()}",
                "betrokkeneType": betrokkene_type,
                "roltype": zaaktype["roltypen"][0],
                "roltoelichting": part,
                "betrokkeneIdentificatie": identificatie,
            },
        )
        keep(f"zaken:rollen#{part}", rol)
    seeds["zaken:rollen"] = seeds["zaken:rollen#natuurlijkPersoon"]
    keep(
        "zaken:zaakobjecten",
        _create(
            alpha,
            headers,
            "zaken",
            "zaakobjecten",
            {
                **on_zaak,
                "object": f"https://bag.example/panden/{uuid.uuid4()}",
                "objectType": "pand",
                "zaakobjecttype": zaaktype["zaakobjecttypen"][0],
            },
        ),
    )
    keep(
        "zaken:zaakinformatieobjecten",
        _create(alpha, headers, "zaken", "zaakinformatieobjecten", {**on_zaak, "informatieobject": document["url"]}),
    )
    keep(
        "zaken:zaakeigenschappen",
        _create(
            alpha,
            headers,
            "zaken",
            f"zaken/{zaak['uuid']}/zaakeigenschappen",
            {**on_zaak, "eigenschap": zaaktype["eigenschappen"][0], "waarde": "rood"},
        ),
    )
    keep(
        "zaken:klantcontacten",
        _create(
            alpha,
            headers,
            "zaken",
            "klantcontacten",
            {**on_zaak, "datumtijd": "2024-05-01T10:00:00Z", "kanaal": "telefoon"},
        ),
    )
    contactmoment = f"https://contactmomenten.example/api/v1/contactmomenten/{uuid.uuid4()}"
    keep(
        "zaken:zaakcontactmomenten",
        _create(alpha, headers, "zaken", "zaakcontactmomenten", {**on_zaak, "contactmoment": contactmoment}),
    )
    verzoek = f"https://verzoeken.example/api/v1/verzoeken/{uuid.uuid4()}"
    keep("zaken:zaakverzoeken", _create(alpha, headers, "zaken", "zaakverzoeken", {**on_zaak, "verzoek": verzoek}))
    # Besluiten (a besluit in the zaak registers its zaakbesluit)
    besluit = keep(
        "besluiten:besluiten",
        _create(
            alpha,
            headers,
            "besluiten",
            "besluiten",
            {
                "identificatie": "BESLUIT-ISOLATIE",
                "verantwoordelijkeOrganisatie": RSIN,
                "besluittype": besluittype["url"],
                "zaak": zaak["url"],
                "datum": "2024-05-01",
                "ingangsdatum": "2024-05-01",
            },
        ),
    )
    keep(
        "besluiten:besluitinformatieobjecten",
        _create(
            alpha,
            headers,
            "besluiten",
            "besluitinformatieobjecten",
            {"besluit": besluit["url"], "informatieobject": document["url"]},
        ),
    )
    keep("zaken:besluiten", _only(alpha, headers, f"{zaak['url']}/besluiten"))
    # Derived: the document's relations to the zaak and besluit, the audit trails.
    oio_url = f"{alpha.api('documenten')}/objectinformatieobjecten?informatieobject={document['url']}"
    keep("documenten:objectinformatieobjecten", _only(alpha, headers, oio_url))
    for api, parent in (("zaken", zaak), ("documenten", document), ("besluiten", besluit)):
        entry = _only(alpha, headers, f"{parent['url']}/audittrail")
        keep(f"{api}:audittrail", {**entry, "url": f"{parent['url']}/audittrail/{entry['uuid']}"})
    # Notificaties: kanalen are seeded per tenant; an abonnement of alpha.
    keep("notificaties:kanaal", _only(alpha, headers, f"{alpha.api('notificaties')}/kanaal?naam=zaken"))
    keep(
        "notificaties:abonnement",
        _create(
            alpha,
            headers,
            "notificaties",
            "abonnement",
            {"callbackUrl": subscriber.url, "auth": "Bearer alpha-secret", "kanalen": [{"naam": "zaken"}]},
        ),
    )
    # Referentielijsten: shared reference data, served under each tenant's own URLs.
    for resource in ("procestypen", "resultaten", "resultaattypeomschrijvingen"):
        keep(f"referentielijsten:{resource}", _only(alpha, headers, f"{alpha.api('referentielijsten')}/{resource}"))
    return seeds


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, postgres_server: PostgresServer) -> Iterator[World]:
    tmp: Path = tmp_path_factory.mktemp("isolation")
    subscriber = Subscriber().start()
    env: ZgwRuntime
    for env in _runtime_with_tenants(tmp, postgres_server, ("alpha", "beta")):
        alpha, beta = env.tenants["alpha"], env.tenants["beta"]
        client_id = f"alpha-{uuid.uuid4().hex[:8]}"
        alpha_headers = alpha.headers_for(heeft_alle_autorisaties=True, client_id=client_id, label="superuser")
        world = World(alpha, beta, alpha_headers, beta.superuser())
        world.seeds = _seed(alpha, alpha_headers, subscriber, client_id)
        yield world
    subscriber.stop()


# --- the checks ---------------------------------------------------------------------------------------------


def _url(world: World, case: Case, tenant: ZgwTenant) -> str:
    path = case.path
    for placeholder, key in case.placeholders():
        assert key in world.seeds, f"no seeded object of alpha for {{{placeholder}}} ({key}) in {case.path}"
        path = path.replace(f"{{{placeholder}}}", str(world.seeds[key]["uuid"]))
    return f"{tenant.api(case.api)}{path}"


def _value(world: World, path: str, name: str, many: bool) -> Any:
    mapped = _mapped(path, name)
    assert mapped is not None, f"{path}: no value of alpha's objects for {name}"
    value = world.values(*mapped)
    return [value] if many else value


def _unknown(value: Any) -> Any:
    """The same kind of value naming nothing: alpha's uuids in it swapped for fresh ones, else a new name."""
    if isinstance(value, list):
        return [_unknown(v) for v in value]
    text = str(value)
    swapped = UUID.sub(lambda _: str(uuid.uuid4()), text)
    return swapped if swapped != text else f"onbekend-{uuid.uuid4().hex[:8]}"


def _sent(world: World, case: Case) -> dict[str, Any]:
    """The filters the request sends: the required ones, and the case's own."""
    sent = {name: _value(world, case.path, name, many) for name, many in case.required}
    if case.filter:
        sent[case.filter] = _value(world, case.path, case.filter, case.many)
    return sent


def _call(
    world: World, case: Case, tenant: ZgwTenant, headers: dict[str, str], *, unknown: bool = False
) -> httpx.Response:
    """The case's request to ``tenant``; ``unknown``: with fresh identifiers instead of alpha's."""
    url = _url(world, case, tenant)
    sent = _sent(world, case)
    if unknown:
        url = tenant.api(case.api) + UUID.sub(lambda _: str(uuid.uuid4()), url.removeprefix(tenant.api(case.api)))
        sent = {name: _unknown(value) for name, value in sent.items()}
    if case.method == "POST":
        return _request(tenant, case.method, url, headers, json=sent)
    params = {name: ",".join(v) if isinstance(v, list) else v for name, v in sent.items()}
    return _request(tenant, case.method, url, headers, params=params)


def _echoed(world: World, case: Case) -> set[str]:
    values: set[str] = set()
    for value in _sent(world, case).values():
        values.update(str(v) for v in (value if isinstance(value, list) else [value]))
    return values


def _item_url(item: dict[str, Any]) -> str:
    """The URL of a listed object; an audit trail entry names the object it is about."""
    return str(item["url"] if "url" in item else item["resourceUrl"])


def _items(body: Any) -> list[Any]:
    if isinstance(body, dict) and "results" in body:
        results: list[Any] = body["results"]
        return results
    return body if isinstance(body, list) else [body]


def _assert_reveals_nothing_of_alpha(world: World, case: Case, response: httpx.Response) -> None:
    """Neither alpha's URLs nor the uuids of its objects are in the answer (apart from values the request sent)."""
    text = response.text
    for value in _echoed(world, case):
        text = text.replace(value, "")
    leaked = [u for u in world.alpha_uuids() if u in text or u.replace("-", "") in text]
    assert world.alpha.base + "/" not in text, f"{case.id}: beta's answer names alpha's URLs: {text[:500]}"
    assert not leaked, f"{case.id}: beta's answer holds alpha's uuids {leaked}: {text[:500]}"


def _shape(response: httpx.Response) -> tuple[Any, ...]:
    """What an answer says, without its request-specific parts (problem instance, echoed values)."""
    if not response.content:
        return (response.status_code,)
    body = response.json()
    if isinstance(body, dict) and "invalidParams" in body:
        return (response.status_code, body.get("code"), sorted((p["name"], p["code"]) for p in body["invalidParams"]))
    if isinstance(body, dict) and "instance" in body:
        return (response.status_code, body.get("code"), body.get("detail"))
    return (response.status_code, json.dumps(body, sort_keys=True))


def _assert_alpha_sees_it(world: World, case: Case) -> None:
    """The control: alpha's own token on alpha's URLs finds the object(s) the case names."""
    response = _call(world, case, world.alpha, world.alpha_headers)
    assert response.status_code == 200, f"{case.id} for alpha: {response.status_code} {response.text[:500]}"
    if case.kind != "detail":
        items = _items(response.json())
        assert items, f"{case.id}: alpha's own request finds nothing, so beta's check would prove nothing"
        if case.api != "referentielijsten":
            assert any(_item_url(item).startswith(world.alpha.base + "/") for item in items), items


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_beta_sees_nothing_of_alpha(world: World, case: Case) -> None:
    if (case.api, case.path) in NOT_SERVED:
        for tenant in (world.alpha, world.beta):
            url = tenant.api(case.api) + case.path.replace("{uuid}", str(uuid.uuid4()))
            response = _request(tenant, case.method, url, world.beta_headers)
            assert response.status_code == 404 and response.json()["detail"] == "Not Found", response.text
        return
    _assert_alpha_sees_it(world, case)
    response = _call(world, case, world.beta, world.beta_headers)
    assert response.status_code < 500, f"{case.id}: {response.status_code} {response.text}"
    if case.api == "referentielijsten":
        # Shared reference data: the same objects in every tenant, each named by the tenant's own URLs.
        assert response.status_code == 200, response.text
        assert all(_item_url(item).startswith(world.beta.base + "/") for item in _items(response.json()))
        assert world.alpha.base + "/" not in response.text
        return
    _assert_reveals_nothing_of_alpha(world, case, response)
    if case.kind == "detail":
        assert response.status_code == 404, f"{case.id}: {response.status_code} {response.text[:500]}"
        if case.method != "HEAD":
            assert response.headers["content-type"].startswith(PROBLEM), response.headers
            assert response.json()["status"] == 404
        return
    names_alpha = bool(case.placeholders() or case.filter or case.required)
    if response.status_code != 200:
        # A parent or filter naming alpha's object may be refused (404, 400) - exactly as an unknown one is.
        assert names_alpha and response.status_code in (400, 404), f"{case.id}: {response.status_code}"
        assert response.headers["content-type"].startswith(PROBLEM), response.headers
    else:
        assert_conforms(response, case.api)
        body = response.json()
        items = _items(body)
        assert all(_item_url(item).startswith(world.beta.base + "/") for item in items), items
        if isinstance(body, dict) and "count" in body and not body["next"]:
            assert body["count"] == len(items), body
    if names_alpha and (case.path, case.filter) not in SHARED_VALUES:
        # Beta cannot tell alpha's identifiers from ones that name nothing.
        unknown = _call(world, case, world.beta, world.beta_headers, unknown=True)
        assert _shape(unknown) == _shape(response), f"{case.id}: {unknown.text[:300]} vs {response.text[:300]}"


ALPHA_IN_BETA = [c for c in READS if not _public(c.api) and (c.api, c.path) not in NOT_SERVED]


@pytest.mark.parametrize("case", ALPHA_IN_BETA, ids=[c.id for c in ALPHA_IN_BETA])
def test_alpha_token_is_refused_by_beta(world: World, case: Case) -> None:
    response = _call(world, case, world.beta, world.alpha_headers)
    assert response.status_code == 403, f"{case.id}: {response.status_code} {response.text[:500]}"
    if case.method != "HEAD":
        assert response.headers["content-type"].startswith(PROBLEM)
        _assert_reveals_nothing_of_alpha(world, case, response)


def test_bestandsdeel_of_alpha_cannot_be_uploaded_by_beta(world: World) -> None:
    """Bestandsdelen have no GET; the PUT of an upload part is the one way to address them."""
    deel = world.seeds["documenten:bestandsdelen"]
    url = f"{world.beta.api('documenten')}/bestandsdelen/{deel['uuid']}"
    files = {"inhoud": ("deel.bin", b"0123456789", "application/octet-stream")}
    response = _request(world.beta, "PUT", url, world.beta_headers, data={"lock": "x"}, files=files)
    assert response.status_code == 404, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    response = _request(world.alpha, "PUT", url.replace(world.beta.base, world.alpha.base), world.beta_headers)
    assert response.status_code == 403, response.text


def test_every_operation_is_covered(world: World) -> None:
    """Every GET path of every document has a case, every path parameter a seeded object of alpha, and every
    filter that names an object (a URL or an identificatie) a value from alpha's objects."""
    covered = {(c.api, c.path) for c in READS if c.method == "GET"}
    unmapped: list[str] = []
    for api in APIS:
        document = _document(api)
        for path, item in document["paths"].items():
            if "get" in item:
                assert (api, path) in covered, f"{api} GET {path} has no case"
            for method in ("get", "head", "post"):
                if method not in item or (method == "post" and not path.endswith("/_zoek")):
                    continue
                for name, schema_type, required in _filters(api, path, method, item[method]):
                    if (schema_type == "uri" or required or IDENTIFYING.search(name)) and _mapped(path, name) is None:
                        unmapped.append(f"{api} {method.upper()} {path}?{name}")
    assert not unmapped, f"filters naming objects without a value from alpha's objects: {unmapped}"
    for case in CASES:
        if (case.api, case.path) in NOT_SERVED:
            continue
        for placeholder, key in case.placeholders():
            assert key in world.seeds, f"{case.id}: no seeded object of alpha for {{{placeholder}}} ({key})"
        _sent(world, case)  # raises when a seeded object lacks the field a filter takes
    # Every seeded object is really alpha's and readable by alpha.
    for key, obj in world.seeds.items():
        if key == "documenten:bestandsdelen":
            continue
        response = _request(world.alpha, "GET", str(obj["url"]), world.alpha_headers)
        assert response.status_code == 200, f"{key}: {response.status_code} {response.text[:300]}"
    assert len(CASES) > 100
    assert json.dumps(sorted({c.api for c in CASES})) == json.dumps(sorted(APIS))
