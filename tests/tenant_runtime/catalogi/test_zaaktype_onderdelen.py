"""Statustypen, roltypen, eigenschappen, zaakobjecttypen and zaaktype-informatieobjecttypen: they follow their
zaaktype's lifecycle (ztc-010/011a), stay within its catalogus and zaaktype, and filter as the spec says."""

from __future__ import annotations

from typing import Any

from tenant_runtime.autorisaties.admin import AutorisatieSpec
from tests.tenant_runtime.catalogi.factories import (
    api,
    checked,
    create,
    create_catalogus,
    iot_body,
    publish,
    publishable_zaaktype,
    roltype_body,
    statustype_body,
    zaaktype_body,
)
from tests.tenant_runtime.conftest import ZgwTenant
from tests.tenant_runtime.contract import assert_conforms


def _codes(response: Any) -> set[tuple[str, str]]:
    return {(p["name"], p["code"]) for p in response.json()["invalidParams"]}


def test_statustypen_order_eindstatus_and_unique_volgnummer(alpha: ZgwTenant) -> None:
    headers = alpha.superuser()
    catalogus = create_catalogus(alpha, headers)["url"]
    zaaktype = create(alpha, headers, "zaaktypen", zaaktype_body(catalogus))
    first = create(alpha, headers, "statustypen", statustype_body(zaaktype["url"], 1, informeren=True))
    last = create(
        alpha,
        headers,
        "statustypen",
        statustype_body(
            zaaktype["url"],
            2,
            checklistitemStatustype=[{"itemnaam": "Check", "vraagstelling": "Gedaan?", "verplicht": True}],
        ),
    )
    assert last["checklistitemStatustype"] == [
        {"itemnaam": "Check", "toelichting": None, "vraagstelling": "Gedaan?", "verplicht": True}
    ]
    assert last["zaaktypeIdentificatie"] == "ZT1"
    assert last["catalogus"] == catalogus
    assert last["beginGeldigheid"] == "2024-01-01"  # derived from the zaaktype
    listed = checked(
        alpha.client.get(
            api(alpha, "statustypen"), params={"zaaktype": zaaktype["url"], "status": "alles"}, headers=headers
        ),
        200,
    )
    assert [(s["volgnummer"], s["isEindstatus"]) for s in listed["results"]] == [(1, False), (2, True)]
    assert first["informeren"] is True

    duplicate = alpha.client.post(api(alpha, "statustypen"), json=statustype_body(zaaktype["url"], 1), headers=headers)
    assert duplicate.status_code == 400
    assert _codes(duplicate) == {("volgnummer", "unique")}

    detail = checked(alpha.client.get(zaaktype["url"], headers=headers), 200)
    assert detail["statustypen"] == [first["url"], last["url"]]


def test_begin_geldigheid_must_match_the_zaaktype(alpha: ZgwTenant) -> None:
    headers = alpha.superuser()
    catalogus = create_catalogus(alpha, headers)["url"]
    zaaktype = create(alpha, headers, "zaaktypen", zaaktype_body(catalogus))
    response = alpha.client.post(
        api(alpha, "roltypen"), json=roltype_body(zaaktype["url"], beginGeldigheid="2020-01-01"), headers=headers
    )
    assert response.status_code == 400
    assert_conforms(response)
    assert _codes(response) == {("beginGeldigheid", "invalid")}


def test_sub_types_of_a_published_zaaktype_are_fixed_ztc010(alpha: ZgwTenant) -> None:
    headers = alpha.superuser()
    writer = alpha.headers_for(
        autorisaties=[AutorisatieSpec(component="ztc", scopes=["catalogi.lezen", "catalogi.schrijven"])]
    )
    catalogus = create_catalogus(alpha, headers)["url"]
    zaaktype = publish(alpha, headers, publishable_zaaktype(alpha, headers, catalogus)["url"])
    roltype_url = zaaktype["roltypen"][0]

    created = alpha.client.post(api(alpha, "statustypen"), json=statustype_body(zaaktype["url"], 3), headers=writer)
    assert created.status_code == 400
    assert_conforms(created)
    assert _codes(created) == {("nonFieldErrors", "non-concept-zaaktype")}
    changed = alpha.client.patch(roltype_url, json={"omschrijving": "Anders"}, headers=writer)
    assert changed.status_code == 400
    assert _codes(changed) == {("nonFieldErrors", "non-concept-zaaktype")}
    deleted = alpha.client.delete(roltype_url, headers=writer)
    assert deleted.status_code == 409
    assert_conforms(deleted)
    assert deleted.json()["code"] == "non-concept-zaaktype"

    # A correctie (geforceerd-schrijven) may add a statustype at the end.
    forced = alpha.headers_for(
        autorisaties=[AutorisatieSpec(component="ztc", scopes=["catalogi.lezen", "catalogi.geforceerd-schrijven"])]
    )
    added = alpha.client.post(api(alpha, "statustypen"), json=statustype_body(zaaktype["url"], 3), headers=forced)
    assert added.status_code == 201, added.text


def test_roltype_filters_and_concept_zaaktype_changes(alpha: ZgwTenant) -> None:
    headers = alpha.superuser()
    catalogus = create_catalogus(alpha, headers)["url"]
    zaaktype = create(alpha, headers, "zaaktypen", zaaktype_body(catalogus))
    initiator = create(alpha, headers, "roltypen", roltype_body(zaaktype["url"]))
    create(
        alpha,
        headers,
        "roltypen",
        roltype_body(zaaktype["url"], omschrijving="Behandelaar", omschrijvingGeneriek="behandelaar"),
    )

    def listed(**params: str) -> list[str]:
        body = checked(alpha.client.get(api(alpha, "roltypen"), params=params, headers=headers), 200)
        return [r["omschrijving"] for r in body["results"]]

    assert listed() == []  # only roltypen of published zaaktypen by default
    assert listed(status="alles", omschrijvingGeneriek="behandelaar") == ["Behandelaar"]
    assert listed(status="concept", zaaktypeIdentificatie="ZT1") == ["Aanvrager", "Behandelaar"]
    bad = alpha.client.get(api(alpha, "roltypen"), params={"omschrijvingGeneriek": "baas"}, headers=headers)
    assert bad.status_code == 400
    assert_conforms(bad)

    put = checked(
        alpha.client.put(
            initiator["url"], json=roltype_body(zaaktype["url"], omschrijving="Indiener"), headers=headers
        ),
        200,
    )
    assert put["omschrijving"] == "Indiener"
    assert alpha.client.delete(initiator["url"], headers=headers).status_code == 204
    assert alpha.client.get(initiator["url"], headers=headers).status_code == 404


def test_relations_stay_within_the_zaaktype_and_catalogus_ztc013(alpha: ZgwTenant) -> None:
    headers = alpha.superuser()
    cat1 = create_catalogus(alpha, headers)["url"]
    cat2 = create_catalogus(alpha, headers, domein="OTHER", rsin="000000000")["url"]
    zt1 = create(alpha, headers, "zaaktypen", zaaktype_body(cat1))
    zt2 = create(alpha, headers, "zaaktypen", zaaktype_body(cat2))
    other_status = create(alpha, headers, "statustypen", statustype_body(zt2["url"], 1))
    eigenschap = {
        "naam": "Oppervlakte",
        "definitie": "Oppervlakte in m2",
        "specificatie": {"formaat": "getal", "lengte": "6,2", "kardinaliteit": "1"},
        "zaaktype": zt1["url"],
        "statustype": other_status["url"],
    }
    response = alpha.client.post(api(alpha, "eigenschappen"), json=eigenschap, headers=headers)
    assert response.status_code == 400
    assert _codes(response) == {("statustype", "relations-incorrect-zaaktype")}

    own_status = create(alpha, headers, "statustypen", statustype_body(zt1["url"], 1))
    created = create(alpha, headers, "eigenschappen", {**eigenschap, "statustype": own_status["url"]})
    assert created["specificatie"]["lengte"] == "6,2"
    status_detail = checked(alpha.client.get(own_status["url"], headers=headers), 200)
    assert status_detail["eigenschappen"] == [created["url"]]

    rol = alpha.client.post(api(alpha, "roltypen"), json=roltype_body(zt1["url"], catalogus=cat2), headers=headers)
    assert rol.status_code == 400
    assert _codes(rol) == {("catalogus", "relations-incorrect-catalogus")}


def test_zaaktype_informatieobjecttype_names_the_informatieobjecttype(alpha: ZgwTenant) -> None:
    headers = alpha.superuser()
    catalogus = create_catalogus(alpha, headers)["url"]
    iot = create(alpha, headers, "informatieobjecttypen", iot_body(catalogus), status=200)
    zaaktype = publishable_zaaktype(alpha, headers, catalogus)
    ziot = create(
        alpha,
        headers,
        "zaaktype-informatieobjecttypen",
        {
            "zaaktype": zaaktype["url"],
            "informatieobjecttype": "Aanvraagformulier",
            "volgnummer": 1,
            "richting": "inkomend",
        },
    )
    assert ziot["informatieobjecttype"] == "Aanvraagformulier"
    # By URL of a version too; stored by omschrijving.
    by_url = create(
        alpha,
        headers,
        "zaaktype-informatieobjecttypen",
        {"zaaktype": zaaktype["url"], "informatieobjecttype": iot["url"], "volgnummer": 2, "richting": "uitgaand"},
    )
    assert by_url["informatieobjecttype"] == "Aanvraagformulier"
    unknown = alpha.client.post(
        api(alpha, "zaaktype-informatieobjecttypen"),
        json={"zaaktype": zaaktype["url"], "informatieobjecttype": "Onbekend", "volgnummer": 3, "richting": "intern"},
        headers=headers,
    )
    assert unknown.status_code == 400
    assert _codes(unknown) == {("informatieobjecttype", "does_not_exist")}

    listed = checked(
        alpha.client.get(
            api(alpha, "zaaktype-informatieobjecttypen"),
            params={"informatieobjecttype": iot["url"], "richting": "inkomend", "status": "alles"},
            headers=headers,
        ),
        200,
    )
    assert [z["url"] for z in listed["results"]] == [ziot["url"]]

    # ztc-012: the zaaktype cannot be published while the informatieobjecttype is a concept.
    refused = alpha.client.post(f"{zaaktype['url']}/publish", json={}, headers=headers)
    assert refused.status_code == 400
    assert _codes(refused) == {("nonFieldErrors", "concept-relation")}
    publish(alpha, headers, iot["url"])
    assert publish(alpha, headers, zaaktype["url"])["concept"] is False


def test_zaakobjecttype_links_statustypen_and_resultaattypen(alpha: ZgwTenant) -> None:
    headers = alpha.superuser()
    catalogus = create_catalogus(alpha, headers)["url"]
    zaaktype = publishable_zaaktype(alpha, headers, catalogus)
    detail = checked(alpha.client.get(zaaktype["url"], headers=headers), 200)
    body = {
        "anderObjecttype": False,
        "beginGeldigheid": "2024-01-01",
        "objecttype": "https://objecttypen.example.com/api/v2/objecttypes/1",
        "relatieOmschrijving": "Perceel",
        "zaaktype": zaaktype["url"],
        "catalogus": catalogus,
        "statustypen": [detail["statustypen"][0]],
        "resultaattypen": detail["resultaattypen"],
    }
    zot = create(alpha, headers, "zaakobjecttypen", body)
    assert zot["statustypen"] == [detail["statustypen"][0]]
    status = checked(alpha.client.get(detail["statustypen"][0], headers=headers), 200)
    assert status["zaakobjecttype"] == zot["url"]
    resultaat = checked(alpha.client.get(detail["resultaattypen"][0], headers=headers), 200)
    assert resultaat["zaakobjecttypen"] == [zot["url"]]
    listed = checked(
        alpha.client.get(
            api(alpha, "zaakobjecttypen"),
            params={"relatieOmschrijving": "Perceel", "anderObjecttype": "false"},
            headers=headers,
        ),
        200,
    )
    assert [z["url"] for z in listed["results"]] == [zot["url"]]
