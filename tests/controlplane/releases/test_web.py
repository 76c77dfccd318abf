"""The releases and campaigns pages with real sessions: the catalogue and its form errors, starting a campaign and
its live progress page, finance read-only, and the municipality's version page with pinning by plan."""

from __future__ import annotations

from controlplane.tenants.models import Tenant, TenantState
from tests.controlplane.conftest import World
from tests.controlplane.test_web_pages import login
from tests.fixtures.releases import REVERSIBLE


def _activate(world: World) -> None:
    with world.cp.sessions() as session:
        for tenant_id in (world.tenant_a.id, world.tenant_b.id):
            row = session.get(Tenant, tenant_id)
            assert row is not None
            row.state = TenantState.ACTIVE
        session.commit()


def test_operator_catalogue_and_campaign_pages(world: World) -> None:
    _activate(world)
    client = world.client
    csrf = login(client, "operator@example.nl")
    page = client.get("/releases")
    assert page.status_code == 200 and "0.1.0" in page.text and 'name="version"' in page.text
    bad = client.post("/releases", data={"version": "twee", "migration_paths": "relative", "csrf_token": csrf})
    assert bad.status_code == 400 and 'aria-invalid="true"' in bad.text
    assert "MAJOR.MINOR.PATCH" in bad.text
    good = client.post("/releases", data={"version": "0.2.0", "package_version": "0.1.0",
                                          "migration_paths": str(REVERSIBLE), "reversible": "true",
                                          "available": "true", "csrf_token": csrf})  # fmt: skip
    assert good.status_code == 200 and "shared-0-2-0" in good.text and "flt0001" in good.text

    form = client.get("/campaigns")
    assert '<option value="0.2.0"' in form.text
    refused = client.post("/campaigns", data={"release": "0.2.0", "scope": "tenants", "tenant_slugs": "atlantis",
                                              "csrf_token": csrf})  # fmt: skip
    assert refused.status_code == 400 and "atlantis" in refused.text
    fields = {"release": "0.2.0", "scope": "all", "canary_count": "1", "wave_size": "5", "wave_pause_seconds": "0"}
    started = client.post("/campaigns", data={**fields, "csrf_token": csrf})
    assert started.status_code == 200 and "Campagne naar 0.2.0" in started.text
    assert '<meta http-equiv="refresh" content="2">' in started.text  # live progress while it runs
    assert "Gemeente Alphen" in started.text and "(canary)" in started.text
    campaign_url = str(started.url)
    paused = client.post(f"{campaign_url}/actions/pause", data={"csrf_token": csrf})
    assert paused.status_code == 200 and 'id="campaign-status">paused' in paused.text
    listed = client.get("/campaigns")
    assert "paused" in listed.text

    detail = client.get(f"/tenants/{world.tenant_a.id}/release")
    assert detail.status_code == 200 and 'id="current-version">0.1.0' in detail.text
    pinned = client.post(f"/tenants/{world.tenant_a.id}/release/pin",
                         data={"version": "0.1.0", "reason": "ketentest", "csrf_token": csrf})  # fmt: skip
    assert pinned.status_code == 200 and "ketentest" in pinned.text


def test_finance_reads_and_municipality_pins_when_the_plan_allows(world: World) -> None:
    client = world.client
    csrf = login(client, "finance@example.nl")
    assert client.get("/releases").status_code == 200 and 'name="version"' not in client.get("/releases").text
    assert client.get("/campaigns").status_code == 200
    assert client.post("/releases", data={"version": "0.2.0", "csrf_token": csrf}).status_code == 403
    client.cookies.clear()

    csrf = login(client, "admin_a@example.nl")
    assert client.get("/releases").status_code == 403
    page = client.get(f"/portal/{world.tenant_a.id}/release")
    assert page.status_code == 200 and "Uw plan staat niet toe" in page.text and 'name="version"' not in page.text
    refused = client.post(f"/portal/{world.tenant_a.id}/release/pin", data={"version": "0.1.0", "csrf_token": csrf})
    assert refused.status_code == 400 and "staat niet toe" in refused.text
    assert client.get(f"/portal/{world.tenant_b.id}/release").status_code == 404
    world.cp.settings.release_pinning_plans = ["basis"]
    pinned = client.post(f"/portal/{world.tenant_a.id}/release/pin", data={"version": "0.1.0", "csrf_token": csrf})
    assert pinned.status_code == 200 and 'id="pinned-version">0.1.0' in pinned.text
    portal = client.get(f"/portal/{world.tenant_a.id}")
    assert f"/portal/{world.tenant_a.id}/release" in portal.text
