"""The Autorisaties API 1.0: applicaties with their autorisaties, the rules ac-001/ac-002/ac-003, scopes,
notifications, tenant isolation and the runtime applying changed autorisaties at once. Every response is
checked against the official specification."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from tenant_runtime.autorisaties import admin
from tenant_runtime.autorisaties.admin import AutorisatieSpec
from tenant_runtime.core.auth import ClientStore
from tenant_runtime.core.outbox import OutboxMessage
from tests.tenant_runtime.conftest import ZgwTenant
from tests.tenant_runtime.contract import assert_conforms

ZAAKTYPE = "https://catalogi.example.nl/catalogi/api/v1/zaaktypen/0f6a6b36-0d6c-4f59-9d5d-5a4a3a6e1b11"
IOTYPE = "https://catalogi.example.nl/catalogi/api/v1/informatieobjecttypen/6a8b7a0c-3a4b-4c39-a1f5-0b5a2c1d2e33"
BESLUITTYPE = "https://catalogi.example.nl/catalogi/api/v1/besluittypen/7b9c8b1d-4b5c-4d4a-b2a6-1c6b3d2e3f44"


def beheerder(tenant: ZgwTenant) -> dict[str, str]:
    return tenant.headers_for(
        autorisaties=[AutorisatieSpec("ac", ["autorisaties.lezen", "autorisaties.bijwerken"])], label="beheerder"
    )


def lezer(tenant: ZgwTenant) -> dict[str, str]:
    return tenant.headers_for(autorisaties=[AutorisatieSpec("ac", ["autorisaties.lezen"])], label="lezer")


def zrc_autorisatie(**overrides: Any) -> dict[str, Any]:
    return {
        "component": "zrc",
        "scopes": ["zaken.lezen", "zaken.aanmaken"],
        "zaaktype": ZAAKTYPE,
        "maxVertrouwelijkheidaanduiding": "zaakvertrouwelijk",
        **overrides,
    }


def applicatie_body(client_ids: list[str], **overrides: Any) -> dict[str, Any]:
    return {"clientIds": client_ids, "label": "Zaaksysteem", "autorisaties": [zrc_autorisatie()], **overrides}


def collection(tenant: ZgwTenant) -> str:
    return f"{tenant.api('autorisaties')}/applicaties"


def create(tenant: ZgwTenant, headers: dict[str, str], body: dict[str, Any]) -> httpx.Response:
    response: httpx.Response = tenant.client.post(collection(tenant), json=body, headers=headers)
    assert_conforms(response)
    return response


def invalid_params(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 400, response.text
    return {p["name"]: p["code"] for p in response.json()["invalidParams"]}


def outbox(tenant: ZgwTenant) -> list[OutboxMessage]:
    with tenant.session() as session:
        return list(
            session.scalars(
                select(OutboxMessage).where(OutboxMessage.kanaal == "autorisaties").order_by(OutboxMessage.id)
            )
        )


# --- create and read -------------------------------------------------------------------------------------------


def test_create_applicatie_with_autorisaties_per_component(alpha: ZgwTenant) -> None:
    headers = beheerder(alpha)
    body = applicatie_body(
        ["zaaksysteem-1", "zaaksysteem-2"],
        autorisaties=[
            zrc_autorisatie(),
            {
                "component": "drc",
                "scopes": ["documenten.lezen"],
                "informatieobjecttype": IOTYPE,
                "maxVertrouwelijkheidaanduiding": "openbaar",
                "zaaktype": ZAAKTYPE,  # not a drc field: ignored
            },
            {"component": "brc", "scopes": ["besluiten.lezen"], "besluittype": BESLUITTYPE},
            {"component": "ztc", "scopes": ["catalogi.lezen"]},
            {"component": "nrc", "scopes": ["notificaties.consumeren"]},
        ],
    )
    response = create(alpha, headers, body)
    assert response.status_code == 201, response.text
    data = response.json()
    assert response.headers["Location"] == data["url"]
    assert data["url"].startswith(f"{collection(alpha)}/")
    assert data["clientIds"] == ["zaaksysteem-1", "zaaksysteem-2"]
    assert data["heeftAlleAutorisaties"] is False
    assert data["autorisaties"] == [
        {
            "component": "zrc",
            "componentWeergave": "Zaakregistratiecomponent",
            "scopes": ["zaken.lezen", "zaken.aanmaken"],
            "zaaktype": ZAAKTYPE,
            "maxVertrouwelijkheidaanduiding": "zaakvertrouwelijk",
        },
        {
            "component": "drc",
            "componentWeergave": "Documentregistratiecomponent",
            "scopes": ["documenten.lezen"],
            "informatieobjecttype": IOTYPE,
            "maxVertrouwelijkheidaanduiding": "openbaar",
        },
        {
            "component": "brc",
            "componentWeergave": "Besluitregistratiecomponent",
            "scopes": ["besluiten.lezen"],
            "besluittype": BESLUITTYPE,
        },
        {"component": "ztc", "componentWeergave": "Zaaktypecatalogus", "scopes": ["catalogi.lezen"]},
        {
            "component": "nrc",
            "componentWeergave": "Notificatierouteringcomponent",
            "scopes": ["notificaties.consumeren"],
        },
    ]
    detail = alpha.client.get(data["url"], headers=headers)
    assert detail.status_code == 200
    assert_conforms(detail)
    assert detail.json() == data


def test_heeft_alle_autorisaties_without_autorisaties(alpha: ZgwTenant) -> None:
    response = create(
        alpha, beheerder(alpha), {"clientIds": ["superapp"], "label": "Alles", "heeftAlleAutorisaties": True}
    )
    assert response.status_code == 201, response.text
    assert response.json()["heeftAlleAutorisaties"] is True
    assert response.json()["autorisaties"] == []


def test_retrieve_unknown_or_malformed_uuid_is_404(alpha: ZgwTenant) -> None:
    headers = beheerder(alpha)
    for identifier in ("5f0a4b4e-9b1c-4a57-8a57-0d4f3e8f0a11", "not-a-uuid"):
        response = alpha.client.get(f"{collection(alpha)}/{identifier}", headers=headers)
        assert response.status_code == 404
        assert_conforms(response)


# --- ac-001, ac-002, ac-003 ------------------------------------------------------------------------------------


def test_ac_001_client_id_belongs_to_one_applicatie(alpha: ZgwTenant) -> None:
    headers = beheerder(alpha)
    first = create(alpha, headers, applicatie_body(["a", "b"]))
    assert first.status_code == 201
    clash = create(alpha, headers, applicatie_body(["c", "b"]))
    assert invalid_params(clash) == {"clientIds": "clientId-exists"}
    assert "b" in clash.json()["invalidParams"][0]["reason"]
    # the id of the client the beheerder itself uses is taken too (applications made by the CLI count)
    other = create(alpha, headers, applicatie_body(["d"]))
    assert other.status_code == 201
    steal = alpha.client.patch(other.json()["url"], json={"clientIds": ["d", "a"]}, headers=headers)
    assert_conforms(steal)
    assert invalid_params(steal) == {"clientIds": "clientId-exists"}
    # an applicatie may keep (and reorder) its own ids
    keep = alpha.client.put(first.json()["url"], json=applicatie_body(["b", "a", "e"]), headers=headers)
    assert keep.status_code == 200, keep.text
    assert_conforms(keep)
    assert keep.json()["clientIds"] == ["b", "a", "e"]
    doubled = create(alpha, headers, applicatie_body(["x", "x"]))
    assert invalid_params(doubled) == {"clientIds": "unique"}


def test_ac_001_cli_applications_count(alpha: ZgwTenant) -> None:
    alpha.headers_for(heeft_alle_autorisaties=True, client_id="from-cli")
    response = create(alpha, beheerder(alpha), applicatie_body(["from-cli"]))
    assert invalid_params(response) == {"clientIds": "clientId-exists"}


def test_ac_002_heeft_alle_autorisaties_xor_autorisaties(alpha: ZgwTenant) -> None:
    headers = beheerder(alpha)
    both = create(alpha, headers, applicatie_body(["both"], heeftAlleAutorisaties=True))
    assert invalid_params(both) == {"nonFieldErrors": "ambiguous-authorizations-specified"}
    neither = create(alpha, headers, {"clientIds": ["neither"], "label": "Niets", "autorisaties": []})
    assert invalid_params(neither) == {"nonFieldErrors": "missing-authorizations"}
    omitted = create(alpha, headers, {"clientIds": ["omitted"], "label": "Niets"})
    assert invalid_params(omitted) == {"nonFieldErrors": "missing-authorizations"}

    created = create(alpha, headers, applicatie_body(["switch"]))
    url = created.json()["url"]
    # the existing autorisaties count when a PATCH only sets the flag
    flag_only = alpha.client.patch(url, json={"heeftAlleAutorisaties": True}, headers=headers)
    assert_conforms(flag_only)
    assert invalid_params(flag_only) == {"nonFieldErrors": "ambiguous-authorizations-specified"}
    emptied = alpha.client.patch(url, json={"autorisaties": []}, headers=headers)
    assert_conforms(emptied)
    assert invalid_params(emptied) == {"nonFieldErrors": "missing-authorizations"}
    switched = alpha.client.patch(url, json={"heeftAlleAutorisaties": True, "autorisaties": []}, headers=headers)
    assert switched.status_code == 200, switched.text
    assert_conforms(switched)
    assert switched.json()["heeftAlleAutorisaties"] is True
    assert switched.json()["autorisaties"] == []


@pytest.mark.parametrize(
    ("autorisatie", "missing"),
    [
        ({"component": "zrc", "scopes": ["zaken.lezen"]}, {"zaaktype", "maxVertrouwelijkheidaanduiding"}),
        ({"component": "zrc", "scopes": ["zaken.lezen"], "zaaktype": ZAAKTYPE}, {"maxVertrouwelijkheidaanduiding"}),
        (
            {"component": "drc", "scopes": ["notificaties.publiceren", "documenten.aanmaken"]},
            {"informatieobjecttype", "maxVertrouwelijkheidaanduiding"},
        ),
        (
            {"component": "brc", "scopes": ["besluiten.lezen"], "maxVertrouwelijkheidaanduiding": "geheim"},
            {"besluittype"},
        ),
    ],
)
def test_ac_003_type_fields_required_for_main_resource_scopes(
    alpha: ZgwTenant, autorisatie: dict[str, Any], missing: set[str]
) -> None:
    body = applicatie_body(["ac-003"], autorisaties=[{"component": "ztc", "scopes": ["catalogi.lezen"]}, autorisatie])
    response = create(alpha, beheerder(alpha), body)
    assert invalid_params(response) == {f"autorisaties.1.{name}": "required" for name in missing}


def test_ac_003_other_scopes_need_no_type(alpha: ZgwTenant) -> None:
    body = applicatie_body(
        ["audit"],
        autorisaties=[
            {"component": "zrc", "scopes": ["audittrails.lezen", "notificaties.publiceren"]},
            {"component": "brc", "scopes": ["audittrails.lezen"]},
        ],
    )
    response = create(alpha, beheerder(alpha), body)
    assert response.status_code == 201, response.text
    assert response.json()["autorisaties"][0] == {
        "component": "zrc",
        "componentWeergave": "Zaakregistratiecomponent",
        "scopes": ["audittrails.lezen", "notificaties.publiceren"],
    }


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"label": "x", "heeftAlleAutorisaties": True}, {"clientIds": "required"}),
        ({"clientIds": ["x"], "heeftAlleAutorisaties": True}, {"label": "required"}),
        ({"clientIds": ["x"], "label": "", "heeftAlleAutorisaties": True}, {"label": "min_length"}),
        ({"clientIds": ["x" * 51], "label": "x", "heeftAlleAutorisaties": True}, {"clientIds.0": "max_length"}),
        (
            applicatie_body(["x"], autorisaties=[zrc_autorisatie(component="xyz")]),
            {"autorisaties.0.component": "invalid_choice"},
        ),
        (
            applicatie_body(["x"], autorisaties=[zrc_autorisatie(zaaktype="geen url")]),
            {"autorisaties.0.zaaktype": "invalid"},
        ),
        (
            applicatie_body(["x"], autorisaties=[zrc_autorisatie(maxVertrouwelijkheidaanduiding="topgeheim")]),
            {"autorisaties.0.maxVertrouwelijkheidaanduiding": "invalid_choice"},
        ),
        (applicatie_body(["x"], autorisaties=[{"component": "ztc"}]), {"autorisaties.0.scopes": "required"}),
    ],
)
def test_bad_input_is_a_validation_problem(alpha: ZgwTenant, body: dict[str, Any], expected: dict[str, str]) -> None:
    response = create(alpha, beheerder(alpha), body)
    assert invalid_params(response) == expected
    assert response.headers["content-type"] == "application/problem+json"


# --- list, filter, consumer ------------------------------------------------------------------------------------


def test_list_filters_on_client_ids(alpha: ZgwTenant) -> None:
    headers = beheerder(alpha)
    one = create(alpha, headers, applicatie_body(["one", "shared-x"])).json()
    two = create(alpha, headers, applicatie_body(["two", "other"])).json()
    everything = alpha.client.get(collection(alpha), headers=headers)
    assert everything.status_code == 200
    assert_conforms(everything)
    urls = [a["url"] for a in everything.json()["results"]]
    assert one["url"] in urls and two["url"] in urls
    assert everything.json()["count"] == len(urls) == 3  # with the beheerder's own applicatie
    assert everything.json()["next"] is None and everything.json()["previous"] is None

    filtered = alpha.client.get(collection(alpha), params={"clientIds": "one"}, headers=headers)
    assert_conforms(filtered)
    assert [a["url"] for a in filtered.json()["results"]] == [one["url"]]
    both = alpha.client.get(collection(alpha), params={"clientIds": "one,shared-x"}, headers=headers)
    assert [a["url"] for a in both.json()["results"]] == [one["url"]]
    mixed = alpha.client.get(collection(alpha), params={"clientIds": "one,two"}, headers=headers)
    assert mixed.json() == {"count": 0, "next": None, "previous": None, "results": []}

    unknown = alpha.client.get(collection(alpha), params={"clientId": "one"}, headers=headers)
    assert_conforms(unknown)
    assert invalid_params(unknown) == {"nonFieldErrors": "unknown-parameters"}
    past_end = alpha.client.get(collection(alpha), params={"page": 2}, headers=headers)
    assert_conforms(past_end)
    assert invalid_params(past_end) == {"page": "invalid"}


def test_list_is_paginated(alpha: ZgwTenant) -> None:
    headers = beheerder(alpha)
    with alpha.session() as session, session.begin():
        for i in range(100):
            admin.upsert_application(session, admin.ApplicationSpec(client_id=f"bulk-{i}", label=f"bulk {i}"))
    first = alpha.client.get(collection(alpha), headers=headers)
    assert_conforms(first)
    assert first.json()["count"] == 101
    assert len(first.json()["results"]) == 100
    assert first.json()["next"] == f"{collection(alpha)}?page=2"
    second = alpha.client.get(first.json()["next"], headers=headers)
    assert_conforms(second)
    assert len(second.json()["results"]) == 1
    assert second.json()["previous"] == collection(alpha)


def test_consumer_looks_up_the_applicatie_of_a_client_id(alpha: ZgwTenant) -> None:
    headers = beheerder(alpha)
    created = create(alpha, headers, applicatie_body(["portal", "portal-acc"])).json()
    found = alpha.client.get(f"{collection(alpha)}/consumer", params={"clientId": "portal-acc"}, headers=headers)
    assert found.status_code == 200, found.text
    assert_conforms(found)
    assert found.json() == [created]
    missing = alpha.client.get(f"{collection(alpha)}/consumer", params={"clientId": "nobody"}, headers=headers)
    assert missing.status_code == 404
    assert_conforms(missing)
    for params in ({}, {"clientId": ""}):
        no_client_id = alpha.client.get(f"{collection(alpha)}/consumer", params=params, headers=headers)
        assert no_client_id.status_code == 404
        assert_conforms(no_client_id)
        assert no_client_id.json()["invalidParams"] == [
            {"name": "clientId", "code": "required", "reason": "Dit veld is vereist."}
        ]


# --- update, delete, notifications -----------------------------------------------------------------------------


def test_put_patch_delete_publish_notifications(alpha: ZgwTenant) -> None:
    headers = beheerder(alpha)
    created = create(alpha, headers, applicatie_body(["app"])).json()
    url = created["url"]
    put = alpha.client.put(
        url,
        json={"clientIds": ["app"], "label": "Nieuw label", "autorisaties": [zrc_autorisatie(scopes=["zaken.lezen"])]},
        headers=headers,
    )
    assert put.status_code == 200, put.text
    assert_conforms(put)
    assert put.json()["label"] == "Nieuw label"
    assert put.json()["autorisaties"][0]["scopes"] == ["zaken.lezen"]
    # PUT without autorisaties keeps them (as the reference implementation)
    keep = alpha.client.put(url, json={"clientIds": ["app", "app-2"], "label": "Label"}, headers=headers)
    assert keep.status_code == 200
    assert keep.json()["autorisaties"] == put.json()["autorisaties"]
    patch = alpha.client.patch(url, json={"label": "Alleen label"}, headers=headers)
    assert patch.status_code == 200
    assert_conforms(patch)
    assert patch.json()["clientIds"] == ["app", "app-2"]
    assert patch.json()["label"] == "Alleen label"

    deleted = alpha.client.delete(url, headers=headers)
    assert deleted.status_code == 204
    assert_conforms(deleted)
    gone = alpha.client.get(url, headers=headers)
    assert gone.status_code == 404
    again = alpha.client.delete(url, headers=headers)
    assert again.status_code == 404
    assert_conforms(again)

    messages = outbox(alpha)
    assert [m.actie for m in messages] == ["create", "update", "update", "partial_update", "destroy"]
    for message in messages:
        assert message.hoofd_object == url
        assert message.resource == "applicatie"
        assert message.resource_url == url
        assert message.kenmerken == {}


def test_rejected_write_publishes_nothing(alpha: ZgwTenant) -> None:
    create(alpha, beheerder(alpha), applicatie_body(["x"], heeftAlleAutorisaties=True))
    assert outbox(alpha) == []


# --- scopes, cache, tenants ------------------------------------------------------------------------------------


def test_scopes(alpha: ZgwTenant) -> None:
    created = create(alpha, beheerder(alpha), applicatie_body(["target"])).json()
    reader = lezer(alpha)
    assert alpha.client.get(created["url"], headers=reader).status_code == 200
    listed = alpha.client.get(collection(alpha), headers=reader)
    assert listed.status_code == 200
    for response in (
        alpha.client.post(collection(alpha), json=applicatie_body(["new"]), headers=reader),
        alpha.client.put(created["url"], json=applicatie_body(["target"]), headers=reader),
        alpha.client.patch(created["url"], json={"label": "x"}, headers=reader),
        alpha.client.delete(created["url"], headers=reader),
    ):
        assert response.status_code == 403
        assert_conforms(response)
        assert response.json()["code"] == "permission_denied"
    zaken_only = alpha.headers_for(
        autorisaties=[
            AutorisatieSpec("zrc", ["zaken.lezen"], zaaktype=ZAAKTYPE, max_vertrouwelijkheidaanduiding="geheim")
        ]
    )
    for response in (
        alpha.client.get(collection(alpha), headers=zaken_only),
        alpha.client.get(f"{collection(alpha)}/consumer", params={"clientId": "target"}, headers=zaken_only),
    ):
        assert response.status_code == 403
        assert_conforms(response)
    anonymous = alpha.client.get(collection(alpha))
    assert anonymous.status_code == 403
    assert_conforms(anonymous)


def test_changed_autorisaties_apply_at_once_despite_the_client_cache(alpha: ZgwTenant) -> None:
    alpha.runtime.clients = ClientStore(cache_seconds=300)  # as in production: cached for longer than this test
    headers = beheerder(alpha)
    secret = admin.generate_secret()
    with alpha.session() as session, session.begin():
        admin.add_credential(session, "newcomer", secret)
    token = {"Authorization": f"Bearer {admin.make_jwt('newcomer', secret)}"}
    assert alpha.client.get(collection(alpha), headers=token).status_code == 403  # no applicatie yet: cached

    created = create(
        alpha,
        headers,
        {
            "clientIds": ["newcomer"],
            "label": "Nieuw",
            "autorisaties": [{"component": "ac", "scopes": ["autorisaties.lezen"]}],
        },
    )
    assert created.status_code == 201
    assert alpha.client.get(collection(alpha), headers=token).status_code == 200

    revoked = alpha.client.patch(
        created.json()["url"],
        json={"autorisaties": [{"component": "nrc", "scopes": ["notificaties.consumeren"]}]},
        headers=headers,
    )
    assert revoked.status_code == 200
    assert alpha.client.get(collection(alpha), headers=token).status_code == 403

    alpha.client.patch(created.json()["url"], json={"heeftAlleAutorisaties": True, "autorisaties": []}, headers=headers)
    assert alpha.client.get(collection(alpha), headers=token).status_code == 200
    alpha.client.delete(created.json()["url"], headers=headers)
    assert alpha.client.get(collection(alpha), headers=token).status_code == 403


def test_tenants_are_isolated(alpha: ZgwTenant, beta: ZgwTenant) -> None:
    created = create(alpha, beheerder(alpha), applicatie_body(["gedeeld"])).json()
    beta_headers = beheerder(beta)
    path = created["url"].removeprefix(alpha.base)
    assert beta.client.get(f"{beta.base}{path}", headers=beta_headers).status_code == 404
    listed = beta.client.get(collection(beta), params={"clientIds": "gedeeld"}, headers=beta_headers)
    assert listed.json()["count"] == 0
    # the same client id is free in another municipality
    assert create(beta, beta_headers, applicatie_body(["gedeeld"])).status_code == 201
    # and a client of beta cannot use alpha's API
    assert alpha.client.get(collection(alpha), headers=beta_headers).status_code == 403
