"""Zaaktypen: the concept lifecycle (ztc-009), publishing (ztc-012), geldigheid and versions, the 1.3
references by name, filters, ETag/HEAD — every response checked against the official spec."""

from __future__ import annotations

from typing import Any

from tests.tenant_runtime.catalogi.factories import (
    api,
    besluittype_body,
    checked,
    create,
    create_catalogus,
    publish,
    publishable_zaaktype,
    zaaktype_body,
)
from tests.tenant_runtime.conftest import ZgwTenant
from tests.tenant_runtime.contract import assert_conforms


def _codes(response: Any) -> set[tuple[str, str]]:
    return {(p["name"], p["code"]) for p in response.json()["invalidParams"]}


def test_create_retrieve_and_list_defaults_to_published(alpha: ZgwTenant) -> None:
    headers = alpha.superuser()
    catalogus = create_catalogus(alpha, headers)
    zaaktype = create(alpha, headers, "zaaktypen", zaaktype_body(catalogus["url"], trefwoorden=["bouw", "wonen"]))
    assert zaaktype["concept"] is True
    assert zaaktype["catalogus"] == catalogus["url"]
    assert zaaktype["url"].startswith(api(alpha, "zaaktypen/"))

    detail = alpha.client.get(zaaktype["url"], headers=headers)
    assert detail.status_code == 200
    assert_conforms(detail)
    assert detail.json() == zaaktype

    # Without `status` only published zaaktypen are listed; status=alles/concept show the concept.
    assert checked(alpha.client.get(api(alpha, "zaaktypen"), headers=headers), 200)["count"] == 0
    for status, count in (("alles", 1), ("concept", 1), ("definitief", 0)):
        listed = checked(alpha.client.get(api(alpha, "zaaktypen"), params={"status": status}, headers=headers), 200)
        assert listed["count"] == count, status
    bad = alpha.client.get(api(alpha, "zaaktypen"), params={"status": "nope"}, headers=headers)
    assert bad.status_code == 400
    assert_conforms(bad)

    catalogus_detail = checked(alpha.client.get(catalogus["url"], headers=headers), 200)
    assert catalogus_detail["zaaktypen"] == [zaaktype["url"]]


def test_filters_identificatie_trefwoorden_catalogus(alpha: ZgwTenant) -> None:
    headers = alpha.superuser()
    cat1 = create_catalogus(alpha, headers)["url"]
    cat2 = create_catalogus(alpha, headers, domein="BETA", rsin="000000000")["url"]
    a = create(alpha, headers, "zaaktypen", zaaktype_body(cat1, identificatie="A", trefwoorden=["bouw", "wonen"]))
    b = create(alpha, headers, "zaaktypen", zaaktype_body(cat2, identificatie="B", trefwoorden=["bouw"]))

    def listed(**params: str) -> list[str]:
        body = checked(
            alpha.client.get(api(alpha, "zaaktypen"), params={"status": "alles", **params}, headers=headers), 200
        )
        return [z["url"] for z in body["results"]]

    assert listed(identificatie="A") == [a["url"]]
    assert listed(catalogus=cat2) == [b["url"]]
    assert listed(trefwoorden="bouw") == [a["url"], b["url"]]
    assert listed(trefwoorden="bouw,wonen") == [a["url"]]
    assert listed(trefwoorden="won") == []
    assert listed(catalogus="https://elders.example.com/catalogi/api/v1/catalogussen/x") == []


def test_etag_head_and_if_none_match(alpha: ZgwTenant) -> None:
    headers = alpha.superuser()
    catalogus = create_catalogus(alpha, headers)
    zaaktype = create(alpha, headers, "zaaktypen", zaaktype_body(catalogus["url"]))
    detail = alpha.client.get(zaaktype["url"], headers=headers)
    etag = detail.headers["ETag"]
    head = alpha.client.head(zaaktype["url"], headers=headers)
    assert head.status_code == 200
    assert head.headers["ETag"] == etag
    assert head.content == b""
    cached = alpha.client.get(zaaktype["url"], headers={**headers, "If-None-Match": f'"other", {etag}'})
    assert cached.status_code == 304
    changed = alpha.client.patch(zaaktype["url"], json={"omschrijving": "Nieuw"}, headers=headers)
    assert changed.status_code == 200
    assert alpha.client.get(zaaktype["url"], headers=headers).headers["ETag"] != etag


def test_publish_requires_statustypen_roltype_resultaattype(alpha: ZgwTenant) -> None:
    headers = alpha.superuser()
    catalogus = create_catalogus(alpha, headers)
    zaaktype = create(alpha, headers, "zaaktypen", zaaktype_body(catalogus["url"]))
    response = alpha.client.post(f"{zaaktype['url']}/publish", json={}, headers=headers)
    assert response.status_code == 400
    assert_conforms(response)
    assert _codes(response) == {
        ("statustypen", "concept-relation"),
        ("roltypen", "concept-relation"),
        ("resultaattypen", "concept-relation"),
    }
    assert checked(alpha.client.get(zaaktype["url"], headers=headers), 200)["concept"] is True


def test_publish_requires_published_besluittypen_ztc012(alpha: ZgwTenant) -> None:
    headers = alpha.superuser()
    catalogus = create_catalogus(alpha, headers)["url"]
    besluittype = create(alpha, headers, "besluittypen", besluittype_body(catalogus, "BT1"))
    zaaktype = publishable_zaaktype(alpha, headers, catalogus, besluittypen=["BT1"])
    # 1.3: given as omschrijving, shown as the URL of the version valid today.
    assert zaaktype["besluittypen"] == [besluittype["url"]]

    refused = alpha.client.post(f"{zaaktype['url']}/publish", json={}, headers=headers)
    assert refused.status_code == 400
    assert_conforms(refused)
    assert _codes(refused) == {("nonFieldErrors", "concept-relation")}

    publish(alpha, headers, besluittype["url"])
    published = publish(alpha, headers, zaaktype["url"])
    assert published["concept"] is False
    bt = checked(alpha.client.get(besluittype["url"], headers=headers), 200)
    assert bt["zaaktypen"] == [zaaktype["url"]]


def test_unknown_besluittype_omschrijving_is_refused(alpha: ZgwTenant) -> None:
    headers = alpha.superuser()
    catalogus = create_catalogus(alpha, headers)["url"]
    response = alpha.client.post(
        api(alpha, "zaaktypen"), json=zaaktype_body(catalogus, besluittypen=["bestaat-niet"]), headers=headers
    )
    assert response.status_code == 400
    assert_conforms(response)
    assert _codes(response) == {("besluittypen", "does_not_exist")}


def test_published_zaaktype_is_fixed_except_einde_geldigheid_ztc009(alpha: ZgwTenant) -> None:
    headers = alpha.superuser()
    writer = alpha.headers_for(autorisaties=[_spec(["catalogi.lezen", "catalogi.schrijven"])])
    catalogus = create_catalogus(alpha, headers)["url"]
    zaaktype = publishable_zaaktype(alpha, headers, catalogus)
    publish(alpha, headers, zaaktype["url"])

    patch = alpha.client.patch(zaaktype["url"], json={"omschrijving": "Anders"}, headers=writer)
    assert patch.status_code == 400
    assert_conforms(patch)
    assert _codes(patch) == {("nonFieldErrors", "non-concept-object")}
    put = alpha.client.put(zaaktype["url"], json=zaaktype_body(catalogus), headers=writer)
    assert put.status_code == 400
    assert _codes(put) == {("nonFieldErrors", "non-concept-object")}
    delete = alpha.client.delete(zaaktype["url"], headers=writer)
    assert delete.status_code == 409
    assert_conforms(delete)
    assert delete.json()["code"] == "non-concept-object"

    ended = alpha.client.patch(zaaktype["url"], json={"eindeGeldigheid": "2024-12-31"}, headers=writer)
    assert ended.status_code == 200, ended.text
    assert ended.json()["eindeGeldigheid"] == "2024-12-31"

    # A correctie with catalogi.geforceerd-schrijven is allowed.
    forced = alpha.headers_for(autorisaties=[_spec(["catalogi.lezen", "catalogi.geforceerd-schrijven"])])
    corrected = alpha.client.patch(zaaktype["url"], json={"toelichting": "Correctie"}, headers=forced)
    assert corrected.status_code == 200, corrected.text
    assert corrected.json()["toelichting"] == "Correctie"

    remover = alpha.headers_for(autorisaties=[_spec(["catalogi.geforceerd-verwijderen"])])
    removed = alpha.client.delete(zaaktype["url"], headers=remover)
    assert removed.status_code == 200
    assert_conforms(removed)
    assert alpha.client.get(zaaktype["url"], headers=headers).status_code == 404


def test_concept_can_be_changed_and_deleted(alpha: ZgwTenant) -> None:
    headers = alpha.superuser()
    catalogus = create_catalogus(alpha, headers)["url"]
    zaaktype = create(alpha, headers, "zaaktypen", zaaktype_body(catalogus))
    put = checked(
        alpha.client.put(zaaktype["url"], json=zaaktype_body(catalogus, omschrijving="Vervangen"), headers=headers), 200
    )
    assert put["omschrijving"] == "Vervangen"
    patched = checked(alpha.client.patch(zaaktype["url"], json={"doorlooptijd": "P6W"}, headers=headers), 200)
    assert patched["doorlooptijd"] == "P6W"
    assert patched["omschrijving"] == "Vervangen"
    bad = alpha.client.patch(zaaktype["url"], json={"doorlooptijd": "zes weken"}, headers=headers)
    assert bad.status_code == 400
    assert_conforms(bad)
    assert checked(alpha.client.delete(zaaktype["url"], headers=headers), 200) == {}
    assert alpha.client.get(zaaktype["url"], headers=headers).status_code == 404


def test_verlenging_requires_termijn(alpha: ZgwTenant) -> None:
    headers = alpha.superuser()
    catalogus = create_catalogus(alpha, headers)["url"]
    response = alpha.client.post(
        api(alpha, "zaaktypen"), json=zaaktype_body(catalogus, verlengingMogelijk=True), headers=headers
    )
    assert response.status_code == 400
    assert _codes(response) == {("nonFieldErrors", "verlenging-mismatch")}


def test_overlapping_versions_are_refused_and_datum_geldigheid_picks_the_version(alpha: ZgwTenant) -> None:
    headers = alpha.superuser()
    catalogus = create_catalogus(alpha, headers)["url"]
    v1 = publishable_zaaktype(alpha, headers, catalogus, beginGeldigheid="2023-01-01", versiedatum="2023-01-01")
    publish(alpha, headers, v1["url"])
    v2 = publishable_zaaktype(
        alpha, headers, catalogus, beginGeldigheid="2024-01-01", versiedatum="2024-01-01", toelichting="versie 2"
    )
    # v1 is open-ended: publishing v2 would make two versions valid at once.
    overlap = alpha.client.post(f"{v2['url']}/publish", json={}, headers=headers)
    assert overlap.status_code == 400
    assert_conforms(overlap)
    assert _codes(overlap) == {("beginGeldigheid", "overlap")}

    # Ending v1 on the day v2 starts still overlaps: eindeGeldigheid is inclusive.
    same_day = alpha.client.patch(v1["url"], json={"eindeGeldigheid": "2024-01-01"}, headers=headers)
    assert same_day.status_code == 200
    overlap = alpha.client.post(f"{v2['url']}/publish", json={}, headers=headers)
    assert _codes(overlap) == {("beginGeldigheid", "overlap")}
    ended = alpha.client.patch(v1["url"], json={"eindeGeldigheid": "2023-12-31"}, headers=headers)
    assert ended.status_code == 200
    publish(alpha, headers, v2["url"])

    def on(day: str) -> list[str]:
        body = checked(
            alpha.client.get(
                api(alpha, "zaaktypen"), params={"identificatie": "ZT1", "datumGeldigheid": day}, headers=headers
            ),
            200,
        )
        return [z["url"] for z in body["results"]]

    assert on("2023-06-01") == [v1["url"]]
    assert on("2023-12-31") == [v1["url"]]
    assert on("2024-01-01") == [v2["url"]]
    assert on("2022-12-31") == []

    # Moving v1's end past v2's start is refused now that both are published.
    late = alpha.client.patch(v1["url"], json={"eindeGeldigheid": "2024-01-01"}, headers=headers)
    assert late.status_code == 400
    assert _codes(late) == {("eindeGeldigheid", "overlap")}


def test_besluittype_reference_follows_the_valid_version(alpha: ZgwTenant) -> None:
    headers = alpha.superuser()
    catalogus = create_catalogus(alpha, headers)["url"]
    bt1 = create(alpha, headers, "besluittypen", besluittype_body(catalogus, "BT", eindeGeldigheid="2024-06-30"))
    publish(alpha, headers, bt1["url"])
    bt2 = create(alpha, headers, "besluittypen", besluittype_body(catalogus, "BT", beginGeldigheid="2024-07-01"))
    publish(alpha, headers, bt2["url"])
    zaaktype = create(alpha, headers, "zaaktypen", zaaktype_body(catalogus, besluittypen=[bt1["url"]]))
    # A URL of one version is stored as the version-independent omschrijving.
    early = checked(alpha.client.get(zaaktype["url"], params={"datumGeldigheid": "2024-03-01"}, headers=headers), 200)
    late = checked(alpha.client.get(zaaktype["url"], params={"datumGeldigheid": "2024-08-01"}, headers=headers), 200)
    assert early["besluittypen"] == [bt1["url"]]
    assert late["besluittypen"] == [bt2["url"]]


def test_deelzaaktypen_and_gerelateerde_zaaktypen_by_identificatie(alpha: ZgwTenant) -> None:
    headers = alpha.superuser()
    catalogus = create_catalogus(alpha, headers)["url"]
    deel = create(alpha, headers, "zaaktypen", zaaktype_body(catalogus, identificatie="DEEL"))
    hoofd = create(
        alpha,
        headers,
        "zaaktypen",
        zaaktype_body(
            catalogus,
            identificatie="HOOFD",
            deelzaaktypen=["DEEL"],
            gerelateerdeZaaktypen=[{"zaaktype": "DEEL", "aardRelatie": "vervolg", "toelichting": "daarna"}],
        ),
    )
    assert hoofd["deelzaaktypen"] == [deel["url"]]
    assert hoofd["gerelateerdeZaaktypen"] == [
        {"zaaktype": deel["url"], "aardRelatie": "vervolg", "toelichting": "daarna"}
    ]


def _spec(scopes: list[str]) -> Any:
    from tenant_runtime.autorisaties.admin import AutorisatieSpec

    return AutorisatieSpec(component="ztc", scopes=scopes)
