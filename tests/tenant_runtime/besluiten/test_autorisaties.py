"""Scopes and besluittype-based autorisaties: lists filter in SQL by the client's besluittypen, single objects
of other besluittypen are forbidden, every operation needs its own scope; tenants are isolated."""

from __future__ import annotations

from tests.tenant_runtime.besluiten.conftest import (
    Catalog,
    besluit_body,
    besluiten_url,
    bios_url,
    brc_client,
    build_catalog,
    create_besluit,
    post,
)
from tests.tenant_runtime.conftest import ZgwTenant
from tests.tenant_runtime.contract import assert_conforms


def test_lists_and_objects_follow_the_besluittype_autorisaties(alpha: ZgwTenant, catalog: Catalog) -> None:
    admin = alpha.superuser()
    a = create_besluit(alpha, catalog, admin)
    b = create_besluit(alpha, catalog, admin, besluittype=catalog.besluittype_b)
    bio_a = post(alpha, bios_url(alpha), {"besluit": a["url"], "informatieobject": catalog.document}, admin).json()
    only_a = brc_client(alpha, [catalog.besluittype])

    listed = alpha.client.get(besluiten_url(alpha), headers=only_a)
    assert_conforms(listed)
    assert [r["url"] for r in listed.json()["results"]] == [a["url"]]
    assert listed.json()["count"] == 1
    bios = alpha.client.get(bios_url(alpha), headers=only_a)
    assert [r["url"] for r in bios.json()] == [bio_a["url"]]
    assert alpha.client.get(a["url"], headers=only_a).status_code == 200
    assert alpha.client.get(bio_a["url"], headers=only_a).status_code == 200
    assert alpha.client.get(f"{a['url']}/audittrail", headers=only_a).status_code == 200

    for response in (
        alpha.client.get(b["url"], headers=only_a),
        alpha.client.head(b["url"], headers=only_a),
        alpha.client.patch(b["url"], json={"toelichting": "x"}, headers=only_a),
        alpha.client.delete(b["url"], headers=only_a),
        alpha.client.get(f"{b['url']}/audittrail", headers=only_a),
        alpha.client.post(
            besluiten_url(alpha), json=besluit_body(catalog, besluittype=catalog.besluittype_b), headers=only_a
        ),
        alpha.client.post(
            bios_url(alpha), json={"besluit": b["url"], "informatieobject": catalog.document}, headers=only_a
        ),
    ):
        assert response.status_code == 403, (response.request.method, response.request.url)
        if response.request.method != "HEAD":
            assert_conforms(response)
            assert response.json()["code"] == "permission_denied"
    # the besluittype is matched by identity, not by the host form the autorisatie was written with
    by_host = brc_client(alpha, [catalog.besluittype.replace("http://testserver/t/alpha", "http://alpha.localhost")])
    assert alpha.client.get(a["url"], headers=by_host).status_code == 200
    assert alpha.client.get(b["url"], headers=by_host).status_code == 403
    listed = alpha.client.get(besluiten_url(alpha), headers=by_host)
    assert [r["url"] for r in listed.json()["results"]] == [a["url"]]


def test_each_operation_needs_its_scope(alpha: ZgwTenant, catalog: Catalog) -> None:
    besluit = create_besluit(alpha, catalog, alpha.superuser())
    reader = brc_client(alpha, [catalog.besluittype], ["besluiten.lezen"])
    assert alpha.client.get(besluiten_url(alpha), headers=reader).status_code == 200
    for response in (
        alpha.client.post(besluiten_url(alpha), json=besluit_body(catalog), headers=reader),
        alpha.client.put(besluit["url"], json=besluit_body(catalog), headers=reader),
        alpha.client.patch(besluit["url"], json={"toelichting": "x"}, headers=reader),
        alpha.client.delete(besluit["url"], headers=reader),
        alpha.client.get(f"{besluit['url']}/audittrail", headers=reader),
    ):
        assert response.status_code == 403
        assert_conforms(response)
    creator = brc_client(alpha, [catalog.besluittype], ["besluiten.aanmaken"])
    assert alpha.client.post(besluiten_url(alpha), json=besluit_body(catalog), headers=creator).status_code == 201
    assert alpha.client.get(besluiten_url(alpha), headers=creator).status_code == 403
    updater = brc_client(alpha, [catalog.besluittype], ["besluiten.bijwerken"])
    assert alpha.client.patch(besluit["url"], json={"toelichting": "x"}, headers=updater).status_code == 200
    deleter = brc_client(alpha, [catalog.besluittype], ["besluiten.verwijderen"])
    assert alpha.client.delete(besluit["url"], headers=deleter).status_code == 204
    anonymous = alpha.client.get(besluiten_url(alpha))
    assert anonymous.status_code == 403
    assert_conforms(anonymous)


def test_tenants_are_isolated(alpha: ZgwTenant, beta: ZgwTenant, catalog: Catalog) -> None:
    besluit = create_besluit(alpha, catalog, alpha.superuser())
    beta_catalog = build_catalog(beta)
    beta_admin = beta.superuser()
    path = besluit["url"].removeprefix(alpha.base)
    assert beta.client.get(f"{beta.base}{path}", headers=beta_admin).status_code == 404
    assert beta.client.get(besluiten_url(beta), headers=beta_admin).json()["count"] == 0
    # alpha's besluittype is no reference beta can use (it is not configured as an external API)
    foreign = beta.client.post(
        besluiten_url(beta), json=besluit_body(beta_catalog, besluittype=catalog.besluittype), headers=beta_admin
    )
    assert foreign.status_code == 400
    assert foreign.json()["invalidParams"][0]["code"] == "bad-url"
    # identificaties are generated per tenant database
    assert create_besluit(beta, beta_catalog, beta_admin)["identificatie"] == besluit["identificatie"]
    assert alpha.client.get(besluit["url"], headers=beta_admin).status_code == 403
