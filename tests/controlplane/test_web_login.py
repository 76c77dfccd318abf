"""Logging in to the web UI with the demo accounts; what each role sees on the landing page."""

from __future__ import annotations

from fastapi.testclient import TestClient

from controlplane.config import Settings
from controlplane.container import build_controlplane
from controlplane.db import unit_of_work
from controlplane.demo import DEMO_PASSWORD, seed_demo


def _login(client: TestClient, email: str, password: str):  # type: ignore[no-untyped-def]
    page = client.get("/login").text
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


def _seed(settings: Settings) -> None:
    cp = build_controlplane(settings)
    with unit_of_work(cp.sessions) as session:
        seed_demo(session, settings)
    cp.close()


def test_health(controlplane_client: TestClient) -> None:
    assert controlplane_client.get("/healthz").json()["status"] == "ok"
    assert controlplane_client.get("/readyz").json() == {"status": "ready"}


def test_anonymous_is_sent_to_login(controlplane_client: TestClient) -> None:
    response = controlplane_client.get("/", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login"


def test_wrong_password_is_refused(controlplane_client: TestClient, controlplane_settings: Settings) -> None:
    _seed(controlplane_settings)
    response = _login(controlplane_client, "operator@zgw-cloud.local", "nope")
    assert response.status_code == 401
    assert "onjuist wachtwoord" in response.text


def test_operator_sees_all_municipalities_admin_only_own(
    controlplane_client: TestClient, controlplane_settings: Settings
) -> None:
    _seed(controlplane_settings)
    _login(controlplane_client, "operator@zgw-cloud.local", DEMO_PASSWORD)
    operator_page = controlplane_client.get("/").text
    controlplane_client.cookies.clear()
    _login(controlplane_client, "beheer@utrecht.demo", DEMO_PASSWORD)
    admin_page = controlplane_client.get("/").text
    assert "Gemeente Utrecht" in operator_page and "Gemeente Groningen" in operator_page
    assert "Gemeente Utrecht" in admin_page and "Gemeente Groningen" not in admin_page
