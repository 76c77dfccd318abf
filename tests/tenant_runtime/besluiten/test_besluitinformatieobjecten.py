"""Besluitinformatieobjecten: brc-003 (the document exists), brc-008 (its type belongs to the besluittype),
uniqueness per besluit, the link functions the Documenten API uses, filters, ETag, audit and notifications."""

from __future__ import annotations

from typing import Any

from tenant_runtime.besluiten.links import besluitinformatieobjecten_of
from tests.tenant_runtime.besluiten.conftest import (
    Catalog,
    audit_rows,
    bios_url,
    create_besluit,
    invalid_params,
    outbox,
    post,
)
from tests.tenant_runtime.conftest import ZgwTenant
from tests.tenant_runtime.contract import assert_conforms


def link(tenant: ZgwTenant, headers: dict[str, str], besluit: str, document: str) -> Any:
    return post(tenant, bios_url(tenant), {"besluit": besluit, "informatieobject": document}, headers)


def test_create_retrieve_list_delete(alpha: ZgwTenant, catalog: Catalog) -> None:
    headers = alpha.superuser()
    besluit = create_besluit(alpha, catalog, headers)
    created = link(alpha, headers, besluit["url"], catalog.document)
    assert created.status_code == 201, created.text
    bio = created.json()
    assert created.headers["Location"] == bio["url"]
    assert bio["besluit"] == besluit["url"]
    assert bio["informatieobject"] == catalog.document

    detail = alpha.client.get(bio["url"], headers=headers)
    assert detail.status_code == 200
    assert_conforms(detail)
    assert detail.json() == bio
    etag = detail.headers["ETag"]
    assert alpha.client.get(bio["url"], headers={**headers, "If-None-Match": etag}).status_code == 304
    head = alpha.client.head(bio["url"], headers=headers)
    assert (head.status_code, head.headers["ETag"], head.content) == (200, etag, b"")

    # the Documenten API derives the objectinformatieobject from this row
    with alpha.session() as session:
        [row] = besluitinformatieobjecten_of(session, catalog.document_ids["brief"])
        assert str(row.uuid) == bio["url"].rsplit("/", 1)[-1]
        assert besluitinformatieobjecten_of(session, catalog.document_ids["nota"]) == []

    deleted = alpha.client.delete(bio["url"], headers=headers)
    assert deleted.status_code == 204
    assert_conforms(deleted)
    assert alpha.client.get(bio["url"], headers=headers).status_code == 404
    with alpha.session() as session:
        assert besluitinformatieobjecten_of(session, catalog.document_ids["brief"]) == []

    messages = [m for m in outbox(alpha) if m.resource == "besluitinformatieobject"]
    assert [(m.actie, m.hoofd_object, m.resource_url) for m in messages] == [
        ("create", besluit["url"], bio["url"]),
        ("destroy", besluit["url"], bio["url"]),
    ]
    assert messages[0].kenmerken["besluittype"] == catalog.besluittype
    entries = [e for e in audit_rows(alpha) if e.resource == "besluitinformatieobject"]
    assert [(e.actie, e.hoofd_object, e.resultaat) for e in entries] == [
        ("create", besluit["url"], 201),
        ("destroy", besluit["url"], 204),
    ]
    trail = alpha.client.get(f"{besluit['url']}/audittrail", headers=headers)
    assert_conforms(trail)
    assert [e["resource"] for e in trail.json()] == ["besluit", "besluitinformatieobject", "besluitinformatieobject"]


def test_unique_per_besluit(alpha: ZgwTenant, catalog: Catalog) -> None:
    headers = alpha.superuser()
    besluit = create_besluit(alpha, catalog, headers)
    other = create_besluit(alpha, catalog, headers)
    assert link(alpha, headers, besluit["url"], catalog.document).status_code == 201
    again = link(alpha, headers, besluit["url"], catalog.document)
    assert invalid_params(again) == {"nonFieldErrors": "unique"}
    assert link(alpha, headers, other["url"], catalog.document).status_code == 201


def test_brc_008_informatieobjecttype_must_belong_to_the_besluittype(alpha: ZgwTenant, catalog: Catalog) -> None:
    headers = alpha.superuser()
    besluit = create_besluit(alpha, catalog, headers)
    wrong_type = link(alpha, headers, besluit["url"], catalog.document_other_type)
    assert invalid_params(wrong_type) == {"nonFieldErrors": "missing-besluit-informatieobjecttype-relation"}
    # besluittype B names no informatieobjecttypen at all
    besluit_b = create_besluit(alpha, catalog, headers, besluittype=catalog.besluittype_b)
    assert invalid_params(link(alpha, headers, besluit_b["url"], catalog.document)) == {
        "nonFieldErrors": "missing-besluit-informatieobjecttype-relation"
    }


def test_brc_003_references_must_exist(alpha: ZgwTenant, catalog: Catalog) -> None:
    headers = alpha.superuser()
    besluit = create_besluit(alpha, catalog, headers)
    missing_doc = catalog.document.rsplit("/", 1)[0] + "/5f0a4b4e-9b1c-4a57-8a57-0d4f3e8f0a11"
    assert invalid_params(link(alpha, headers, besluit["url"], missing_doc)) == {"informatieobject": "bad-url"}
    assert invalid_params(link(alpha, headers, besluit["url"], catalog.zaak)) == {"informatieobject": "bad-url"}
    assert invalid_params(link(alpha, headers, besluit["url"], "geen url")) == {"informatieobject": "invalid"}
    missing_besluit = besluit["url"].rsplit("/", 1)[0] + "/5f0a4b4e-9b1c-4a57-8a57-0d4f3e8f0a11"
    assert invalid_params(link(alpha, headers, missing_besluit, catalog.document)) == {"besluit": "does_not_exist"}
    assert invalid_params(link(alpha, headers, "https://elders.example/besluiten/1", catalog.document)) == {
        "besluit": "no_match"
    }
    assert invalid_params(post(alpha, bios_url(alpha), {}, headers)) == {
        "informatieobject": "required",
        "besluit": "required",
    }


def test_list_filters(alpha: ZgwTenant, catalog: Catalog) -> None:
    headers = alpha.superuser()
    one = create_besluit(alpha, catalog, headers)
    two = create_besluit(alpha, catalog, headers)
    a = link(alpha, headers, one["url"], catalog.document).json()
    b = link(alpha, headers, two["url"], catalog.document).json()

    def urls(**params: str) -> list[str]:
        response = alpha.client.get(bios_url(alpha), params=params, headers=headers)
        assert response.status_code == 200, response.text
        assert_conforms(response)
        return [r["url"] for r in response.json()]

    assert urls() == [a["url"], b["url"]]
    assert urls(besluit=two["url"]) == [b["url"]]
    assert urls(informatieobject=catalog.document) == [a["url"], b["url"]]
    assert urls(informatieobject=catalog.document_other_type) == []
    assert urls(besluit="https://elders.example/besluiten/1") == []
    for params, name, code in (
        ({"besluit": "geen-url"}, "besluit", "invalid"),
        ({"page": "1"}, "nonFieldErrors", "unknown-parameters"),
    ):
        response = alpha.client.get(bios_url(alpha), params=params, headers=headers)
        assert_conforms(response)
        assert invalid_params(response) == {name: code}


def test_deleting_a_besluit_deletes_its_besluitinformatieobjecten(alpha: ZgwTenant, catalog: Catalog) -> None:
    headers = alpha.superuser()
    besluit = create_besluit(alpha, catalog, headers)
    bio = link(alpha, headers, besluit["url"], catalog.document).json()
    assert alpha.client.delete(besluit["url"], headers=headers).status_code == 204
    assert alpha.client.get(bio["url"], headers=headers).status_code == 404
    with alpha.session() as session:
        assert besluitinformatieobjecten_of(session, catalog.document_ids["brief"]) == []
