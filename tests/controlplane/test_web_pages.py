"""The web UI with real sessions: operator console pages, the onboarding form's errors, the municipality portal
(credentials with the secret shown once, autorisaties, maintenance window), CSRF on forms, and isolation."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from controlplane.credentials.models import ApiCredential
from tests.controlplane.conftest import PASSWORD, World

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def login(client: TestClient, email: str) -> str:
    token = CSRF.search(client.get("/login").text).group(1)  # type: ignore[union-attr]
    response = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 200, response.text  # followed the redirect to the landing page
    return CSRF.search(response.text).group(1)  # type: ignore[union-attr]


def test_operator_console(world: World) -> None:
    client = world.client
    csrf = login(client, "operator@example.nl")
    fleet = client.get("/fleet")
    assert "Gemeente Alphen" in fleet.text and "Gemeente Bodegraven" in fleet.text
    form = client.get("/tenants/new")
    assert form.status_code == 200 and 'name="gemeentecode"' in form.text
    bad = client.post("/tenants/new", data={"name": "Gemeente Katwijk", "gemeentecode": "53", "rsin": "123456789",
                                            "inhabitants": "65000", "plan": "basis", "csrf_token": csrf})  # fmt: skip
    assert bad.status_code == 400
    assert "precies 4 cijfers" in bad.text and "elfproef" in bad.text and 'aria-invalid="true"' in bad.text
    good = client.post("/tenants/new", data={"name": "Gemeente Katwijk", "gemeentecode": "0537", "rsin": "002220647",
                                             "inhabitants": "65000", "plan": "basis", "csrf_token": csrf})  # fmt: skip
    assert good.status_code == 200 and "Gemeente Katwijk" in good.text
    assert "provision" in good.text and '<meta http-equiv="refresh"' in good.text  # live progress while queued
    assert len(world.dispatched.jobs) == 1
    audit = client.get("/audit?action=tenant.created")
    assert "operator@example.nl" in audit.text and "katwijk" in audit.text


def test_forms_refuse_missing_csrf(world: World) -> None:
    client = world.client
    login(client, "operator@example.nl")
    response = client.post("/tenants/new", data={"name": "Gemeente X", "gemeentecode": "0001"})
    assert response.status_code == 403 and response.json()["code"] == "csrf_failed"
    page = client.post("/tenants/new", data={"name": "Gemeente X"}, headers={"Accept": "text/html"})
    assert page.status_code == 403 and "<code>csrf_failed</code>" in page.text and 'role="alert"' in page.text
    response = client.post(f"/tenants/{world.tenant_a.id}/actions/provision", data={"csrf_token": "forged"})
    assert response.status_code == 403
    assert world.dispatched.jobs == []


def test_finance_reads_fleet_but_cannot_act(world: World) -> None:
    client = world.client
    csrf = login(client, "finance@example.nl")
    assert "Gemeente Alphen" in client.get("/fleet").text
    assert client.get("/tenants/new").status_code == 403
    action = client.post(f"/tenants/{world.tenant_a.id}/actions/provision", data={"csrf_token": csrf})
    assert action.status_code == 403
    assert client.get(f"/portal/{world.tenant_a.id}").status_code == 404


def test_municipality_admin_portal_and_isolation(world: World) -> None:
    client = world.client
    csrf = login(client, "admin_a@example.nl")
    home = client.get("/")
    assert "Gemeente Alphen" in home.text and "Bodegraven" not in home.text
    for path in (f"/portal/{world.tenant_b.id}", f"/tenants/{world.tenant_b.id}", "/fleet", "/audit"):
        assert client.get(path).status_code in (403, 404), path
    sneaky = {"client_id": "sneaky", "label": "x", "heeft_alle_autorisaties": "true", "csrf_token": csrf}
    other = client.post(f"/portal/{world.tenant_b.id}/credentials", data=sneaky)
    assert other.status_code == 404

    portal = f"/portal/{world.tenant_a.id}"
    created = client.post(portal + "/credentials", data={
        "client_id": "zaaksysteem", "label": "Zaaksysteem", "component": "zrc",
        "scopes": "zaken.lezen, zaken.bijwerken",
        "type_url": "https://alphen.example.nl/catalogi/api/v1/zaaktypen/1", "level": "vertrouwelijk",
        "csrf_token": csrf})  # fmt: skip
    assert created.status_code == 200 and created.headers["cache-control"] == "no-store"
    secret = re.search(r'id="secret-value" readonly value="([^"]+)"', created.text).group(1)  # type: ignore[union-attr]
    assert "alleen nu" in created.text
    page = client.get(portal)
    assert secret not in page.text and "zaken.lezen, zaken.bijwerken" in page.text  # shown once only

    with world.cp.sessions() as session:
        credential = session.query(ApiCredential).filter_by(client_id="zaaksysteem").one()
    base = f"{portal}/credentials/{credential.id}"
    added = client.post(base + "/autorisaties", data={"component": "nrc", "scopes": "notificaties.consumeren",
                                                      "csrf_token": csrf})  # fmt: skip
    assert added.status_code == 200 and "notificaties.consumeren" in added.text
    invalid = client.post(base + "/autorisaties", data={"component": "drc", "scopes": "documenten.lezen",
                                                        "csrf_token": csrf})  # fmt: skip
    assert invalid.status_code == 400 and "informatieobjecttype" in invalid.text
    removed = client.post(base + "/autorisaties/0/delete", data={"csrf_token": csrf})
    assert (
        "<td>zaken.lezen, zaken.bijwerken</td>" not in removed.text
        and "<td>notificaties.consumeren</td>" in removed.text
    )
    rotated = client.post(base + "/rotate", data={"csrf_token": csrf})
    new_secret = re.search(r'id="secret-value" readonly value="([^"]+)"', rotated.text).group(1)  # type: ignore[union-attr]
    assert new_secret != secret and "verloopt" in rotated.text
    window = client.post(portal + "/maintenance", data={"weekday": "3", "start": "01:30", "duration_minutes": "90",
                                                        "csrf_token": csrf})  # fmt: skip
    assert "woensdag 01:30 UTC, 90 minuten" in window.text
    wrong = client.post(portal + "/maintenance", data={"weekday": "3", "start": "01:30", "duration_minutes": "5",
                                                       "csrf_token": csrf})  # fmt: skip
    assert wrong.status_code == 400
    revoked = client.post(base + "/revoke", data={"csrf_token": csrf})
    assert "revoked" in revoked.text
    assert "credential.rotated" in revoked.text and "tenant.updated" in revoked.text  # own audit log
