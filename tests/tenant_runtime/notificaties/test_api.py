"""The Notificaties API 1.0: kanalen, abonnementen (with the callback check on subscribe) and publishing,
every response checked against the official spec."""

from __future__ import annotations

from sqlalchemy import select

from tenant_runtime.autorisaties.admin import AutorisatieSpec
from tenant_runtime.core.outbox import OutboxMessage
from tenant_runtime.notificaties.kanalen import STANDARD_KANALEN
from tenant_runtime.notificaties.schemas import AUTH_MASK
from tests.tenant_runtime.conftest import ZgwTenant
from tests.tenant_runtime.notificaties.conformance import assert_conforms
from tests.tenant_runtime.notificaties.conftest import consumer, publisher, subscribe
from tests.tenant_runtime.notificaties.subscriber import Subscriber, running_subscriber

# --- kanalen --------------------------------------------------------------------------------------------------


def test_every_runtime_api_has_its_kanaal_with_its_documented_kenmerken(alpha: ZgwTenant) -> None:
    response = alpha.client.get(f"{alpha.api('notificaties')}/kanaal", headers=consumer(alpha))
    assert response.status_code == 200
    assert_conforms(response)
    kanalen = {k["naam"]: k for k in response.json()}
    assert set(kanalen) == {
        "zaken",
        "documenten",
        "besluiten",
        "zaaktypen",
        "informatieobjecttypen",
        "besluittypen",
        "autorisaties",
    }
    for definition in STANDARD_KANALEN:
        assert kanalen[definition.naam]["filters"] == list(definition.filters)
        assert kanalen[definition.naam]["documentatieLink"] == definition.documentatie_link
    assert kanalen["zaken"]["filters"] == ["bronorganisatie", "zaaktype", "vertrouwelijkheidaanduiding"]
    assert kanalen["zaken"]["url"].startswith(f"{alpha.api('notificaties')}/kanaal/")


def test_kanaal_filter_on_naam_and_retrieve(alpha: ZgwTenant) -> None:
    headers = publisher(alpha)
    response = alpha.client.get(f"{alpha.api('notificaties')}/kanaal", params={"naam": "documenten"}, headers=headers)
    assert_conforms(response)
    [kanaal] = response.json()
    assert kanaal["naam"] == "documenten"
    detail = alpha.client.get(kanaal["url"], headers=headers)
    assert detail.status_code == 200
    assert_conforms(detail)
    assert detail.json() == kanaal
    empty = alpha.client.get(f"{alpha.api('notificaties')}/kanaal", params={"naam": "nope"}, headers=headers)
    assert empty.status_code == 200
    assert empty.json() == []


def test_kanaal_unknown_query_parameter_and_unknown_uuid(alpha: ZgwTenant) -> None:
    headers = publisher(alpha)
    response = alpha.client.get(f"{alpha.api('notificaties')}/kanaal", params={"foo": "bar"}, headers=headers)
    assert response.status_code == 400
    assert_conforms(response)
    assert response.json()["invalidParams"][0]["code"] == "unknown-parameters"
    missing = alpha.client.get(
        f"{alpha.api('notificaties')}/kanaal/5f0a4b4e-9b1c-4a57-8a57-0d4f3e8f0a11", headers=headers
    )
    assert missing.status_code == 404
    assert_conforms(missing)
    not_a_uuid = alpha.client.get(f"{alpha.api('notificaties')}/kanaal/not-a-uuid", headers=headers)
    assert not_a_uuid.status_code == 404


def test_publisher_registers_a_kanaal_once(alpha: ZgwTenant) -> None:
    headers = publisher(alpha)
    body = {"naam": "klanten", "documentatieLink": "https://example.nl/klanten", "filters": ["kvk"]}
    created = alpha.client.post(f"{alpha.api('notificaties')}/kanaal", json=body, headers=headers)
    assert created.status_code == 201, created.text
    assert_conforms(created)
    assert created.headers["Location"] == created.json()["url"]
    assert {k: created.json()[k] for k in body} == body
    again = alpha.client.post(f"{alpha.api('notificaties')}/kanaal", json=body, headers=headers)
    assert again.status_code == 400
    assert_conforms(again)
    assert again.json()["invalidParams"] == [
        {"name": "naam", "code": "unique", "reason": "Er bestaat al een kanaal met deze naam."}
    ]


def test_kanaal_validation_and_scopes(alpha: ZgwTenant) -> None:
    url = f"{alpha.api('notificaties')}/kanaal"
    invalid = alpha.client.post(url, json={"naam": "", "documentatieLink": "geen url"}, headers=publisher(alpha))
    assert invalid.status_code == 400
    assert_conforms(invalid)
    assert {p["name"]: p["code"] for p in invalid.json()["invalidParams"]} == {
        "naam": "min_length",
        "documentatieLink": "invalid",
    }
    forbidden = alpha.client.post(url, json={"naam": "x"}, headers=consumer(alpha))
    assert forbidden.status_code == 403
    assert_conforms(forbidden)
    other_component = alpha.headers_for(autorisaties=[AutorisatieSpec(component="zrc", scopes=["zaken.lezen"])])
    assert alpha.client.get(url, headers=other_component).status_code == 403
    assert alpha.client.get(url).status_code == 403


# --- abonnementen ---------------------------------------------------------------------------------------------


def test_subscribing_verifies_the_callback_with_a_test_notification(alpha: ZgwTenant, subscriber: Subscriber) -> None:
    abonnement = subscribe(
        alpha,
        subscriber.url,
        [{"naam": "zaken", "filters": {"bronorganisatie": "002220647", "vertrouwelijkheidaanduiding": "*"}}],
        auth="Bearer abc123",
    )
    [check] = subscriber.received
    assert check.body == {
        "kanaal": "test",
        "hoofdObject": "http://some.hoofdobject.nl/",
        "resource": "some_resource",
        "resourceUrl": "http://some.resource.nl/",
        "actie": "create",
        "aanmaakdatum": "2019-01-01T12:00:00Z",
        "kenmerken": {},
    }
    assert check.headers["Authorization"] == "Bearer abc123"
    assert check.headers["Content-Type"] == "application/json"
    assert abonnement["callbackUrl"] == subscriber.url
    assert abonnement["auth"] == AUTH_MASK  # never shown back
    assert abonnement["kanalen"] == [
        {"naam": "zaken", "filters": {"bronorganisatie": "002220647", "vertrouwelijkheidaanduiding": "*"}}
    ]


def test_a_callback_that_does_not_accept_the_test_notification_is_refused(alpha: ZgwTenant) -> None:
    url = f"{alpha.api('notificaties')}/abonnement"
    with running_subscriber(status=401) as refusing:
        response = alpha.client.post(
            url,
            json={"callbackUrl": refusing.url, "auth": "Bearer wrong", "kanalen": [{"naam": "zaken"}]},
            headers=consumer(alpha),
        )
        assert len(refusing.received) == 1
    assert response.status_code == 400
    assert_conforms(response)
    [param] = response.json()["invalidParams"]
    assert param["name"] == "callbackUrl"
    assert param["code"] == "invalid-callback-url"
    assert "401" in param["reason"]
    with running_subscriber() as gone:
        dead_url = gone.url
    unreachable = alpha.client.post(
        url, json={"callbackUrl": dead_url, "auth": "Bearer x", "kanalen": [{"naam": "zaken"}]}, headers=consumer(alpha)
    )
    assert unreachable.status_code == 400
    assert unreachable.json()["invalidParams"][0]["code"] == "invalid-callback-url"
    listed = alpha.client.get(url, headers=consumer(alpha))
    assert listed.json() == []


def test_abonnement_kanalen_and_filters_are_validated(alpha: ZgwTenant, subscriber: Subscriber) -> None:
    url = f"{alpha.api('notificaties')}/abonnement"
    response = alpha.client.post(
        url,
        json={
            "callbackUrl": subscriber.url,
            "auth": "Bearer x",
            "kanalen": [{"naam": "bestaat-niet"}, {"naam": "zaken", "filters": {"kleur": "blauw"}}],
        },
        headers=consumer(alpha),
    )
    assert response.status_code == 400
    assert_conforms(response)
    assert [(p["name"], p["code"]) for p in response.json()["invalidParams"]] == [
        ("kanalen.0.naam", "kanaal_naam"),
        ("kanalen.1.filters", "inconsistent-abonnement-filters"),
    ]
    assert subscriber.received == []  # nothing is sent before the request itself is valid
    missing = alpha.client.post(url, json={"kanalen": []}, headers=consumer(alpha))
    assert missing.status_code == 400
    assert_conforms(missing)
    assert {p["name"] for p in missing.json()["invalidParams"]} == {"callbackUrl", "auth"}
    bad_url = alpha.client.post(
        url, json={"callbackUrl": "ftp://x", "auth": "a", "kanalen": []}, headers=consumer(alpha)
    )
    assert bad_url.json()["invalidParams"][0] == {
        "name": "callbackUrl",
        "code": "invalid",
        "reason": "Voer een geldige URL in.",
    }


def test_abonnement_read_update_and_delete(alpha: ZgwTenant, subscriber: Subscriber) -> None:
    abonnement = subscribe(alpha, subscriber.url, [{"naam": "zaken"}], auth="Bearer first")
    headers = consumer(alpha)
    read = alpha.client.get(abonnement["url"], headers=publisher(alpha))
    assert read.status_code == 200
    assert_conforms(read)
    assert read.json() == abonnement
    listed = alpha.client.get(f"{alpha.api('notificaties')}/abonnement", headers=headers)
    assert_conforms(listed)
    assert listed.json() == [abonnement]

    # PUT back what was read (masked auth): the stored auth is kept, the callback is not checked again.
    body = {**read.json(), "kanalen": [{"naam": "documenten", "filters": {"bronorganisatie": "002220647"}}]}
    put = alpha.client.put(abonnement["url"], json=body, headers=headers)
    assert put.status_code == 200, put.text
    assert_conforms(put)
    assert put.json()["kanalen"] == [{"naam": "documenten", "filters": {"bronorganisatie": "002220647"}}]
    assert len(subscriber.received) == 1

    # A new auth value is verified against the callback.
    patch = alpha.client.patch(abonnement["url"], json={"auth": "Bearer second"}, headers=headers)
    assert patch.status_code == 200
    assert_conforms(patch)
    assert subscriber.received[-1].headers["Authorization"] == "Bearer second"
    assert patch.json()["kanalen"] == put.json()["kanalen"]

    # A new callback that refuses the test notification leaves the abonnement as it was.
    with running_subscriber(status=500) as refusing:
        refused = alpha.client.patch(abonnement["url"], json={"callbackUrl": refusing.url}, headers=headers)
    assert refused.status_code == 400
    assert_conforms(refused)
    assert alpha.client.get(abonnement["url"], headers=headers).json()["callbackUrl"] == subscriber.url

    assert alpha.client.delete(abonnement["url"], headers=publisher(alpha)).status_code == 403
    deleted = alpha.client.delete(abonnement["url"], headers=headers)
    assert deleted.status_code == 204
    assert_conforms(deleted)
    gone = alpha.client.get(abonnement["url"], headers=headers)
    assert gone.status_code == 404
    assert_conforms(gone)


def test_abonnement_scopes(alpha: ZgwTenant, subscriber: Subscriber) -> None:
    url = f"{alpha.api('notificaties')}/abonnement"
    body = {"callbackUrl": subscriber.url, "auth": "Bearer x", "kanalen": [{"naam": "zaken"}]}
    forbidden = alpha.client.post(url, json=body, headers=publisher(alpha))
    assert forbidden.status_code == 403
    assert_conforms(forbidden)
    assert subscriber.received == []
    assert alpha.client.get(url, headers=publisher(alpha)).status_code == 200


def test_abonnementen_are_per_tenant(alpha: ZgwTenant, beta: ZgwTenant, subscriber: Subscriber) -> None:
    abonnement = subscribe(alpha, subscriber.url)
    beta_headers = consumer(beta)
    assert beta.client.get(f"{beta.api('notificaties')}/abonnement", headers=beta_headers).json() == []
    uuid = abonnement["url"].rsplit("/", 1)[-1]
    in_beta = f"{beta.api('notificaties')}/abonnement/{uuid}"
    assert beta.client.get(in_beta, headers=beta_headers).status_code == 404
    assert beta.client.delete(in_beta, headers=beta_headers).status_code == 404
    # alpha's token means nothing to beta
    cross = alpha.client.get(f"{beta.api('notificaties')}/abonnement", headers=consumer(alpha))
    assert cross.status_code == 403
    assert alpha.client.get(abonnement["url"], headers=consumer(alpha)).status_code == 200


# --- publishing -----------------------------------------------------------------------------------------------


def test_publishing_puts_the_notification_unchanged_in_the_outbox(alpha: ZgwTenant) -> None:
    message = {
        "kanaal": "zaken",
        "hoofdObject": "https://zaken.example.nl/api/v1/zaken/ddc6d192",
        "resource": "status",
        "resourceUrl": "https://zaken.example.nl/api/v1/statussen/44fdcebf",
        "actie": "create",
        "aanmaakdatum": "2019-03-27T10:59:13Z",
        "kenmerken": {
            "bronorganisatie": "224557609",
            "zaaktype": "https://catalogi.example.nl/api/v1/zaaktypen/53c5c164",
            "vertrouwelijkheidaanduiding": "openbaar",
        },
    }
    response = alpha.client.post(f"{alpha.api('notificaties')}/notificaties", json=message, headers=publisher(alpha))
    assert response.status_code == 200, response.text
    assert_conforms(response)
    assert response.json() == message
    with alpha.session() as session:
        [row] = session.scalars(select(OutboxMessage)).all()
        assert (row.kanaal, row.hoofd_object, row.resource, row.actie) == (
            "zaken",
            message["hoofdObject"],
            "status",
            "create",
        )
        assert row.kenmerken == message["kenmerken"]
        assert row.aanmaakdatum.isoformat().startswith("2019-03-27T10:59:13")


def test_publishing_validates_kanaal_and_kenmerken(alpha: ZgwTenant) -> None:
    url = f"{alpha.api('notificaties')}/notificaties"
    base = {
        "kanaal": "zaken",
        "hoofdObject": "https://zaken.example.nl/api/v1/zaken/1",
        "resource": "zaak",
        "resourceUrl": "https://zaken.example.nl/api/v1/zaken/1",
        "actie": "create",
        "aanmaakdatum": "2024-01-01T00:00:00Z",
    }
    unknown = alpha.client.post(url, json={**base, "kanaal": "onbekend"}, headers=publisher(alpha))
    assert unknown.status_code == 400
    assert unknown.json()["invalidParams"][0]["code"] == "message_kanaal"
    inconsistent = alpha.client.post(url, json={**base, "kenmerken": {"kleur": "rood"}}, headers=publisher(alpha))
    assert inconsistent.status_code == 400
    assert inconsistent.json()["invalidParams"][0]["code"] == "kenmerken_inconsistent"
    invalid = alpha.client.post(
        url, json={**base, "hoofdObject": "geen-url", "aanmaakdatum": "gisteren"}, headers=publisher(alpha)
    )
    assert {p["name"] for p in invalid.json()["invalidParams"]} == {"hoofdObject", "aanmaakdatum"}
    assert alpha.client.post(url, json=base, headers=consumer(alpha)).status_code == 403
    with alpha.session() as session:
        assert session.scalars(select(OutboxMessage)).all() == []


def test_kanaal_without_documentation_link_leaves_it_out(alpha: ZgwTenant) -> None:
    created = alpha.client.post(
        f"{alpha.api('notificaties')}/kanaal", json={"naam": "meldingen"}, headers=publisher(alpha)
    )
    assert created.status_code == 201
    assert_conforms(created)  # an empty string would be no URI
    assert "documentatieLink" not in created.json()
    assert created.json()["filters"] == []
