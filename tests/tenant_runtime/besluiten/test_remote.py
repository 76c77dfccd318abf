"""References to other installations: besluittype, zaak (with its zaaktype) and document served by a real
HTTP server on loopback, configured as an external API root."""

from __future__ import annotations

import jwt
import pytest
from pydantic import ValidationError

from tenant_runtime.config import ExternalApiCredential, RuntimeSettings
from tests.tenant_runtime.besluiten.conftest import (
    RSIN,
    Catalog,
    besluit_body,
    besluiten_url,
    bios_url,
    brc_client,
    create_besluit,
    invalid_params,
    post,
)
from tests.tenant_runtime.besluiten.remote import RemoteApi
from tests.tenant_runtime.conftest import ZgwTenant
from tests.tenant_runtime.contract import assert_conforms


def remote_catalog(remote: RemoteApi) -> dict[str, str]:
    iotype = remote.put("/catalogi/api/v1/informatieobjecttypen/1", {"catalogus": "c", "omschrijving": "brief"})
    other_iotype = remote.put("/catalogi/api/v1/informatieobjecttypen/2", {"catalogus": "c", "omschrijving": "nota"})
    besluittype = remote.put(
        "/catalogi/api/v1/besluittypen/1",
        {"catalogus": "c", "concept": False, "informatieobjecttypen": [iotype], "zaaktypen": []},
    )
    concept = remote.put(
        "/catalogi/api/v1/besluittypen/2", {"catalogus": "c", "concept": True, "informatieobjecttypen": []}
    )
    zaaktype = remote.put("/catalogi/api/v1/zaaktypen/1", {"catalogus": "c", "besluittypen": [besluittype]})
    other_zaaktype = remote.put("/catalogi/api/v1/zaaktypen/2", {"catalogus": "c", "besluittypen": []})
    zaak = remote.put("/zaken/api/v1/zaken/1", {"zaaktype": zaaktype, "bronorganisatie": RSIN})
    other_zaak = remote.put("/zaken/api/v1/zaken/2", {"zaaktype": other_zaaktype, "bronorganisatie": RSIN})
    document = remote.put(
        "/documenten/api/v1/enkelvoudiginformatieobjecten/1", {"informatieobjecttype": iotype, "bronorganisatie": RSIN}
    )
    other_document = remote.put(
        "/documenten/api/v1/enkelvoudiginformatieobjecten/2",
        {"informatieobjecttype": other_iotype, "bronorganisatie": RSIN},
    )
    not_a_document = remote.put("/documenten/api/v1/enkelvoudiginformatieobjecten/3", {"titel": "?"})
    return {
        "besluittype": besluittype,
        "concept": concept,
        "zaak": zaak,
        "other_zaak": other_zaak,
        "document": document,
        "other_document": other_document,
        "not_a_document": not_a_document,
    }


def test_besluit_with_remote_besluittype_and_zaak(alpha: ZgwTenant, catalog: Catalog, remote: RemoteApi) -> None:
    refs = remote_catalog(remote)
    headers = alpha.superuser()
    besluit = create_besluit(alpha, catalog, headers, besluittype=refs["besluittype"], zaak=refs["zaak"])
    assert (besluit["besluittype"], besluit["zaak"]) == (refs["besluittype"], refs["zaak"])
    detail = alpha.client.get(besluit["url"], headers=headers)
    assert_conforms(detail)
    assert detail.json() == besluit

    concept = post(alpha, besluiten_url(alpha), besluit_body(catalog, besluittype=refs["concept"]), headers)
    assert invalid_params(concept) == {"besluittype": "not-published"}
    mismatch = post(
        alpha,
        besluiten_url(alpha),
        besluit_body(catalog, besluittype=refs["besluittype"], zaak=refs["other_zaak"]),
        headers,
    )
    assert invalid_params(mismatch) == {"nonFieldErrors": "zaaktype-mismatch"}
    local_type = post(alpha, besluiten_url(alpha), besluit_body(catalog, zaak=refs["zaak"]), headers)
    assert invalid_params(local_type) == {"nonFieldErrors": "zaaktype-mismatch"}
    gone = post(
        alpha, besluiten_url(alpha), besluit_body(catalog, zaak=f"{remote.base}/zaken/api/v1/zaken/404"), headers
    )
    assert invalid_params(gone) == {"zaak": "bad-url"}

    by_type = alpha.client.get(besluiten_url(alpha), params={"besluittype": refs["besluittype"]}, headers=headers)
    assert [r["url"] for r in by_type.json()["results"]] == [besluit["url"]]
    by_zaak = alpha.client.get(besluiten_url(alpha), params={"zaak": refs["zaak"]}, headers=headers)
    assert [r["url"] for r in by_zaak.json()["results"]] == [besluit["url"]]


def test_remote_documents(alpha: ZgwTenant, catalog: Catalog, remote: RemoteApi) -> None:
    refs = remote_catalog(remote)
    headers = alpha.superuser()
    besluit = create_besluit(alpha, catalog, headers, besluittype=refs["besluittype"])
    body = {"besluit": besluit["url"], "informatieobject": refs["document"]}
    created = post(alpha, bios_url(alpha), body, headers)
    assert created.status_code == 201, created.text
    assert created.json()["informatieobject"] == refs["document"]
    assert invalid_params(post(alpha, bios_url(alpha), body, headers)) == {"nonFieldErrors": "unique"}
    wrong_type = post(alpha, bios_url(alpha), {**body, "informatieobject": refs["other_document"]}, headers)
    assert invalid_params(wrong_type) == {"nonFieldErrors": "missing-besluit-informatieobjecttype-relation"}
    shape = post(alpha, bios_url(alpha), {**body, "informatieobject": refs["not_a_document"]}, headers)
    assert invalid_params(shape) == {"informatieobject": "invalid-resource"}
    # a local document's type is not among a remote besluittype's informatieobjecttypen
    local_doc = post(alpha, bios_url(alpha), {**body, "informatieobject": catalog.document}, headers)
    assert invalid_params(local_doc) == {"nonFieldErrors": "missing-besluit-informatieobjecttype-relation"}
    listed = alpha.client.get(bios_url(alpha), params={"informatieobject": refs["document"]}, headers=headers)
    assert [r["url"] for r in listed.json()] == [created.json()["url"]]


def test_autorisatie_on_a_remote_besluittype(alpha: ZgwTenant, catalog: Catalog, remote: RemoteApi) -> None:
    refs = remote_catalog(remote)
    admin = alpha.superuser()
    remote_besluit = create_besluit(alpha, catalog, admin, besluittype=refs["besluittype"])
    local_besluit = create_besluit(alpha, catalog, admin)
    client = brc_client(alpha, [refs["besluittype"]])
    listed = alpha.client.get(besluiten_url(alpha), headers=client)
    assert [r["url"] for r in listed.json()["results"]] == [remote_besluit["url"]]
    assert alpha.client.get(local_besluit["url"], headers=client).status_code == 403
    created = alpha.client.post(
        besluiten_url(alpha), json=besluit_body(catalog, besluittype=refs["besluittype"]), headers=client
    )
    assert created.status_code == 201


def test_requests_to_an_external_api_carry_its_credential(
    alpha: ZgwTenant, catalog: Catalog, remote: RemoteApi
) -> None:
    refs = remote_catalog(remote)
    alpha.runtime.settings.external_api_credentials = {
        f"{remote.base}/catalogi/api/v1": ExternalApiCredential(client_id="zgw-cloud-alpha", secret="remote-secret")
    }
    try:
        create_besluit(alpha, catalog, alpha.superuser(), besluittype=refs["besluittype"], zaak=refs["zaak"])
    finally:
        alpha.runtime.settings.external_api_credentials = {}
    catalogi = [auth for path, auth in remote.requests if path.startswith("/catalogi/")]
    zaken = [auth for path, auth in remote.requests if path.startswith("/zaken/")]
    assert catalogi and zaken
    for authorization in catalogi:
        scheme, token = authorization.split(" ")
        claims = jwt.decode(token, "remote-secret", algorithms=["HS256"])
        assert (scheme, claims["client_id"], claims["iss"]) == ("Bearer", "zgw-cloud-alpha", "zgw-cloud-alpha")
    assert zaken == [""] * len(zaken), "no credential is configured for the remote Zaken API"


def test_credentials_only_for_configured_roots() -> None:
    with pytest.raises(ValidationError, match="not in external_api_roots"):
        RuntimeSettings(
            external_api_roots=["https://catalogi.example.nl/catalogi/api/v1/"],
            external_api_credentials={"https://elders.example.nl/zaken/api/v1": {"client_id": "a", "secret": "b"}},
        )
