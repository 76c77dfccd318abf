"""The operator's onboarding flow and the municipality's credential flow in a real browser, against a control
plane and a tenant runtime served over HTTP on PostgreSQL; jobs run by an in-process runner thread."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from controlplane.drivers.interfaces import TemporaryError
from controlplane.jobs import runner
from controlplane.main import create_app
from tenant_runtime.autorisaties.admin import make_jwt
from tenant_runtime.config import RuntimeSettings
from tenant_runtime.main import create_app as create_runtime
from tests.controlplane.conftest import PASSWORD, World, build_world, make_settings
from tests.fixtures.services import PostgresServer
from tests.tenant_runtime.live import serve

pytestmark = pytest.mark.browser


class ThreadRunner:
    """Runs each dispatched job in a thread, retrying temporary errors as the Celery task would."""

    def __init__(self) -> None:
        self.world: World | None = None

    def __call__(self, job_id: uuid.UUID) -> None:
        def work() -> None:
            assert self.world is not None
            for _ in range(30):
                try:
                    runner.run(self.world.cp, job_id)
                    return
                except TemporaryError:
                    threading.Event().wait(0.5)

        threading.Thread(target=work, daemon=True).start()


@pytest.fixture
def site(tmp_path: Path, postgres_server: PostgresServer) -> Iterator[tuple[World, str]]:
    settings = make_settings(tmp_path, postgres_server)
    runtime_settings = RuntimeSettings(
        environment="test", data_dir=tmp_path / "rt", registry_url=settings.runtime_registry_url,
        registry_cache_seconds=0,
    )  # fmt: skip
    with serve(create_runtime(runtime_settings)) as runtime_url:
        jobs = ThreadRunner()
        for world in build_world(settings.model_copy(update={"runtime_public_url": runtime_url}), dispatch=jobs):
            jobs.world = world
            with serve(create_app(world.cp.settings, controlplane=world.cp)) as url:
                yield world, url


def _login(page: Any, url: str, email: str) -> None:
    page.goto(f"{url}/login")
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()


def test_operator_onboards_a_municipality(site: tuple[World, str], page: Any,
                                          screenshot: Callable[[str], Path]) -> None:  # fmt: skip
    _, url = site
    _login(page, url, "operator@example.nl")
    page.get_by_role("link", name="Gemeente aansluiten").click()
    page.get_by_label("Naam", exact=True).fill("Gemeente Noordwijk")
    page.get_by_label("CBS-gemeentecode").fill("0575")
    page.get_by_label("RSIN").fill("123456789")
    page.get_by_label("Aantal inwoners").fill("44000")
    page.get_by_role("button", name="Aansluiten en inrichten").click()
    assert page.get_by_role("alert").is_visible()
    assert "elfproef" in page.locator("#rsin-error").inner_text()
    assert page.get_by_label("RSIN").get_attribute("aria-invalid") == "true"
    screenshot("onboard-validation")
    page.get_by_label("RSIN").fill("002220647")
    page.get_by_role("button", name="Aansluiten en inrichten").click()
    page.wait_for_url("**/tenants/*")
    page.locator("#tenant-status", has_text="active").wait_for(timeout=60_000)  # the page refreshes itself
    assert "succeeded" in page.locator(".job-status").first.inner_text()
    screenshot("tenant-active")
    page.get_by_role("button", name="Opschorten").click()
    page.locator("#tenant-status", has_text="suspended").wait_for(timeout=30_000)
    page.get_by_role("link", name="Gemeenten").click()
    assert page.get_by_role("row", name="Gemeente Noordwijk").is_visible()
    screenshot("fleet")


def test_municipality_manages_credentials(site: tuple[World, str], page: Any,
                                          screenshot: Callable[[str], Path]) -> None:  # fmt: skip
    world, url = site
    response = world.client.post(f"/api/v1/tenants/{world.tenant_a.id}/provision", headers=world.headers("operator"))
    job_id = response.json()["id"]
    for _ in range(120):
        job = world.client.get(f"/api/v1/jobs/{job_id}", headers=world.headers("operator")).json()
        if job["status"] in ("succeeded", "failed"):
            break
        threading.Event().wait(0.5)
    assert job["status"] == "succeeded", job
    _login(page, url, "admin_a@example.nl")
    assert "Gemeente Alphen" in page.locator("h1").inner_text()
    base = page.locator("code", has_text="/notificaties/api/v1").inner_text()
    page.get_by_label("Client-id").fill("zaaksysteem-alphen")
    page.get_by_label("Naam van de applicatie").fill("Zaaksysteem")
    page.locator("#component").select_option("nrc")
    page.locator("#scopes").fill("notificaties.consumeren")
    page.get_by_role("button", name="Applicatie aanmaken").click()
    secret = page.locator("#secret-value").input_value()
    screenshot("secret-shown-once")
    token = make_jwt("zaaksysteem-alphen", secret)
    assert httpx.get(f"{base}/kanaal", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    page.reload()
    assert page.locator("#secret-value").count() == 0  # never shown again

    page.get_by_role("button", name="Geheim roteren").click()
    rotated = page.locator("#secret-value").input_value()
    assert rotated != secret and "verloopt" in page.content()
    page.get_by_role("button", name="Intrekken").click()
    page.wait_for_load_state()
    assert "revoked" in page.locator(".credential").first.inner_text()
    token = make_jwt("zaaksysteem-alphen", rotated)
    assert httpx.get(f"{base}/kanaal", headers={"Authorization": f"Bearer {token}"}).status_code == 403
    screenshot("credential-revoked")
    page.goto(f"{url}/portal/{world.tenant_b.id}")
    assert "Bodegraven" not in page.content()
