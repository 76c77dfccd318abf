"""Besluiten: create with the rules brc-001/002/007 and the date rules, change (immutables), delete (brc-009),
retrieve with ETag/HEAD, list filters, audit trail and notifications. Every response against the official spec."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.tenant_runtime.besluiten.conftest import (
    OTHER_RSIN,
    RSIN,
    TODAY,
    Catalog,
    audit_rows,
    besluit_body,
    besluiten_url,
    create_besluit,
    invalid_params,
    outbox,
    post,
)
from tests.tenant_runtime.conftest import ZgwTenant
from tests.tenant_runtime.contract import assert_conforms

# --- create ----------------------------------------------------------------------------------------------------


def test_create_generates_unique_identificaties(alpha: ZgwTenant, catalog: Catalog) -> None:
    headers = alpha.superuser()
    first = post(alpha, besluiten_url(alpha), besluit_body(catalog, toelichting="Verleend"), headers)
    assert first.status_code == 201, first.text
    data = first.json()
    assert first.headers["Location"] == data["url"]
    assert data["identificatie"] == f"BESLUIT-{TODAY.year}-0000000001"
    assert data["besluittype"] == catalog.besluittype
    assert data["zaak"] == ""
    assert data["toelichting"] == "Verleend"
    assert data["vervaldatum"] is None
    assert "vervalreden" not in data
    second = create_besluit(alpha, catalog, headers)
    assert second["identificatie"] == f"BESLUIT-{TODAY.year}-0000000002"
    last_year = (TODAY - timedelta(days=366)).isoformat()
    # one sequence (core/identificatie.py): the year is the besluit's, the number keeps rising
    older = create_besluit(alpha, catalog, headers, datum=last_year)
    assert older["identificatie"] == f"BESLUIT-{TODAY.year - 1}-0000000003"
    other = create_besluit(alpha, catalog, headers, verantwoordelijkeOrganisatie=OTHER_RSIN)
    assert other["identificatie"] == f"BESLUIT-{TODAY.year}-0000000004"
    # the next number, taken by hand, is skipped
    create_besluit(alpha, catalog, headers, identificatie=f"BESLUIT-{TODAY.year}-0000000005")
    assert create_besluit(alpha, catalog, headers)["identificatie"] == f"BESLUIT-{TODAY.year}-0000000006"


def test_all_fields_round_trip(alpha: ZgwTenant, catalog: Catalog) -> None:
    headers = alpha.superuser()
    body = besluit_body(
        catalog,
        identificatie="B-2026-7",
        toelichting="Toelichting",
        bestuursorgaan="College van B&W",
        vervaldatum=(TODAY + timedelta(days=30)).isoformat(),
        vervalreden="tijdelijk",
        publicatiedatum=TODAY.isoformat(),
        verzenddatum=TODAY.isoformat(),
        uiterlijkeReactiedatum=(TODAY + timedelta(days=42)).isoformat(),
    )
    created = post(alpha, besluiten_url(alpha), body, headers)
    assert created.status_code == 201, created.text
    data = created.json()
    assert {k: data[k] for k in body} == body
    assert data["vervalredenWeergave"] == "Besluit met tijdelijke werking"
    detail = alpha.client.get(data["url"], headers=headers)
    assert detail.status_code == 200
    assert_conforms(detail)
    assert detail.json() == data


def test_brc_002_identificatie_unique_per_organisation(alpha: ZgwTenant, catalog: Catalog) -> None:
    headers = alpha.superuser()
    create_besluit(alpha, catalog, headers, identificatie="UNIEK-1")
    again = post(alpha, besluiten_url(alpha), besluit_body(catalog, identificatie="UNIEK-1"), headers)
    assert invalid_params(again) == {"identificatie": "identificatie-niet-uniek"}
    elsewhere = post(
        alpha,
        besluiten_url(alpha),
        besluit_body(catalog, identificatie="UNIEK-1", verantwoordelijkeOrganisatie=OTHER_RSIN),
        headers,
    )
    assert elsewhere.status_code == 201


def test_brc_001_besluittype_must_exist_and_be_published(alpha: ZgwTenant, catalog: Catalog) -> None:
    headers = alpha.superuser()
    concept = post(alpha, besluiten_url(alpha), besluit_body(catalog, besluittype=catalog.besluittype_concept), headers)
    assert invalid_params(concept) == {"besluittype": "not-published"}
    missing_url = catalog.besluittype.rsplit("/", 1)[0] + "/5f0a4b4e-9b1c-4a57-8a57-0d4f3e8f0a11"
    missing = post(alpha, besluiten_url(alpha), besluit_body(catalog, besluittype=missing_url), headers)
    assert invalid_params(missing) == {"besluittype": "bad-url"}
    wrong_resource = post(alpha, besluiten_url(alpha), besluit_body(catalog, besluittype=catalog.zaaktype), headers)
    assert invalid_params(wrong_resource) == {"besluittype": "bad-url"}
    not_configured = post(
        alpha, besluiten_url(alpha), besluit_body(catalog, besluittype="https://elders.example/besluittypen/1"), headers
    )
    assert invalid_params(not_configured) == {"besluittype": "bad-url"}
    assert outbox(alpha) == []


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"datum": (TODAY + timedelta(days=1)).isoformat()}, {"datum": "future-not-allowed"}),
        ({"vervaldatum": (TODAY - timedelta(days=1)).isoformat()}, {"vervaldatum": "vervaldatum-voor-ingangsdatum"}),
        ({"verantwoordelijkeOrganisatie": "123456789"}, {"verantwoordelijkeOrganisatie": "invalid"}),
        ({"verantwoordelijkeOrganisatie": "12345"}, {"verantwoordelijkeOrganisatie": "invalid"}),
        ({"besluittype": "geen url"}, {"besluittype": "invalid"}),
        ({"zaak": "geen url"}, {"zaak": "invalid"}),
        ({"datum": None}, {"datum": "null"}),
        ({"datum": "gisteren"}, {"datum": "invalid"}),
        ({"vervalreden": "vergeten"}, {"vervalreden": "invalid_choice"}),
        ({"identificatie": "x" * 51}, {"identificatie": "max_length"}),
        ({"bestuursorgaan": "x" * 51}, {"bestuursorgaan": "max_length"}),
    ],
)
def test_invalid_input(
    alpha: ZgwTenant, catalog: Catalog, overrides: dict[str, object], expected: dict[str, str]
) -> None:
    response = post(alpha, besluiten_url(alpha), besluit_body(catalog, **overrides), alpha.superuser())
    assert invalid_params(response) == expected


def test_required_fields(alpha: ZgwTenant, catalog: Catalog) -> None:
    response = post(alpha, besluiten_url(alpha), {"toelichting": "leeg"}, alpha.superuser())
    assert invalid_params(response) == {
        "verantwoordelijkeOrganisatie": "required",
        "besluittype": "required",
        "datum": "required",
        "ingangsdatum": "required",
    }


def test_create_audits_and_notifies(alpha: ZgwTenant, catalog: Catalog) -> None:
    headers = alpha.superuser()
    response = alpha.client.post(
        besluiten_url(alpha), json=besluit_body(catalog), headers={**headers, "X-Audit-Toelichting": "Op verzoek"}
    )
    assert response.status_code == 201
    besluit = response.json()
    [message] = outbox(alpha)
    assert (message.hoofd_object, message.resource, message.resource_url, message.actie) == (
        besluit["url"],
        "besluit",
        besluit["url"],
        "create",
    )
    assert message.kenmerken == {"verantwoordelijkeOrganisatie": RSIN, "besluittype": catalog.besluittype}
    [entry] = audit_rows(alpha)
    assert (entry.bron, entry.actie, entry.resultaat, entry.hoofd_object, entry.resource) == (
        "brc",
        "create",
        201,
        besluit["url"],
        "besluit",
    )
    assert entry.toelichting == "Op verzoek"
    assert entry.nieuw == besluit
    assert entry.oud is None
    assert entry.resource_weergave == besluit["identificatie"]


# --- retrieve --------------------------------------------------------------------------------------------------


def test_retrieve_etag_head_and_conditional_get(alpha: ZgwTenant, catalog: Catalog) -> None:
    headers = alpha.superuser()
    besluit = create_besluit(alpha, catalog, headers)
    detail = alpha.client.get(besluit["url"], headers=headers)
    assert_conforms(detail)
    etag = detail.headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"')
    head = alpha.client.head(besluit["url"], headers=headers)
    assert head.status_code == 200
    assert head.headers["ETag"] == etag
    assert head.content == b""
    cached = alpha.client.get(besluit["url"], headers={**headers, "If-None-Match": f'"other", {etag}'})
    assert cached.status_code == 304
    assert cached.content == b""
    stale = alpha.client.get(besluit["url"], headers={**headers, "If-None-Match": '"other"'})
    assert stale.status_code == 200
    changed = alpha.client.patch(besluit["url"], json={"toelichting": "nieuw"}, headers=headers)
    assert changed.status_code == 200
    assert alpha.client.get(besluit["url"], headers=headers).headers["ETag"] != etag
    for identifier in ("5f0a4b4e-9b1c-4a57-8a57-0d4f3e8f0a11", "geen-uuid"):
        missing = alpha.client.get(f"{besluiten_url(alpha)}/{identifier}", headers=headers)
        assert missing.status_code == 404
        assert_conforms(missing)


# --- update ----------------------------------------------------------------------------------------------------


def test_patch_and_put(alpha: ZgwTenant, catalog: Catalog) -> None:
    headers = alpha.superuser()
    besluit = create_besluit(alpha, catalog, headers, toelichting="oud")
    patched = alpha.client.patch(
        besluit["url"], json={"toelichting": "nieuw", "vervalreden": "ingetrokken_overheid"}, headers=headers
    )
    assert patched.status_code == 200, patched.text
    assert_conforms(patched)
    assert patched.json()["toelichting"] == "nieuw"
    assert patched.json()["vervalredenWeergave"] == "Besluit ingetrokken door overheid"
    assert patched.json()["identificatie"] == besluit["identificatie"]

    full = besluit_body(catalog, identificatie=besluit["identificatie"], bestuursorgaan="Raad")
    put = alpha.client.put(besluit["url"], json=full, headers=headers)
    assert put.status_code == 200, put.text
    assert_conforms(put)
    assert put.json()["bestuursorgaan"] == "Raad"
    incomplete = alpha.client.put(besluit["url"], json={"toelichting": "x"}, headers=headers)
    assert_conforms(incomplete)
    assert set(invalid_params(incomplete)) == {"verantwoordelijkeOrganisatie", "besluittype", "datum", "ingangsdatum"}

    [_, *updates] = outbox(alpha)
    assert [m.actie for m in updates] == ["partial_update", "update"]
    entries = [e for e in audit_rows(alpha) if e.actie == "partial_update"]
    assert entries[0].oud["toelichting"] == "oud"  # type: ignore[index]
    assert entries[0].nieuw["toelichting"] == "nieuw"  # type: ignore[index]


def test_identificatie_organisatie_and_besluittype_are_immutable(alpha: ZgwTenant, catalog: Catalog) -> None:
    headers = alpha.superuser()
    besluit = create_besluit(alpha, catalog, headers)
    for change, field in (
        ({"identificatie": "ANDERS"}, "identificatie"),
        ({"verantwoordelijkeOrganisatie": OTHER_RSIN}, "verantwoordelijkeOrganisatie"),
        ({"besluittype": catalog.besluittype_b}, "besluittype"),
    ):
        response = alpha.client.patch(besluit["url"], json=change, headers=headers)
        assert_conforms(response)
        assert invalid_params(response) == {field: "wijzigen-niet-toegestaan"}
    same = alpha.client.patch(
        besluit["url"],
        json={
            "identificatie": besluit["identificatie"],
            "besluittype": catalog.besluittype,
            "verantwoordelijkeOrganisatie": RSIN,
        },
        headers=headers,
    )
    assert same.status_code == 200, same.text


def test_update_date_rules_use_the_stored_values(alpha: ZgwTenant, catalog: Catalog) -> None:
    headers = alpha.superuser()
    besluit = create_besluit(alpha, catalog, headers, ingangsdatum=(TODAY + timedelta(days=10)).isoformat())
    early = alpha.client.patch(
        besluit["url"], json={"vervaldatum": (TODAY + timedelta(days=5)).isoformat()}, headers=headers
    )
    assert invalid_params(early) == {"vervaldatum": "vervaldatum-voor-ingangsdatum"}
    future = alpha.client.patch(
        besluit["url"], json={"datum": (TODAY + timedelta(days=5)).isoformat()}, headers=headers
    )
    assert invalid_params(future) == {"datum": "future-not-allowed"}
    null = alpha.client.patch(besluit["url"], json={"ingangsdatum": None}, headers=headers)
    assert invalid_params(null) == {"ingangsdatum": "null"}


# --- delete ----------------------------------------------------------------------------------------------------


def test_brc_009_delete_removes_besluit_and_audit_trail(alpha: ZgwTenant, catalog: Catalog) -> None:
    headers = alpha.superuser()
    besluit = create_besluit(alpha, catalog, headers)
    other = create_besluit(alpha, catalog, headers)
    alpha.client.patch(besluit["url"], json={"toelichting": "x"}, headers=headers)
    response = alpha.client.delete(besluit["url"], headers=headers)
    assert response.status_code == 204
    assert_conforms(response)
    gone = alpha.client.get(besluit["url"], headers=headers)
    assert gone.status_code == 404
    trail = alpha.client.get(f"{besluit['url']}/audittrail", headers=headers)
    assert trail.status_code == 200
    assert trail.json() == []
    assert {e.hoofd_object for e in audit_rows(alpha)} == {other["url"]}
    assert [m.actie for m in outbox(alpha) if m.hoofd_object == besluit["url"]] == [
        "create",
        "partial_update",
        "destroy",
    ]
    again = alpha.client.delete(besluit["url"], headers=headers)
    assert again.status_code == 404
    assert_conforms(again)


# --- list ------------------------------------------------------------------------------------------------------


def test_list_filters(alpha: ZgwTenant, catalog: Catalog) -> None:
    headers = alpha.superuser()
    a = create_besluit(alpha, catalog, headers, identificatie="A")
    b = create_besluit(alpha, catalog, headers, identificatie="B", besluittype=catalog.besluittype_b)
    c = create_besluit(alpha, catalog, headers, identificatie="C", verantwoordelijkeOrganisatie=OTHER_RSIN)

    def urls(**params: str) -> list[str]:
        response = alpha.client.get(besluiten_url(alpha), params=params, headers=headers)
        assert response.status_code == 200, response.text
        assert_conforms(response)
        return [r["url"] for r in response.json()["results"]]

    assert urls() == [a["url"], b["url"], c["url"]]
    assert urls(identificatie="B") == [b["url"]]
    assert urls(verantwoordelijkeOrganisatie=OTHER_RSIN) == [c["url"]]
    assert urls(besluittype=catalog.besluittype_b) == [b["url"]]
    assert urls(besluittype=catalog.besluittype) == [a["url"], c["url"]]
    assert urls(besluittype="https://elders.example/besluittypen/1") == []
    assert urls(zaak=catalog.zaak) == []
    for params, name, code in (
        ({"besluittype": "geen-url"}, "besluittype", "invalid"),
        ({"foo": "x"}, "nonFieldErrors", "unknown-parameters"),
    ):
        response = alpha.client.get(besluiten_url(alpha), params=params, headers=headers)
        assert_conforms(response)
        assert invalid_params(response) == {name: code}
    past = alpha.client.get(besluiten_url(alpha), params={"page": 2}, headers=headers)
    assert_conforms(past)
    assert invalid_params(past) == {"page": "invalid"}


# --- audit trail -----------------------------------------------------------------------------------------------


def test_audittrail_endpoints(alpha: ZgwTenant, catalog: Catalog) -> None:
    headers = alpha.superuser()
    besluit = create_besluit(alpha, catalog, headers)
    alpha.client.patch(besluit["url"], json={"toelichting": "bijgewerkt"}, headers=headers)
    trail = alpha.client.get(f"{besluit['url']}/audittrail", headers=headers)
    assert trail.status_code == 200
    assert_conforms(trail)
    entries = trail.json()
    assert [e["actie"] for e in entries] == ["create", "partial_update"]
    assert all(e["hoofdObject"] == besluit["url"] and e["bron"] == "brc" for e in entries)
    assert entries[1]["wijzigingen"]["nieuw"]["toelichting"] == "bijgewerkt"
    detail = alpha.client.get(f"{besluit['url']}/audittrail/{entries[0]['uuid']}", headers=headers)
    assert detail.status_code == 200
    assert_conforms(detail)
    assert detail.json() == entries[0]
    assert "ETag" in detail.headers
    missing = alpha.client.get(f"{besluit['url']}/audittrail/5f0a4b4e-9b1c-4a57-8a57-0d4f3e8f0a11", headers=headers)
    assert missing.status_code == 404
    assert_conforms(missing)
