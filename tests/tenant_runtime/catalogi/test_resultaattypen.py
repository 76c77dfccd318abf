"""Resultaattypen and the Selectielijst rules ztc-002 … ztc-008, answered from the shipped reference data."""

from __future__ import annotations

from typing import Any

import pytest

from tests.tenant_runtime.catalogi.factories import (
    PROCESTYPE_1,
    api,
    checked,
    create,
    create_catalogus,
    referentielijst,
    resultaattype_body,
    zaaktype_body,
)
from tests.tenant_runtime.conftest import ZgwTenant
from tests.tenant_runtime.contract import assert_conforms

BLIJVEND_BEWAREN_1_1_1 = "6d37598e-30f0-4aef-930d-3e1690725d95"  # procestype 1, no procestermijn
NIHIL_1_4 = "dd0d2c5c-3e09-4426-8516-4d848a069dd0"  # procestype 1, nihil, vernietigen, P5Y
INGESCHATTE_BESTAANSDUUR = "59596a33-c8db-4aa7-bb81-140cb29bb42a"  # another procestype


def _codes(response: Any) -> set[tuple[str, str]]:
    return {(p["name"], p["code"]) for p in response.json()["invalidParams"]}


@pytest.fixture
def setup(alpha: ZgwTenant) -> tuple[dict[str, str], str]:
    headers = alpha.superuser()
    catalogus = create_catalogus(alpha, headers)["url"]
    procestype = referentielijst(alpha, "procestypen", PROCESTYPE_1)
    zaaktype = create(alpha, headers, "zaaktypen", zaaktype_body(catalogus, selectielijstProcestype=procestype))
    return headers, zaaktype["url"]


def test_defaults_from_the_selectielijstklasse_and_generic_omschrijving(
    alpha: ZgwTenant, setup: tuple[dict[str, str], str]
) -> None:
    headers, zaaktype = setup
    body = resultaattype_body(alpha, zaaktype, selectielijstklasse=referentielijst(alpha, "resultaten", NIHIL_1_4))
    resultaattype = create(alpha, headers, "resultaattypen", body)
    assert resultaattype["archiefnominatie"] == "vernietigen"  # Resultaat.waardering
    assert resultaattype["archiefactietermijn"] == "P5Y"  # Resultaat.bewaartermijn
    assert resultaattype["omschrijvingGeneriek"] == "Afgewezen"  # the resultaattypeomschrijving's omschrijving
    assert resultaattype["brondatumArchiefprocedure"]["afleidingswijze"] == "afgehandeld"

    explicit = create(
        alpha,
        headers,
        "resultaattypen",
        {**body, "omschrijving": "Expliciet", "archiefnominatie": "blijvend_bewaren", "archiefactietermijn": "P20Y"},
    )
    assert (explicit["archiefnominatie"], explicit["archiefactietermijn"]) == ("blijvend_bewaren", "P20Y")


def test_selectielijstklasse_must_belong_to_the_procestype_ztc002(
    alpha: ZgwTenant, setup: tuple[dict[str, str], str]
) -> None:
    headers, zaaktype = setup
    body = resultaattype_body(
        alpha,
        zaaktype,
        selectielijstklasse=referentielijst(alpha, "resultaten", INGESCHATTE_BESTAANSDUUR),
        brondatumArchiefprocedure={"afleidingswijze": "termijn", "procestermijn": "P5Y"},
    )
    response = alpha.client.post(api(alpha, "resultaattypen"), json=body, headers=headers)
    assert response.status_code == 400
    assert_conforms(response)
    assert _codes(response) == {("nonFieldErrors", "procestype-mismatch")}


def test_selectielijst_urls_must_exist(alpha: ZgwTenant, setup: tuple[dict[str, str], str]) -> None:
    headers, zaaktype = setup
    missing = referentielijst(alpha, "resultaten", "00000000-0000-4000-8000-000000000000")
    response = alpha.client.post(
        api(alpha, "resultaattypen"),
        json=resultaattype_body(alpha, zaaktype, selectielijstklasse=missing),
        headers=headers,
    )
    assert response.status_code == 400
    assert _codes(response) == {("selectielijstklasse", "bad-url")}
    elsewhere = alpha.client.post(
        api(alpha, "resultaattypen"),
        json=resultaattype_body(alpha, zaaktype, resultaattypeomschrijving="https://elders.example.com/x/1"),
        headers=headers,
    )
    assert elsewhere.status_code == 400
    assert _codes(elsewhere) == {("resultaattypeomschrijving", "bad-url")}
    catalogus = checked(alpha.client.get(zaaktype, headers=headers), 200)["catalogus"]
    wrong_procestype = alpha.client.post(
        api(alpha, "zaaktypen"),
        json=zaaktype_body(catalogus, selectielijstProcestype=referentielijst(alpha, "resultaten", NIHIL_1_4)),
        headers=headers,
    )
    assert wrong_procestype.status_code == 400
    assert _codes(wrong_procestype) == {("selectielijstProcestype", "bad-url")}


def test_afleidingswijze_follows_the_procestermijn_ztc003(alpha: ZgwTenant, setup: tuple[dict[str, str], str]) -> None:
    headers, zaaktype = setup
    body = resultaattype_body(
        alpha, zaaktype, brondatumArchiefprocedure={"afleidingswijze": "hoofdzaak"}
    )  # klasse 1.1 has procestermijn nihil
    response = alpha.client.post(api(alpha, "resultaattypen"), json=body, headers=headers)
    assert response.status_code == 400
    assert _codes(response) == {
        ("brondatumArchiefprocedure.afleidingswijze", "invalid-afleidingswijze-for-procestermijn")
    }


@pytest.mark.parametrize(
    ("procedure", "errors"),
    [
        ({"afleidingswijze": "afgehandeld", "datumkenmerk": "x"}, {("datumkenmerk", "must-be-empty")}),
        ({"afleidingswijze": "afgehandeld", "einddatumBekend": True}, {("einddatumBekend", "must-be-empty")}),
        (
            {"afleidingswijze": "ander_datumkenmerk"},
            {("datumkenmerk", "required"), ("objecttype", "required"), ("registratie", "required")},
        ),
        ({"afleidingswijze": "eigenschap"}, {("datumkenmerk", "required")}),
        ({"afleidingswijze": "zaakobject", "datumkenmerk": "d"}, {("objecttype", "required")}),
        ({"afleidingswijze": "termijn"}, {("procestermijn", "required")}),
        ({"afleidingswijze": "hoofdzaak", "registratie": "BRK"}, {("registratie", "must-be-empty")}),
        (
            {"afleidingswijze": "eigenschap", "datumkenmerk": "d", "procestermijn": "P1Y"},
            {("procestermijn", "must-be-empty")},
        ),
    ],
)
def test_brondatum_archiefprocedure_rules_ztc004_008(
    alpha: ZgwTenant, setup: tuple[dict[str, str], str], procedure: dict[str, Any], errors: set[tuple[str, str]]
) -> None:
    headers, zaaktype = setup
    body = resultaattype_body(
        alpha,
        zaaktype,
        selectielijstklasse=referentielijst(alpha, "resultaten", BLIJVEND_BEWAREN_1_1_1),
        brondatumArchiefprocedure=procedure,
    )
    response = alpha.client.post(api(alpha, "resultaattypen"), json=body, headers=headers)
    assert response.status_code == 400, response.text
    assert_conforms(response)
    assert _codes(response) == {(f"brondatumArchiefprocedure.{name}", code) for name, code in errors}


def test_valid_procedures_and_blijvend_bewaren_without_procedure(
    alpha: ZgwTenant, setup: tuple[dict[str, str], str]
) -> None:
    headers, zaaktype = setup
    klasse = referentielijst(alpha, "resultaten", BLIJVEND_BEWAREN_1_1_1)  # no procestermijn: all afleidingswijzen
    procedure = {"afleidingswijze": "zaakobject", "datumkenmerk": "einddatum", "objecttype": "pand"}
    made = create(
        alpha,
        headers,
        "resultaattypen",
        resultaattype_body(alpha, zaaktype, selectielijstklasse=klasse, brondatumArchiefprocedure=procedure),
    )
    assert made["brondatumArchiefprocedure"]["objecttype"] == "pand"
    assert made["archiefnominatie"] == "blijvend_bewaren"
    without = create(
        alpha,
        headers,
        "resultaattypen",
        resultaattype_body(
            alpha, zaaktype, omschrijving="Zonder", selectielijstklasse=klasse, brondatumArchiefprocedure=None
        ),
    )
    assert without["brondatumArchiefprocedure"] is None
    # vernietigen without a brondatumArchiefprocedure is refused
    refused = alpha.client.post(
        api(alpha, "resultaattypen"),
        json=resultaattype_body(alpha, zaaktype, omschrijving="Fout", brondatumArchiefprocedure=None),
        headers=headers,
    )
    assert refused.status_code == 400
    assert _codes(refused) == {("brondatumArchiefprocedure", "required")}

    listed = checked(
        alpha.client.get(
            api(alpha, "resultaattypen"), params={"zaaktype_identificatie": "ZT1", "status": "alles"}, headers=headers
        ),
        200,
    )
    assert {r["omschrijving"] for r in listed["results"]} == {"Afgewezen", "Zonder"}


def test_selectielijst_api_root_setting_is_answered_locally(
    alpha: ZgwTenant, setup: tuple[dict[str, str], str]
) -> None:
    """With the public Selectielijst root configured, its URLs resolve from the shipped data (no network)."""
    headers, zaaktype = setup
    root = "https://selectielijst.openzaak.nl/api/v1"
    alpha.runtime.settings.selectielijst_api_root = root
    try:
        catalogus = checked(alpha.client.get(zaaktype, headers=headers), 200)["catalogus"]
        remote_zaaktype = create(
            alpha,
            headers,
            "zaaktypen",
            zaaktype_body(catalogus, identificatie="ZT2", selectielijstProcestype=f"{root}/procestypen/{PROCESTYPE_1}"),
        )
        made = create(
            alpha,
            headers,
            "resultaattypen",
            resultaattype_body(alpha, remote_zaaktype["url"], selectielijstklasse=f"{root}/resultaten/{NIHIL_1_4}"),
        )
        assert made["archiefactietermijn"] == "P5Y"
    finally:
        alpha.runtime.settings.selectielijst_api_root = "/referentielijsten/api/v1"
