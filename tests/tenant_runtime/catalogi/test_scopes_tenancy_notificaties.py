"""Scopes per the standard (incl. ztc-014), tenant isolation, and the notifications every write of a zaaktype,
informatieobjecttype or besluittype puts in the outbox."""

from __future__ import annotations

from sqlalchemy import select

from tenant_runtime.autorisaties.admin import AutorisatieSpec
from tenant_runtime.core.outbox import OutboxMessage
from tests.tenant_runtime.catalogi.factories import (
    api,
    besluittype_body,
    checked,
    create,
    create_catalogus,
    iot_body,
    publish,
    statustype_body,
    zaaktype_body,
)
from tests.tenant_runtime.conftest import ZgwTenant
from tests.tenant_runtime.contract import assert_conforms


def _client(tenant: ZgwTenant, component: str, *scopes: str) -> dict[str, str]:
    return tenant.headers_for(autorisaties=[AutorisatieSpec(component=component, scopes=list(scopes))])


def test_scopes(alpha: ZgwTenant) -> None:
    headers = alpha.superuser()
    catalogus = create_catalogus(alpha, headers)["url"]
    zaaktype = create(alpha, headers, "zaaktypen", zaaktype_body(catalogus))

    nobody = alpha.headers_for()
    for response in (
        alpha.client.get(api(alpha, "zaaktypen"), headers=nobody),
        alpha.client.get(api(alpha, "catalogussen"), headers=nobody),
        alpha.client.get(zaaktype["url"], headers={}),
    ):
        assert response.status_code == 403
        assert_conforms(response)

    reader = _client(alpha, "ztc", "catalogi.lezen")
    assert checked(alpha.client.get(zaaktype["url"], headers=reader), 200)["url"] == zaaktype["url"]
    denied = alpha.client.post(api(alpha, "zaaktypen"), json=zaaktype_body(catalogus), headers=reader)
    assert denied.status_code == 403
    assert_conforms(denied)
    assert alpha.client.patch(zaaktype["url"], json={"doel": "x"}, headers=reader).status_code == 403
    assert alpha.client.delete(zaaktype["url"], headers=reader).status_code == 403
    assert alpha.client.post(f"{zaaktype['url']}/publish", json={}, headers=reader).status_code == 403

    # Sub-types may be created with geforceerd-schrijven alone; main types need catalogi.schrijven.
    forced = _client(alpha, "ztc", "catalogi.geforceerd-schrijven")
    assert alpha.client.post(api(alpha, "zaaktypen"), json=zaaktype_body(catalogus), headers=forced).status_code == 403
    sub = alpha.client.post(api(alpha, "statustypen"), json=statustype_body(zaaktype["url"], 1), headers=forced)
    assert sub.status_code == 201
    assert_conforms(sub)

    # ztc-014: zaken.lezen and documenten.lezen may read zaaktypen, not the rest of the catalogus.
    for component, scope in (("zrc", "zaken.lezen"), ("drc", "documenten.lezen")):
        other = _client(alpha, component, scope)
        assert checked(alpha.client.get(zaaktype["url"], headers=other), 200)["url"] == zaaktype["url"]
        assert alpha.client.get(api(alpha, "zaaktypen"), headers=other).status_code == 200
        assert alpha.client.get(api(alpha, "statustypen"), headers=other).status_code == 403
        assert alpha.client.get(catalogus, headers=other).status_code == 403


def test_tenant_isolation(alpha: ZgwTenant, beta: ZgwTenant) -> None:
    alpha_headers = alpha.superuser()
    beta_headers = beta.superuser()
    catalogus = create_catalogus(alpha, alpha_headers)["url"]
    zaaktype = create(alpha, alpha_headers, "zaaktypen", zaaktype_body(catalogus))
    # Alpha's token means nothing at beta, and beta does not see alpha's objects.
    assert beta.client.get(api(beta, "zaaktypen"), headers=alpha_headers).status_code == 403
    assert beta.client.get(zaaktype["url"].replace("/t/alpha/", "/t/beta/"), headers=beta_headers).status_code == 404
    listed = checked(beta.client.get(api(beta, "zaaktypen"), params={"status": "alles"}, headers=beta_headers), 200)
    assert listed["count"] == 0
    assert checked(beta.client.get(api(beta, "catalogussen"), headers=beta_headers), 200)["count"] == 0
    # Alpha's catalogus cannot be used at beta: relations never cross tenants.
    response = beta.client.post(api(beta, "zaaktypen"), json=zaaktype_body(catalogus), headers=beta_headers)
    assert response.status_code == 400
    assert_conforms(response)
    assert response.json()["invalidParams"][0]["name"] == "catalogus"


def test_notifications_on_the_kanalen(alpha: ZgwTenant) -> None:
    headers = alpha.superuser()
    catalogus = create_catalogus(alpha, headers)["url"]
    zaaktype = create(alpha, headers, "zaaktypen", zaaktype_body(catalogus))
    alpha.client.patch(zaaktype["url"], json={"doel": "Nieuw doel"}, headers=headers)
    iot = create(alpha, headers, "informatieobjecttypen", iot_body(catalogus), status=200)
    publish(alpha, headers, iot["url"])
    besluittype = create(alpha, headers, "besluittypen", besluittype_body(catalogus))
    assert alpha.client.delete(besluittype["url"], headers=headers).status_code == 200
    # Sub-types have no kanaal of their own.
    create(alpha, headers, "statustypen", statustype_body(zaaktype["url"], 1))

    with alpha.session() as session:
        messages = list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    got = [(m.kanaal, m.resource, m.actie, m.resource_url, m.kenmerken) for m in messages]
    assert got == [
        ("zaaktypen", "zaaktype", "create", zaaktype["url"], {"catalogus": catalogus}),
        ("zaaktypen", "zaaktype", "partial_update", zaaktype["url"], {"catalogus": catalogus}),
        ("informatieobjecttypen", "informatieobjecttype", "create", iot["url"], {"catalogus": catalogus}),
        ("informatieobjecttypen", "informatieobjecttype", "update", iot["url"], {"catalogus": catalogus}),
        ("besluittypen", "besluittype", "create", besluittype["url"], {"catalogus": catalogus}),
        ("besluittypen", "besluittype", "destroy", besluittype["url"], {"catalogus": catalogus}),
    ]
    assert all(m.hoofd_object == m.resource_url for m in messages)


def test_refused_write_leaves_no_notification(alpha: ZgwTenant) -> None:
    headers = alpha.superuser()
    catalogus = create_catalogus(alpha, headers)["url"]
    response = alpha.client.post(
        api(alpha, "zaaktypen"), json=zaaktype_body(catalogus, besluittypen=["onbekend"]), headers=headers
    )
    assert response.status_code == 400
    with alpha.session() as session:
        assert list(session.scalars(select(OutboxMessage))) == []
