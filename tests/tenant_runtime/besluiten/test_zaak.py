"""A besluit of a zaak: brc-007 (the besluittype belongs to the zaak's zaaktype) and brc-006 (a local besluit
with a local zaak is linked to it, through the Zaken API's link functions, in the same transaction)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from tests.tenant_runtime.besluiten.conftest import (
    Catalog,
    besluit_body,
    besluiten_url,
    create_besluit,
    invalid_params,
    post,
)
from tests.tenant_runtime.conftest import ZgwTenant
from tests.tenant_runtime.contract import assert_conforms


def zaakbesluit_zaken(tenant: ZgwTenant, besluit: dict[str, Any]) -> list[str]:
    """The uuids of the zaken the Zaken API lists this besluit under (its zaakbesluiten)."""
    from tenant_runtime.besluiten.models import Besluit
    from tenant_runtime.zaken.models import Zaak, ZaakBesluit

    uuid = besluit["url"].rsplit("/", 1)[-1]
    with tenant.session() as session:
        query = (
            select(Zaak.uuid)
            .join(ZaakBesluit, ZaakBesluit.zaak_id == Zaak.id)
            .join(Besluit, ZaakBesluit.besluit_id == Besluit.id)
            .where(Besluit.uuid == uuid)
        )
        return [str(u) for u in session.scalars(query)]


def uuid_of(url: str) -> str:
    return url.rsplit("/", 1)[-1]


def test_besluit_with_local_zaak_is_linked(alpha: ZgwTenant, catalog: Catalog) -> None:
    headers = alpha.superuser()
    besluit = create_besluit(alpha, catalog, headers, zaak=catalog.zaak)
    assert besluit["zaak"] == catalog.zaak
    assert zaakbesluit_zaken(alpha, besluit) == [uuid_of(catalog.zaak)]
    listed = alpha.client.get(besluiten_url(alpha), params={"zaak": catalog.zaak}, headers=headers)
    assert_conforms(listed)
    assert [r["url"] for r in listed.json()["results"]] == [besluit["url"]]
    without = create_besluit(alpha, catalog, headers)
    assert zaakbesluit_zaken(alpha, without) == []


def test_brc_007_besluittype_must_belong_to_the_zaaktype(alpha: ZgwTenant, catalog: Catalog) -> None:
    headers = alpha.superuser()
    mismatch = post(alpha, besluiten_url(alpha), besluit_body(catalog, zaak=catalog.zaak_other), headers)
    assert invalid_params(mismatch) == {"nonFieldErrors": "zaaktype-mismatch"}
    matching = post(
        alpha,
        besluiten_url(alpha),
        besluit_body(catalog, zaak=catalog.zaak_other, besluittype=catalog.besluittype_b),
        headers,
    )
    assert matching.status_code == 201, matching.text
    missing = catalog.zaak.rsplit("/", 1)[0] + "/5f0a4b4e-9b1c-4a57-8a57-0d4f3e8f0a11"
    assert invalid_params(post(alpha, besluiten_url(alpha), besluit_body(catalog, zaak=missing), headers)) == {
        "zaak": "bad-url"
    }


def test_changing_the_zaak_relinks_and_deleting_unlinks(alpha: ZgwTenant, catalog: Catalog) -> None:
    headers = alpha.superuser()
    besluit = create_besluit(alpha, catalog, headers, zaak=catalog.zaak)
    # the new zaak's zaaktype must have this besluittype too
    wrong = alpha.client.patch(besluit["url"], json={"zaak": catalog.zaak_other}, headers=headers)
    assert_conforms(wrong)
    assert invalid_params(wrong) == {"nonFieldErrors": "zaaktype-mismatch"}
    assert zaakbesluit_zaken(alpha, besluit) == [uuid_of(catalog.zaak)]

    unchanged = alpha.client.patch(besluit["url"], json={"zaak": catalog.zaak, "toelichting": "x"}, headers=headers)
    assert unchanged.status_code == 200
    assert zaakbesluit_zaken(alpha, besluit) == [uuid_of(catalog.zaak)]
    cleared = alpha.client.patch(besluit["url"], json={"zaak": ""}, headers=headers)
    assert cleared.status_code == 200, cleared.text
    assert_conforms(cleared)
    assert cleared.json()["zaak"] == ""
    assert zaakbesluit_zaken(alpha, besluit) == []
    again = alpha.client.patch(besluit["url"], json={"zaak": catalog.zaak}, headers=headers)
    assert again.status_code == 200
    assert zaakbesluit_zaken(alpha, besluit) == [uuid_of(catalog.zaak)]

    other = create_besluit(alpha, catalog, headers, zaak=catalog.zaak_other, besluittype=catalog.besluittype_b)
    assert alpha.client.delete(besluit["url"], headers=headers).status_code == 204
    assert zaakbesluit_zaken(alpha, besluit) == []
    assert zaakbesluit_zaken(alpha, other) == [uuid_of(catalog.zaak_other)]
