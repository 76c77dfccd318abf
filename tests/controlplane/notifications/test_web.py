"""The Notificaties pages: the operator's tenant page and the municipality portal show the dead letter first,
and their resend button (a form post with the session's CSRF token) resends it once; other municipalities,
finance and an unreachable runtime get a clear answer."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from controlplane.audit.models import AuditEntry
from controlplane.main import create_app
from tests.controlplane.conftest import build_world, make_settings
from tests.controlplane.notifications.conftest import Notifying, activate_in_controlplane_only, dead_letter
from tests.controlplane.test_web_pages import login
from tests.fixtures.processes import free_port
from tests.fixtures.services import PostgresServer
from tests.tenant_runtime.notificaties.conftest import deliver
from tests.tenant_runtime.notificaties.subscriber import Subscriber

FORM = re.compile(r'<form method="post" action="([^"]+/resend)".*?name="idempotency_key" value="([^"]+)"', re.S)


def _browser(n: Notifying) -> TestClient:
    return TestClient(create_app(n.world.cp.settings, controlplane=n.world.cp), base_url="http://testserver")


def test_portal_shows_the_dead_letter_and_resends_it_once(notifying: Notifying, subscriber: Subscriber) -> None:
    n, world = notifying, notifying.world
    letter = dead_letter(n, subscriber)["results"][0]
    tenant = world.tenant_a
    with _browser(n) as browser:
        csrf = login(browser, "admin_a@example.nl")
        page = browser.get(f"/portal/{tenant.id}/notifications")
        assert page.status_code == 200, page.text
        dead_section = page.text.split('id="dead-letters"')[1].split('id="deliveries"')[0]
        assert f'id="delivery-{letter["uuid"]}"' in dead_section and "HTTP 503" in dead_section
        assert "Dead letters (1)" in page.text
        action, key = FORM.search(dead_section).groups()  # type: ignore[union-attr]
        assert action == f"/portal/{tenant.id}/notifications/{letter['uuid']}/resend"

        refused = browser.post(action, data={"idempotency_key": key}, follow_redirects=False)  # no CSRF token
        assert refused.status_code == 403

        subscriber.status = 204
        form: dict[str, Any] = {"csrf_token": csrf, "idempotency_key": key}
        done = browser.post(action, data=form, follow_redirects=False)
        assert done.status_code == 303 and "opnieuw%20verstuurd" in done.headers["location"]
        twice = browser.post(action, data=form)  # a double submit of the same rendered form
        assert twice.status_code == 200 and "al opnieuw verstuurd" in twice.text
        deliver(n.alpha)
        after = browser.get(f"/portal/{tenant.id}/notifications?status=delivered")
        assert "Geen dead letters." in after.text
        assert f'id="delivery-{letter["uuid"]}"' in after.text.split('id="deliveries"')[1]
        assert browser.get(f"/portal/{tenant.id}/notifications?status=lost").status_code == 400

        # Another municipality's admin never sees this tenant's page.
        browser.post("/logout", data={"csrf_token": csrf})
        login(browser, "admin_b@example.nl")
        assert browser.get(f"/portal/{tenant.id}/notifications").status_code == 404
    delivered = [r for r in subscriber.received if r.body.get("kanaal") == "zaken" and r.status == 204]
    assert len(delivered) == 1
    with world.cp.sessions() as session:
        assert len(session.scalars(select(AuditEntry).where(AuditEntry.action == "notification.resent")).all()) == 1


def test_operator_page_and_finance(notifying: Notifying, subscriber: Subscriber) -> None:
    n, world = notifying, notifying.world
    letter = dead_letter(n, subscriber)["results"][0]
    with _browser(n) as browser:
        csrf = login(browser, "operator@example.nl")
        detail = browser.get(f"/tenants/{world.tenant_a.id}")
        assert f"/tenants/{world.tenant_a.id}/notifications" in detail.text
        page = browser.get(f"/tenants/{world.tenant_a.id}/notifications")
        assert page.status_code == 200 and letter["uuid"] in page.text and subscriber.url in page.text
        subscriber.status = 204
        done = browser.post(
            f"/tenants/{world.tenant_a.id}/notifications/{letter['uuid']}/resend", data={"csrf_token": csrf}
        )
        assert done.status_code == 200 and "wordt opnieuw verstuurd" in done.text
        browser.post("/logout", data={"csrf_token": csrf})
        login(browser, "finance@example.nl")
        assert browser.get(f"/tenants/{world.tenant_a.id}/notifications").status_code == 403
        assert browser.get(f"/portal/{world.tenant_a.id}/notifications").status_code == 404


def test_page_says_when_the_runtime_is_unreachable(tmp_path: Any, postgres_server: PostgresServer) -> None:
    settings = make_settings(
        tmp_path, postgres_server, runtime_pool_routes={"default": f"http://127.0.0.1:{free_port()}"}
    )
    for world in build_world(settings):
        activate_in_controlplane_only(world)
        login(world.client, "operator@example.nl")
        page = world.client.get(f"/tenants/{world.tenant_a.id}/notifications")
        assert page.status_code == 503
        assert 'role="alert"' in page.text and "niet bereikbaar" in page.text
