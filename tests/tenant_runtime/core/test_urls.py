"""The URLs the runtime emits behind a reverse proxy: resource ``url`` fields, ``Location`` headers, pagination
links and references between resources are absolute and carry the proxy's scheme, host and prefix
(``X-Forwarded-Proto``/``-Host``/``-Prefix``), or ``ZGW_RUNTIME_PUBLIC_URL`` when that is set; forwarded headers
count only from the proxies in ``ZGW_RUNTIME_FORWARDED_ALLOW_IPS``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tenant_runtime.catalogi.models import Catalogus
from tenant_runtime.config import RuntimeSettings
from tenant_runtime.container import build_runtime
from tenant_runtime.main import create_app
from tenant_runtime.tenants import service
from tests.fixtures.services import PostgresServer
from tests.tenant_runtime.conftest import ZgwTenant
from tests.tenant_runtime.zaken.conftest import RSIN, Api, make_catalog

PROXY_PEER = ("10.20.30.40", 51000)
FORWARDED = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "gemeente.example.nl", "X-Forwarded-Prefix": "/api"}
PUBLIC = "https://gemeente.example.nl/api/t/alpha"
UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


class ProxiedClient:
    """What a reverse proxy in front of the runtime does: a request for ``https://gemeente.example.nl/api/...``
    reaches the runtime as ``/...`` from the proxy's address, with the X-Forwarded-* headers."""

    def __init__(self, client: TestClient, public_root: str, forwarded: dict[str, str]) -> None:
        self._client = client
        self._public_root = public_root
        self._forwarded = forwarded

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        if url.startswith(self._public_root):
            url = "http://testserver" + url[len(self._public_root) :]
        headers = {**self._forwarded, **kwargs.pop("headers", {})}
        return self._client.request(method, url, headers=headers, **kwargs)

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)


@contextmanager
def _runtime(tmp_path: Path, server: PostgresServer, **overrides: Any) -> Iterator[tuple[TestClient, ZgwTenant]]:
    registry_url = server.create_database("urlsreg")
    settings = RuntimeSettings(
        environment="test",
        data_dir=tmp_path,
        registry_url=registry_url,
        registry_cache_seconds=0,
        forwarded_allow_ips="127.0.0.1, 10.0.0.0/8",
        **overrides,
    )
    service.migrate_registry(registry_url)
    runtime = build_runtime(settings)
    info = service.create_tenant(
        runtime.registry, slug="alpha", name="Alpha", database_url=server.create_database("urls")
    )
    with TestClient(create_app(settings, runtime), client=PROXY_PEER, raise_server_exceptions=False) as client:
        yield client, ZgwTenant(info, runtime, client)


def _behind(tenant: ZgwTenant, client: TestClient, public: str, forwarded: dict[str, str]) -> ZgwTenant:
    """The tenant as clients behind the proxy see it: API roots under ``public``, requests through the proxy."""
    proxied = ZgwTenant(tenant.info, tenant.runtime, ProxiedClient(client, public.removesuffix("/t/alpha"), forwarded))  # type: ignore[arg-type]
    proxied.__dict__["api"] = lambda component: f"{public}/{component}/api/v1"
    return proxied


def test_urls_behind_a_proxy_carry_its_scheme_host_and_prefix(tmp_path: Path, postgres_server: PostgresServer) -> None:
    with _runtime(tmp_path, postgres_server) as (client, tenant):
        proxied = _behind(tenant, client, PUBLIC, FORWARDED)
        catalog = make_catalog(proxied)  # the zaaktype's URL as the proxy's clients know it
        api = Api(proxied, tenant.superuser())

        created = api.post(
            "/zaken",
            {
                "zaaktype": catalog.zaaktype,
                "bronorganisatie": RSIN,
                "verantwoordelijkeOrganisatie": RSIN,
                "startdatum": "2024-03-01",
            },
        )
        assert created.status_code == 201, created.text
        zaak = created.json()
        assert re.fullmatch(f"{PUBLIC}/zaken/api/v1/zaken/{UUID}", zaak["url"])
        assert created.headers["Location"] == zaak["url"]
        assert zaak["zaaktype"] == catalog.zaaktype  # the reference resolved locally and is emitted the same way

        status = api.post(
            "/statussen",
            {"zaak": zaak["url"], "statustype": catalog.statustypen[0], "datumStatusGezet": "2024-03-01T10:00:00Z"},
        )
        assert status.status_code == 201, status.text
        assert status.json()["url"].startswith(f"{PUBLIC}/zaken/api/v1/statussen/")
        assert status.headers["Location"] == status.json()["url"]
        assert status.json()["zaak"] == zaak["url"]
        assert api.get(zaak["url"]).json()["status"] == status.json()["url"]

        # Pagination: next/previous under the same public base, keeping the query.
        with tenant.session() as session, session.begin():
            session.add_all(
                Catalogus(domein=f"D{i:03d}", rsin=RSIN, contactpersoon_beheer_naam="Beheer") for i in range(100)
            )
        catalogi = f"{PUBLIC}/catalogi/api/v1/catalogussen"
        first = proxied.client.get(f"{catalogi}?rsin={RSIN}", headers=api.headers).json()
        assert first["count"] == 101
        assert first["next"] == f"{catalogi}?rsin={RSIN}&page=2"
        assert first["previous"] is None
        assert all(r["url"].startswith(f"{catalogi}/") for r in first["results"])
        second = proxied.client.get(first["next"], headers=api.headers).json()
        assert second["previous"] == f"{catalogi}?rsin={RSIN}"
        assert second["next"] is None
        assert len(second["results"]) == 1


def test_comma_separated_forwarded_values_use_the_first(tmp_path: Path, postgres_server: PostgresServer) -> None:
    """Proxies chained: each appends its view; the first (outermost) one is the client's."""
    forwarded = {"X-Forwarded-Proto": "https, http", "X-Forwarded-Host": "gemeente.example.nl, intern.local"}
    with _runtime(tmp_path, postgres_server) as (client, tenant):
        proxied = _behind(tenant, client, "https://gemeente.example.nl/t/alpha", forwarded)
        response = proxied.client.post(
            "https://gemeente.example.nl/t/alpha/catalogi/api/v1/catalogussen",
            json={"domein": "KETN", "rsin": RSIN, "contactpersoonBeheerNaam": "Beheer"},
            headers=tenant.superuser(),
        )
    assert response.status_code == 201, response.text
    assert response.json()["url"].startswith("https://gemeente.example.nl/t/alpha/catalogi/api/v1/catalogussen/")


def test_public_url_setting_wins_over_forwarded_headers(tmp_path: Path, postgres_server: PostgresServer) -> None:
    public = "https://zgw.gemeente.nl/registers/t/alpha"
    with _runtime(tmp_path, postgres_server, public_url="https://zgw.gemeente.nl/registers/") as (client, tenant):
        proxied = _behind(tenant, client, public, FORWARDED)  # headers of a proxy that disagree: ignored
        catalog = make_catalog(proxied)
        api = Api(proxied, tenant.superuser())
        zaak = api.create_zaak(catalog.zaaktype)
        assert re.fullmatch(f"{public}/zaken/api/v1/zaken/{UUID}", zaak["url"])
        listed = api.get("/zaken").json()
        assert [z["url"] for z in listed["results"]] == [zaak["url"]]
        assert listed["results"][0]["zaaktype"] == catalog.zaaktype


@pytest.mark.parametrize("peer", [("203.0.113.9", 40000), ("testclient", 50000)])
def test_forwarded_headers_of_untrusted_peers_are_ignored(
    tmp_path: Path, postgres_server: PostgresServer, peer: tuple[str, int]
) -> None:
    """A client on the internet cannot make the runtime emit URLs of a host it chooses (or pick a tenant by a
    forwarded host): only the proxies of ZGW_RUNTIME_FORWARDED_ALLOW_IPS are believed."""
    with _runtime(tmp_path, postgres_server, base_domain="zgw.test") as (_, tenant):
        app = tenant.client.app
        headers = {**FORWARDED, **tenant.superuser()}
        with TestClient(app, client=peer) as direct:
            response = direct.post(
                "/t/alpha/catalogi/api/v1/catalogussen",
                json={"domein": "DRCT", "rsin": RSIN, "contactpersoonBeheerNaam": "Beheer"},
                headers=headers,
            )
            assert response.status_code == 201, response.text
            assert response.json()["url"].startswith("http://testserver/t/alpha/catalogi/api/v1/catalogussen/")
            # The tenant is not selected by an untrusted X-Forwarded-Host either.
            by_host = direct.get(
                "/catalogi/api/v1/catalogussen", headers={**headers, "X-Forwarded-Host": "alpha.zgw.test"}
            )
            assert by_host.status_code == 404
        with TestClient(app, client=PROXY_PEER) as via_proxy:
            by_host = via_proxy.get(
                "/catalogi/api/v1/catalogussen", headers={**headers, "X-Forwarded-Host": "alpha.zgw.test"}
            )
            assert by_host.status_code == 200, by_host.text
            assert by_host.json()["results"][0]["url"].startswith(
                "https://alpha.zgw.test/api/catalogi/api/v1/catalogussen/"
            )
