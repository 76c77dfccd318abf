"""Upgrade campaigns end to end with the local driver on real PostgreSQL and two runtime pools over HTTP:
canaries and waves, a tenant whose health gate fails rolled back with its data intact (continue and halt
policies), a failing canary halting everything, an irreversible migration failing half-way undone by restoring
the pre-upgrade backup, maintenance windows by the injected clock with the emergency override, pinned tenants."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from datetime import time as clock_time

from sqlalchemy import select

from controlplane.audit.models import AuditEntry
from controlplane.jobs.models import Job, JobStatus
from controlplane.tenants.models import Tenant, TenantState
from tests.controlplane.releases.conftest import POOL_V2, Fleet
from tests.fixtures.releases import IRREVERSIBLE, REVERSIBLE


def _actions(fleet: Fleet, tenant: Tenant) -> list[str]:
    with fleet.session() as session:
        return list(
            session.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.tenant_id == tenant.id, AuditEntry.action.like("upgrade.%"))
                .order_by(AuditEntry.id)
            )
        )


def test_gate_failure_is_rolled_back_and_the_campaign_continues(fleet: Fleet) -> None:
    assert fleet.schema_at(fleet.provision("aa", "0001", inhabitants=500))
    tenants = {slug: fleet.provision(slug, code) for slug, code in (("bb", "0002"), ("cc", "0003"), ("pp", "0004"))}
    canary = fleet.tenant(next(t.id for t in [fleet.provision("dd", "0005", inhabitants=100)]))
    headers = {slug: fleet.fill(t, breaks=slug == "bb") for slug, t in tenants.items()}
    headers["dd"] = fleet.fill(canary)
    before = {slug: fleet.fingerprint(t) for slug, t in tenants.items()}
    fleet.release()
    pinned = fleet.world.client.put(
        f"/api/v1/tenants/{tenants['pp'].id}/release/pin", json={"version": "0.1.0", "reason": "ketentest"},
        headers=fleet.headers(),
    )  # fmt: skip
    assert pinned.status_code == 200 and pinned.json()["pinned_version"] == "0.1.0"

    started = fleet.start(scope="tenants", tenants=["dd", "bb", "cc", "pp"], canaries=["dd"], wave_size=3)
    assert fleet.by_slug(started)["pp"]["status"] == "skipped"
    assert "vastgezet op 0.1.0" in fleet.by_slug(started)["pp"]["detail"]
    done = fleet.drive(started["id"])

    assert done["status"] == "completed", done
    result = fleet.by_slug(done)
    assert {s: result[s]["status"] for s in result} == {
        "dd": "upgraded", "bb": "rolled_back", "cc": "upgraded", "pp": "skipped"}  # fmt: skip
    assert [(w["wave"], w["canary"], w["counts"]) for w in done["waves"]] == [
        (0, True, {"upgraded": 1}), (1, False, {"rolled_back": 1, "upgraded": 1})]  # fmt: skip
    assert result["bb"]["failed_step"] == "health_gate" and "smoke" in result["bb"]["detail"]

    # Upgraded: the new schema head, served by the shared-v2 pool, data unchanged, answering.
    for slug in ("dd", "cc"):
        tenant = canary if slug == "dd" else tenants[slug]
        assert fleet.schema_at(tenant, REVERSIBLE) and "flt0001" in fleet.heads(tenant)
        assert fleet.pool(tenant) == POOL_V2
        assert fleet.kanalen(tenant, headers[slug]).status_code == 200
        assert fleet.tenant(tenant.id).runtime_version == "0.2.0-test"
    assert fleet.fingerprint(tenants["cc"]) == before["cc"]
    # Rolled back: the package's heads again (downgraded), the default pool, every row as before, answering.
    bb = tenants["bb"]
    assert fleet.schema_at(bb) and fleet.pool(bb) == "default"
    assert fleet.fingerprint(bb) == before["bb"]
    assert fleet.kanalen(bb, headers["bb"]).status_code == 200
    assert fleet.tenant(bb.id).state is TenantState.ACTIVE and fleet.tenant(bb.id).runtime_version == "0.1.0"
    assert fleet.schema_at(tenants["pp"])  # pinned: untouched
    assert _actions(fleet, bb) == [
        "upgrade.prepared", "upgrade.backed_up", "upgrade.migrated", "upgrade.switched", "upgrade.health_gate_failed",
        "upgrade.rollback_routed", "upgrade.downgraded", "upgrade.rollback_verified", "upgrade.rolled_back",
    ]  # fmt: skip
    with fleet.session() as session:
        job = session.get(Job, result["bb"]["job_id"])
        assert job is not None and job.status is JobStatus.FAILED and "teruggezet naar 0.1.0" in job.error
    release = fleet.world.client.get(f"/api/v1/tenants/{canary.id}/release", headers=fleet.headers()).json()
    assert release["version"] == "0.2.0-test" and release["previous_version"] == "0.1.0"
    metrics = fleet.world.client.get("/metrics").text
    assert 'zgwcloud_tenant_upgrades_total{status="rolled_back"} 1.0' in metrics
    assert 'zgwcloud_release_tenants{version="0.2.0-test"} 2.0' in metrics
    history = fleet.world.client.get(f"/api/v1/tenants/{bb.id}/upgrades", headers=fleet.headers()).json()
    assert [u["status"] for u in history["results"]] == ["rolled_back"]
    assert history["results"][0]["gate"]["ready"] is True


def test_halt_policy_stops_after_the_failed_wave_and_resume_goes_on(fleet: Fleet) -> None:
    aa, bb, cc = (fleet.provision(slug, code) for slug, code in (("aa", "0001"), ("bb", "0002"), ("cc", "0003")))
    fleet.fill(bb, breaks=True)
    fleet.release()
    started = fleet.start(scope="tenants", tenants=["aa", "bb", "cc"], canaries=["aa"], wave_size=1,
                          failure_policy="halt")  # fmt: skip
    halted = fleet.drive(started["id"])
    assert halted["status"] == "halted" and "bb teruggezet na health_gate" in halted["halt_reason"]
    assert {s: t["status"] for s, t in fleet.by_slug(halted).items()} == {
        "aa": "upgraded", "bb": "rolled_back", "cc": "pending"}  # fmt: skip
    assert fleet.schema_at(cc)

    resumed = fleet.world.client.post(f"/api/v1/campaigns/{started['id']}/resume", headers=fleet.headers())
    assert resumed.status_code == 200 and resumed.json()["status"] == "running"
    done = fleet.drive(started["id"])
    assert done["status"] == "completed" and fleet.by_slug(done)["cc"]["status"] == "upgraded"
    assert fleet.schema_at(cc, REVERSIBLE) and fleet.schema_at(aa, REVERSIBLE)


def test_a_failing_canary_halts_everything(fleet: Fleet) -> None:
    bb, cc = fleet.provision("bb", "0002"), fleet.provision("cc", "0003")
    fleet.fill(bb, breaks=True)
    fleet.release()
    started = fleet.start(scope="all", canaries=["bb"], wave_size=10)
    halted = fleet.drive(started["id"])
    assert halted["status"] == "halted" and halted["halt_reason"].startswith("canary bb mislukt bij health_gate")
    result = fleet.by_slug(halted)
    assert result["bb"]["status"] == "rolled_back"
    assert result["cc"]["status"] == "pending"  # nobody else was touched
    assert {result[s]["detail"] for s in ("alphen", "bodegraven")} == {"niet actief (requested)"}
    assert fleet.schema_at(cc) and fleet.pool(cc) == "default"
    assert fleet.schema_at(bb) and fleet.pool(bb) == "default"


def test_irreversible_migration_failing_half_way_is_undone_by_the_backup(fleet: Fleet) -> None:
    ee, ff = fleet.provision("ee", "0006"), fleet.provision("ff", "0007")
    headers = fleet.fill(ee, duplicate_names=True)
    fleet.fill(ff)
    before = fleet.fingerprint(ee)
    ff_before = fleet.fingerprint(ff)
    fleet.release("0.3.0-test", irreversible=True)
    started = fleet.start(release="0.3.0-test", scope="tenants", tenants=["ee", "ff"], canary_count=0)
    done = fleet.drive(started["id"])

    assert done["status"] == "completed", done
    result = fleet.by_slug(done)
    assert result["ff"]["status"] == "upgraded" and result["ee"]["status"] == "rolled_back"
    assert result["ee"]["failed_step"] == "migrate" and "uq_catalogi_catalogus_naam" in result["ee"]["detail"]
    assert result["ee"]["backup_id"] and result["ee"]["maintenance_seconds"] > 0
    # Zero data loss: every table's record count and checksum as before the upgrade (the half-applied fli0001
    # had upper-cased the beheerder names), at the package's heads, answering again.
    assert fleet.schema_at(ee)
    assert fleet.fingerprint(ee) == before
    assert fleet.kanalen(ee, headers).status_code == 200
    assert "upgrade.restored" in _actions(fleet, ee)
    # The tenant without duplicates went through: both revisions, the irreversible rewrite applied.
    assert fleet.schema_at(ff, IRREVERSIBLE) and "fli0002" in fleet.heads(ff)
    after = fleet.fingerprint(ff)
    assert {t for t in after if after[t] != ff_before[t]} == {"catalogi_catalogus"}
    assert after["catalogi_catalogus"][0] == ff_before["catalogi_catalogus"][0]


def test_maintenance_windows_by_the_clock_and_the_emergency_override(fleet: Fleet) -> None:
    monday_noon = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)  # a Monday
    fleet.cp.clock.moment = monday_noon  # type: ignore[attr-defined]
    open_now, wednesday, sunday = (fleet.provision(s, c) for s, c in (("gg", "0008"), ("hh", "0009"), ("kk", "0010")))
    fleet.window(open_now, 1, clock_time(11, 30), 60)  # Monday 11:30-12:30: open
    fleet.window(wednesday, 3, clock_time(23, 0), 120)  # Wednesday 23:00 - Thursday 01:00
    fleet.window(sunday, 7, clock_time(2, 0), 60)
    fleet.release()
    started = fleet.start(scope="tenants", tenants=["gg", "hh", "kk"], canary_count=0, wave_size=10)

    waiting = fleet.drive(started["id"])
    assert waiting["status"] == "running"
    assert {s: t["status"] for s, t in fleet.by_slug(waiting).items()} == {
        "gg": "upgraded", "hh": "pending", "kk": "pending"}  # fmt: skip

    fleet.cp.clock.moment = monday_noon + timedelta(days=2, hours=12, minutes=30)  # type: ignore[attr-defined]
    assert fleet.drive(started["id"])["status"] == "running"  # Thursday 00:30: hh's window (past midnight)
    assert fleet.by_slug(fleet.campaign(started["id"]))["hh"]["status"] == "upgraded"
    assert fleet.by_slug(fleet.campaign(started["id"]))["kk"]["status"] == "pending"

    override = fleet.world.client.post(f"/api/v1/campaigns/{started['id']}/override-windows", headers=fleet.headers())
    assert override.status_code == 200 and override.json()["ignore_maintenance_windows"] is True
    done = fleet.drive(started["id"])
    assert done["status"] == "completed" and fleet.by_slug(done)["kk"]["status"] == "upgraded"
    assert fleet.schema_at(sunday, REVERSIBLE)
    with fleet.session() as session:
        actions = set(session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("campaign.%"))))
    assert {"campaign.created", "campaign.wave_started", "campaign.wave_finished", "campaign.override_windows",
            "campaign.completed"} <= actions  # fmt: skip
