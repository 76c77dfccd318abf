"""Request bodies and helpers to build a catalogus with its types through the Catalogi API itself."""

from __future__ import annotations

from typing import Any

import httpx

from tests.tenant_runtime.conftest import ZgwTenant
from tests.tenant_runtime.contract import assert_conforms

# Selectielijst data shipped with the runtime (VNG referentielijsten): procestype 1 "Instellen en inrichten
# organisatie" and its resultaten.
PROCESTYPE_1 = "b594c8d1-ea6a-4bcd-a6aa-2c7a8ad3fe5b"
RESULTAAT_1_1 = "6711baff-798b-4c7f-9133-8ad02c8b7c6f"  # procestermijn nihil, vernietigen, P10Y
RESULTAATTYPEOMSCHRIJVING_AFGEWEZEN = "e6a0c939-3404-45b0-88e3-76c94fb80ea7"


def api(tenant: ZgwTenant, path: str) -> str:
    return f"{tenant.api('catalogi')}/{path}"


def referentielijst(tenant: ZgwTenant, resource: str, uuid: str) -> str:
    return f"{tenant.api('referentielijsten')}/{resource}/{uuid}"


def checked(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert_conforms(response)
    body: dict[str, Any] = response.json() if response.content else {}
    return body


def catalogus_body(domein: str = "ALPHA", rsin: str = "002220647") -> dict[str, Any]:
    return {"domein": domein, "rsin": rsin, "contactpersoonBeheerNaam": "Beheerder", "naam": "Catalogus"}


def create_catalogus(tenant: ZgwTenant, headers: dict[str, str], **kwargs: Any) -> dict[str, Any]:
    return checked(tenant.client.post(api(tenant, "catalogussen"), json=catalogus_body(**kwargs), headers=headers), 201)


def zaaktype_body(catalogus: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "identificatie": "ZT1",
        "omschrijving": "Aanvraag vergunning",
        "vertrouwelijkheidaanduiding": "openbaar",
        "doel": "Vergunning verlenen",
        "aanleiding": "Aanvraag",
        "indicatieInternOfExtern": "extern",
        "handelingInitiator": "aanvragen",
        "onderwerp": "Vergunning",
        "handelingBehandelaar": "behandelen",
        "doorlooptijd": "P30D",
        "opschortingEnAanhoudingMogelijk": False,
        "verlengingMogelijk": False,
        "publicatieIndicatie": False,
        "productenOfDiensten": ["https://example.com/product/1"],
        "referentieproces": {"naam": "Vergunning"},
        "verantwoordelijke": "Team vergunningen",
        "catalogus": catalogus,
        "besluittypen": [],
        "gerelateerdeZaaktypen": [],
        "beginGeldigheid": "2024-01-01",
        "versiedatum": "2024-01-01",
    }
    body.update(overrides)
    return body


def create(tenant: ZgwTenant, headers: dict[str, str], path: str, body: dict[str, Any], status: int = 201) -> Any:
    return checked(tenant.client.post(api(tenant, path), json=body, headers=headers), status)


def publish(tenant: ZgwTenant, headers: dict[str, str], url: str) -> dict[str, Any]:
    return checked(tenant.client.post(f"{url}/publish", json={}, headers=headers), 200)


def iot_body(catalogus: str, omschrijving: str = "Aanvraagformulier", **overrides: Any) -> dict[str, Any]:
    body = {
        "catalogus": catalogus,
        "omschrijving": omschrijving,
        "vertrouwelijkheidaanduiding": "openbaar",
        "beginGeldigheid": "2024-01-01",
        "informatieobjectcategorie": "formulier",
    }
    body.update(overrides)
    return body


def besluittype_body(catalogus: str, omschrijving: str = "BT1", **overrides: Any) -> dict[str, Any]:
    body = {
        "catalogus": catalogus,
        "omschrijving": omschrijving,
        "publicatieIndicatie": False,
        "informatieobjecttypen": [],
        "beginGeldigheid": "2024-01-01",
    }
    body.update(overrides)
    return body


def statustype_body(zaaktype: str, volgnummer: int, **overrides: Any) -> dict[str, Any]:
    body = {"omschrijving": f"Status {volgnummer}", "zaaktype": zaaktype, "volgnummer": volgnummer}
    body.update(overrides)
    return body


def roltype_body(zaaktype: str, **overrides: Any) -> dict[str, Any]:
    body = {"zaaktype": zaaktype, "omschrijving": "Aanvrager", "omschrijvingGeneriek": "initiator"}
    body.update(overrides)
    return body


def resultaattype_body(tenant: ZgwTenant, zaaktype: str, **overrides: Any) -> dict[str, Any]:
    body = {
        "zaaktype": zaaktype,
        "omschrijving": "Afgewezen",
        "resultaattypeomschrijving": referentielijst(
            tenant, "resultaattypeomschrijvingen", RESULTAATTYPEOMSCHRIJVING_AFGEWEZEN
        ),
        "selectielijstklasse": referentielijst(tenant, "resultaten", RESULTAAT_1_1),
        "brondatumArchiefprocedure": {"afleidingswijze": "afgehandeld"},
        "besluittypen": [],
    }
    body.update(overrides)
    return body


def publishable_zaaktype(
    tenant: ZgwTenant, headers: dict[str, str], catalogus: str, **overrides: Any
) -> dict[str, Any]:
    """A concept zaaktype with what publishing needs: two statustypen, a roltype and a resultaattype."""
    overrides.setdefault("selectielijstProcestype", referentielijst(tenant, "procestypen", PROCESTYPE_1))
    zaaktype = create(tenant, headers, "zaaktypen", zaaktype_body(catalogus, **overrides))
    create(tenant, headers, "statustypen", statustype_body(zaaktype["url"], 1))
    create(tenant, headers, "statustypen", statustype_body(zaaktype["url"], 2))
    create(tenant, headers, "roltypen", roltype_body(zaaktype["url"]))
    create(tenant, headers, "resultaattypen", resultaattype_body(tenant, zaaktype["url"]))
    return zaaktype
