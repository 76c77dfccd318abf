"""The releases and campaigns API: the catalogue (the package's own release, validation, status transitions),
pins (operator; municipality admin only when the plan allows), campaigns (validation with precise invalidParams,
Idempotency-Key, one at a time, actions), the role matrix and the audit log. No runtime: jobs are only recorded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from controlplane.audit.models import AuditEntry
from controlplane.jobs.models import Job
from controlplane.releases import campaigns
from controlplane.releases.models import TenantUpgrade
from controlplane.tenants.models import Tenant, TenantState
from tenant_runtime.tenants import service as runtime_tenants
from tests.controlplane.conftest import World, add_tenant
from tests.fixtures.releases import IRREVERSIBLE, REVERSIBLE


def _params(response: Any) -> dict[str, str]:
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return {p["name"]: p["code"] for p in response.json()["invalidParams"]}


def _release(world: World, **body: Any) -> Any:
    values = {"version": "0.2.0", "status": "available", "package_version": "0.1.0", **body}
    return world.client.post("/api/v1/releases", json=values, headers=world.headers("operator"))


def _activate(world: World, *tenants: Tenant) -> None:
    with world.cp.sessions() as session:
        for tenant in tenants:
            row = session.get(Tenant, tenant.id)
            assert row is not None
            row.state = TenantState.ACTIVE
        session.commit()


def test_the_package_release_and_the_catalogue(world: World) -> None:
    listed = world.client.get("/api/v1/releases", headers=world.headers("finance")).json()
    assert [r["version"] for r in listed["results"]] == ["0.1.0"]
    package = listed["results"][0]
    assert package["status"] == "available" and package["pool"] == "default" and package["tenants"] == 2
    heads = package["schema_heads"]
    assert heads == sorted(runtime_tenants.schema_heads())  # every head the installed package ships
    assert {head.rstrip("0123456789") for head in heads} >= {"core", "aut", "ztc", "zrc", "brc", "drc", "nrc"}

    created = _release(world, migration_paths=[str(REVERSIBLE)], notes="Nieuw")
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["pool"] == "shared-0-2-0" and body["image"] == "ghcr.io/zgw-cloud/zgw-cloud:0.2.0"
    assert "flt0001" in body["schema_heads"] and body["reversible"] is True
    assert created.headers["location"] == "/api/v1/releases/0.2.0"

    draft = _release(world, version="0.3.0", status="draft", migration_paths=[str(IRREVERSIBLE)], reversible=False)
    assert draft.status_code == 201 and draft.json()["status"] == "draft"
    patched = world.client.patch("/api/v1/releases/0.3.0", json={"status": "available", "notes": "klaar"},
                                 headers=world.headers("operator"))  # fmt: skip
    assert patched.status_code == 200 and patched.json()["available_at"]
    frozen = world.client.patch("/api/v1/releases/0.3.0", json={"image": "ghcr.io/x/y:1", "reversible": True},
                                headers=world.headers("operator"))  # fmt: skip
    assert _params(frozen) == {"image": "not-editable", "reversible": "not-editable"}
    back = world.client.patch("/api/v1/releases/0.3.0", json={"status": "draft"}, headers=world.headers("operator"))
    assert _params(back) == {"status": "invalid-transition"}
    package_gone = world.client.patch("/api/v1/releases/0.1.0", json={"status": "withdrawn"},
                                      headers=world.headers("operator"))  # fmt: skip
    assert _params(package_gone) == {"status": "package-release"}
    assert world.client.get("/api/v1/releases/9.9.9", headers=world.headers("admin_a")).status_code == 404
    with world.cp.sessions() as session:
        actions = list(session.scalars(select(AuditEntry.action).where(AuditEntry.target_type == "release")))
    assert actions == ["release.created", "release.created", "release.updated"]


RELEASE_CASES: list[tuple[dict[str, Any], dict[str, str]]] = [
    ({"version": "v2"}, {"version": "invalid-version"}),
    ({"image": "Ghcr.io/UPPER:tag"}, {"image": "invalid-image"}),
    ({"image": "ghcr.io/zgw-cloud/zgw-cloud"}, {"image": "invalid-image"}),  # neither tag nor digest
    ({"pool": "Shared_V2"}, {"pool": "invalid-pool"}),
    ({"schema_heads": ["zrc0002", "no such"]}, {"schema_heads.1": "invalid-revision"}),
    ({"schema_heads": ["zrc0002", "zrc0099"]}, {"schema_heads.1": "unknown-revision"}),
    ({"migration_paths": ["relative/dir"]}, {"migration_paths.0": "does-not-exist"}),
    ({"status": "withdrawn"}, {"status": "invalid_choice"}),
    ({"extra": 1}, {"extra": "extra_forbidden"}),
]


def test_release_validation(world: World) -> None:
    for body, expected in RELEASE_CASES:  # one world for every case (each costs a migrated database)
        assert _params(_release(world, **body)) == expected, body


def test_unique_version_and_pool(world: World) -> None:
    assert _release(world, pool="shared-v2").status_code == 201
    assert _params(_release(world, pool="shared-v2")) == {"version": "unique", "pool": "unique"}


def test_only_operators_write(world: World, tmp_path: Path) -> None:
    for who in ("finance", "admin_a"):
        assert (
            world.client.post("/api/v1/releases", json={"version": "0.2.0"}, headers=world.headers(who)).status_code
            == 403
        )
        assert (
            world.client.post("/api/v1/campaigns", json={"release": "0.1.0"}, headers=world.headers(who)).status_code
            == 403
        )
    assert world.client.get("/api/v1/campaigns", headers=world.headers("admin_a")).status_code == 403
    assert world.client.get("/api/v1/campaigns", headers=world.headers("finance")).status_code == 200
    assert world.client.get("/api/v1/releases").status_code == 401


def test_pinning_by_plan(world: World) -> None:
    assert _release(world).status_code == 201
    a, b = world.tenant_a, world.tenant_b
    refused = world.client.put(f"/api/v1/tenants/{a.id}/release/pin", json={"version": "0.1.0"},
                               headers=world.headers("admin_a"))  # fmt: skip
    assert refused.status_code == 403 and refused.json()["code"] == "plan-forbids-pin"
    world.cp.settings.release_pinning_plans = ["basis"]
    own = world.client.put(f"/api/v1/tenants/{a.id}/release/pin", json={"version": "0.1.0", "reason": "ketentest"},
                           headers=world.headers("admin_a"))  # fmt: skip
    assert own.status_code == 200, own.text
    assert own.json()["pinned_version"] == "0.1.0" and own.json()["pinning_allowed"] is True
    assert own.json()["available_versions"] == ["0.1.0", "0.2.0"]
    other = world.client.put(f"/api/v1/tenants/{b.id}/release/pin", json={"version": "0.1.0"},
                             headers=world.headers("admin_a"))  # fmt: skip
    assert other.status_code == 404  # another municipality's tenant does not exist for this admin
    unknown = world.client.put(f"/api/v1/tenants/{a.id}/release/pin", json={"version": "4.0.0"},
                               headers=world.headers("operator"))  # fmt: skip
    assert _params(unknown) == {"version": "does_not_exist"}
    finance = world.client.put(f"/api/v1/tenants/{a.id}/release/pin", json={"version": "0.1.0"},
                               headers=world.headers("finance"))  # fmt: skip
    assert finance.status_code == 403
    unpinned = world.client.delete(f"/api/v1/tenants/{a.id}/release/pin", headers=world.headers("admin_a"))
    assert unpinned.status_code == 200 and unpinned.json()["pinned_version"] is None
    with world.cp.sessions() as session:
        actions = list(session.scalars(select(AuditEntry.action).where(AuditEntry.tenant_id == a.id)))
    assert actions == ["tenant.release_pinned", "tenant.release_unpinned"]
    history = world.client.get(f"/api/v1/tenants/{a.id}/upgrades", headers=world.headers("admin_a"))
    assert history.status_code == 200 and history.json() == {"count": 0, "results": []}
    assert world.client.get(f"/api/v1/tenants/{b.id}/upgrades", headers=world.headers("admin_a")).status_code == 404


CAMPAIGN_CASES: list[tuple[dict[str, Any], dict[str, str]]] = [
    ({"release": "9.9.9"}, {"release": "does_not_exist"}),
    ({"release": "0.3.0"}, {"release": "not-available"}),
    ({"scope": "tenants", "tenants": ["alphen", "atlantis"]}, {"tenants.1": "does_not_exist"}),
    ({"scope": "tenants"}, {"nonFieldErrors": "required"}),
    ({"scope": "all", "tier": "shared"}, {"nonFieldErrors": "not-allowed"}),
    ({"canaries": ["bodegraven"], "scope": "tenants", "tenants": ["alphen"]}, {"canaries.0": "not-in-selection"}),
    ({"wave_size": 0, "wave_pause_seconds": -1}, {"wave_size": "min_value", "wave_pause_seconds": "min_value"}),
    ({"failure_policy": "retry"}, {"failure_policy": "invalid_choice"}),
]


def test_campaign_validation(world: World) -> None:
    _activate(world, world.tenant_a, world.tenant_b)
    assert _release(world).status_code == 201
    assert _release(world, version="0.3.0", status="draft").status_code == 201
    for body, expected in CAMPAIGN_CASES:
        response = world.client.post("/api/v1/campaigns", json={"release": "0.2.0", **body},
                                     headers=world.headers("operator"))  # fmt: skip
        params = _params(response)
        assert {k: v for k, v in params.items() if k in expected} == expected, (body, params)
    with world.cp.sessions() as session:  # nothing was started by a refused request
        assert session.scalar(select(TenantUpgrade.id)) is None


def test_campaign_start_idempotency_and_actions(world: World) -> None:
    _activate(world, world.tenant_a, world.tenant_b)
    add_tenant(world.cp, "castricum", "0383", TenantState.SUSPENDED)
    nothing = world.client.post("/api/v1/campaigns", json={"release": "0.1.0"}, headers=world.headers("operator"))
    assert _params(nothing) == {"scope": "nothing-to-upgrade"}  # everybody is on the package's release already
    assert _release(world).status_code == 201
    body = {"release": "0.2.0", "canary_count": 1, "wave_size": 5, "wave_pause_seconds": 60}
    headers = world.headers("operator", **{"Idempotency-Key": "rollout-0.2.0"})
    first = world.client.post("/api/v1/campaigns", json=body, headers=headers)
    assert first.status_code == 201, first.text
    again = world.client.post("/api/v1/campaigns", json=body, headers=headers)
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    reused = world.client.post("/api/v1/campaigns", json={**body, "wave_size": 6}, headers=headers)
    assert reused.status_code == 422 and reused.json()["code"] == "idempotency-key-reused"
    busy = world.client.post("/api/v1/campaigns", json=body, headers=world.headers("operator"))
    assert busy.status_code == 409 and busy.json()["code"] == "campaign-in-progress"

    campaign = first.json()
    tenants = {t["slug"]: t for t in campaign["tenants"]}
    assert tenants["castricum"]["status"] == "skipped" and tenants["castricum"]["detail"] == "niet actief (suspended)"
    assert [t["slug"] for t in campaign["tenants"] if t["canary"]] == ["alphen"]
    assert tenants["alphen"]["wave"] == 0 and tenants["bodegraven"]["wave"] is None

    # The driver hands the canary to a worker (its job is recorded here; no worker runs it).
    campaigns.advance(world.cp, campaign_id := __import__("uuid").UUID(campaign["id"]))
    with world.cp.sessions() as session:
        upgrade = session.scalar(select(TenantUpgrade).where(TenantUpgrade.tenant_id == world.tenant_a.id))
        assert upgrade is not None and upgrade.status.value == "running" and upgrade.job_id in world.dispatched.jobs
        job = session.get(Job, upgrade.job_id)
        assert job is not None and job.kind.value == "upgrade" and job.steps_total == 10

    url = f"/api/v1/campaigns/{campaign_id}"
    assert world.client.post(f"{url}/resume", headers=world.headers("operator")).status_code == 409
    paused = world.client.post(f"{url}/pause", headers=world.headers("operator"))
    assert paused.status_code == 200 and paused.json()["status"] == "paused"
    assert campaigns.advance(world.cp, campaign_id) is None  # a paused campaign does nothing
    assert world.client.post(f"{url}/override-windows", headers=world.headers("operator")).json()[
        "ignore_maintenance_windows"] is True  # fmt: skip
    cancelled = world.client.post(f"{url}/cancel", headers=world.headers("operator")).json()
    assert cancelled["status"] == "cancelled"
    assert {t["slug"]: t["status"] for t in cancelled["tenants"]}["bodegraven"] == "skipped"
    assert world.client.post(f"{url}/bogus", headers=world.headers("operator")).status_code == 404
    listed = world.client.get("/api/v1/campaigns?status=cancelled", headers=world.headers("finance")).json()
    assert listed["count"] == 1 and listed["results"][0]["tenants"] is None
    with world.cp.sessions() as session:
        actions = list(session.scalars(select(AuditEntry.action).where(AuditEntry.target_type == "campaign")))
    assert actions == ["campaign.created", "campaign.wave_started", "campaign.pause", "campaign.override_windows",
                       "campaign.cancel"]  # fmt: skip
