"""The backups API: the role matrix (operator / municipality admin of A / of B / finance), validation with
precise invalidParams, Idempotency-Key replays, audit entries. Jobs are only queued here (no worker)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from controlplane.audit.models import AuditEntry
from controlplane.backups.models import Backup, BackupKind, BackupStatus, Drill, RunStatus
from controlplane.jobs.models import Job, JobStatus
from controlplane.tenants.models import Tenant, TenantState
from tests.controlplane.conftest import World

OK_HEADS = ["aut0001", "core0002"]


@pytest.fixture
def live(world: World) -> World:
    """Both tenants active (their databases are not needed: nothing runs the queued jobs)."""
    with world.cp.sessions() as session:
        for tenant in session.scalars(select(Tenant)):
            tenant.state = TenantState.ACTIVE
        session.commit()
    return world


def _backup(world: World, tenant: Tenant, status: BackupStatus = BackupStatus.SUCCEEDED, **fields: object) -> uuid.UUID:
    with world.cp.sessions() as session:
        backup = Backup(
            tenant_id=tenant.id, kind=BackupKind.SCHEDULED, status=status, key=f"test:{uuid.uuid4()}",
            schema_heads=list(fields.pop("schema_heads", OK_HEADS)), record_counts={"zaken": 1}, **fields,
        )  # fmt: skip
        session.add(backup)
        session.commit()
        return backup.id


def _finish_jobs(world: World) -> None:
    with world.cp.sessions() as session:
        for job in session.scalars(select(Job).where(Job.status == JobStatus.QUEUED)):
            job.status = JobStatus.SUCCEEDED
        session.commit()


def test_backup_list_and_detail_by_role(live: World) -> None:
    a, b = _backup(live, live.tenant_a), _backup(live, live.tenant_b)
    for who, expected in (("operator", {a, b}), ("finance", {a, b}), ("admin_a", {a}), ("admin_b", {b})):
        response = live.client.get("/api/v1/backups", headers=live.headers(who))
        assert response.status_code == 200
        assert {uuid.UUID(r["id"]) for r in response.json()["results"]} == expected, who
    assert live.client.get(f"/api/v1/backups/{b}", headers=live.headers("admin_a")).status_code == 404
    detail = live.client.get(f"/api/v1/backups/{b}", headers=live.headers("finance"))
    assert detail.status_code == 200 and detail.json()["schema_heads"] == OK_HEADS
    own = live.client.get(f"/api/v1/tenants/{live.tenant_b.id}/backups", headers=live.headers("admin_a"))
    assert own.status_code == 404
    assert live.client.get("/api/v1/backups").status_code == 401


def test_start_backup_by_role_with_idempotency(live: World) -> None:
    path = f"/api/v1/tenants/{live.tenant_a.id}/backups"
    assert live.client.post(path, json={}, headers=live.headers("finance")).status_code == 403
    assert live.client.post(path, json={}, headers=live.headers("admin_b")).status_code == 404
    first = live.client.post(
        path, json={"reason": "voor de migratie"}, headers=live.headers("admin_a", **{"Idempotency-Key": "k1"})
    )
    assert first.status_code == 202, first.text
    assert first.json()["backup"]["status"] == "pending" and first.json()["job"]["kind"] == "backup"
    again = live.client.post(
        path, json={"reason": "voor de migratie"}, headers=live.headers("admin_a", **{"Idempotency-Key": "k1"})
    )
    assert again.status_code == 202 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["backup"]["id"] == first.json()["backup"]["id"]
    other = live.client.post(
        path, json={"reason": "iets anders"}, headers=live.headers("admin_a", **{"Idempotency-Key": "k1"})
    )
    assert other.status_code == 422 and other.json()["code"] == "idempotency-key-reused"
    busy = live.client.post(path, json={}, headers=live.headers("operator"))
    assert busy.status_code == 409 and busy.json()["code"] == "job-in-progress"
    too_long = live.client.post(path, json={"reason": "x" * 501}, headers=live.headers("operator"))
    assert too_long.status_code == 400
    assert [p["name"] for p in too_long.json()["invalidParams"]] == ["reason"]
    assert live.dispatched.jobs == [uuid.UUID(first.json()["job"]["id"])]
    with live.cp.sessions() as session:
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "backup.requested"))
        assert entry is not None and entry.actor == "admin_a@example.nl" and entry.tenant_id == live.tenant_a.id


def test_no_backup_of_a_tenant_without_data(world: World) -> None:
    response = world.client.post(
        f"/api/v1/tenants/{world.tenant_a.id}/backups", json={}, headers=world.headers("operator")
    )
    assert response.status_code == 409 and response.json()["code"] == "invalid-state"


def test_restore_by_role_and_validation(live: World) -> None:
    backup = _backup(live, live.tenant_a)
    path = f"/api/v1/backups/{backup}/restore"
    assert live.client.post(path, json={"mode": "in_place"}, headers=live.headers("finance")).status_code == 403
    assert live.client.post(path, json={"mode": "in_place"}, headers=live.headers("admin_b")).status_code == 404
    clone = {"mode": "new_tenant", "target": {"name": "Alphen test", "gemeentecode": "0999"}}
    refused = live.client.post(path, json=clone, headers=live.headers("admin_a"))
    assert refused.status_code == 403
    invalid = live.client.post(path, json={"mode": "elsewhere"}, headers=live.headers("operator"))
    assert invalid.status_code == 400 and [p["name"] for p in invalid.json()["invalidParams"]] == ["mode"]
    missing = live.client.post(path, json={"mode": "new_tenant"}, headers=live.headers("operator"))
    assert missing.status_code == 400
    assert [(p["name"], p["code"]) for p in missing.json()["invalidParams"]] == [("target", "required")]
    bad_code = live.client.post(path, json={"mode": "new_tenant", "target": {"name": "X test", "gemeentecode": "12"}},
                                headers=live.headers("operator"))  # fmt: skip
    assert bad_code.status_code == 400
    assert [p["name"] for p in bad_code.json()["invalidParams"]] == ["target.gemeentecode"]
    taken = live.client.post(path, json={"mode": "new_tenant", "target": {"name": "Dubbel", "gemeentecode": "1901"}},
                             headers=live.headers("operator"))  # fmt: skip
    assert taken.status_code == 400
    assert [(p["name"], p["code"]) for p in taken.json()["invalidParams"]] == [("gemeentecode", "unique")]
    newer = _backup(live, live.tenant_a, schema_heads=[*OK_HEADS, "zrc9999"])
    too_new = live.client.post(
        f"/api/v1/backups/{newer}/restore", json={"mode": "in_place"}, headers=live.headers("operator")
    )
    assert too_new.status_code == 400
    assert [(p["name"], p["code"]) for p in too_new.json()["invalidParams"]] == [("backup", "schema-newer")]
    failed = _backup(live, live.tenant_a, BackupStatus.FAILED)
    not_ok = live.client.post(
        f"/api/v1/backups/{failed}/restore", json={"mode": "in_place"}, headers=live.headers("operator")
    )
    assert not_ok.status_code == 400
    assert [(p["name"], p["code"]) for p in not_ok.json()["invalidParams"]] == [("backup", "backup-not-restorable")]

    own = live.client.post(path, json={"mode": "in_place"}, headers=live.headers("admin_a"))
    assert own.status_code == 202, own.text
    assert own.json()["job"]["kind"] == "restore" and own.json()["restore"]["target_tenant_id"] == str(live.tenant_a.id)
    _finish_jobs(live)
    cloned = live.client.post(path, json={**clone, "target": {**clone["target"], "slug": "alphen-test"}},
                              headers=live.headers("operator"))  # fmt: skip
    assert cloned.status_code == 202, cloned.text
    assert cloned.json()["job"]["kind"] == "clone"
    new_tenant = live.client.get(
        f"/api/v1/tenants/{cloned.json()['restore']['target_tenant_id']}", headers=live.headers("operator")
    )
    assert new_tenant.json()["slug"] == "alphen-test" and new_tenant.json()["rsin"] == "002220647"
    # The municipality sees restores of its own tenant (not the operator's clone of it into another tenant).
    seen = live.client.get("/api/v1/restores", headers=live.headers("admin_b")).json()
    assert seen["count"] == 0
    assert live.client.get("/api/v1/restores", headers=live.headers("admin_a")).json()["count"] == 2


def test_drills_list_failed_first_and_start_by_operator(live: World) -> None:
    backup = _backup(live, live.tenant_a)
    now = live.cp.clock.now()
    with live.cp.sessions() as session:
        for n, status in enumerate((RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.SUCCEEDED)):
            session.add(Drill(tenant_id=live.tenant_a.id, backup_id=backup, scratch_slug=f"drill-{n}", status=status,
                              created_at=now - timedelta(hours=3 - n), rto_seconds=4.2, rpo_seconds=3.6e3))  # fmt: skip
        session.commit()
    drills = live.client.get("/api/v1/drills", headers=live.headers("finance")).json()["results"]
    assert [d["status"] for d in drills] == ["failed", "succeeded", "succeeded"]
    assert drills[1]["created_at"] > drills[2]["created_at"]
    assert live.client.get("/api/v1/drills", headers=live.headers("admin_b")).json()["count"] == 0
    path = f"/api/v1/tenants/{live.tenant_a.id}/drills"
    assert live.client.post(path, headers=live.headers("admin_a")).status_code == 403
    assert live.client.post(path, headers=live.headers("finance")).status_code == 403
    none_yet = live.client.post(f"/api/v1/tenants/{live.tenant_b.id}/drills", headers=live.headers("operator"))
    assert none_yet.status_code == 409 and none_yet.json()["code"] == "no-backup"
    started = live.client.post(path, headers=live.headers("operator"))
    assert started.status_code == 202 and started.json()["drill"]["backup_id"] == str(backup)


def test_exports_by_role(live: World) -> None:
    path = f"/api/v1/tenants/{live.tenant_a.id}/exports"
    assert live.client.post(path, headers=live.headers("finance")).status_code == 403
    assert live.client.post(path, headers=live.headers("admin_b")).status_code == 404
    started = live.client.post(path, headers=live.headers("admin_a"))
    assert started.status_code == 202, started.text
    export_id = started.json()["export"]["id"]
    assert started.json()["export"]["download_url"] is None
    assert live.client.get(f"/api/v1/exports/{export_id}", headers=live.headers("admin_b")).status_code == 404
    assert live.client.get(f"/api/v1/exports/{export_id}", headers=live.headers("finance")).status_code == 403
    assert live.client.get(f"/api/v1/exports/{export_id}/download", headers=live.headers("admin_b")).status_code == 404
    pending = live.client.get(f"/api/v1/exports/{export_id}/download", headers=live.headers("admin_a"))
    assert pending.status_code == 409 and pending.json()["code"] == "export-not-ready"
    listed = live.client.get(path, headers=live.headers("operator")).json()
    assert [e["id"] for e in listed["results"]] == [export_id]


def test_backup_policy_per_plan(live: World) -> None:
    default = live.client.get("/api/v1/plans/basis/backup-policy", headers=live.headers("admin_a"))
    assert default.status_code == 200
    assert default.json() | {} == {"plan": "basis", "interval_hours": 24, "keep_daily": 14, "keep_weekly": 8,
                                   "keep_monthly": 12, "drills_enabled": True, "from_plan": False}  # fmt: skip
    body = {"interval_hours": 6, "keep_daily": 7, "keep_weekly": 4, "keep_monthly": 24, "drills_enabled": False}
    assert (
        live.client.put("/api/v1/plans/basis/backup-policy", json=body, headers=live.headers("admin_a")).status_code
        == 403
    )
    bad = live.client.put(
        "/api/v1/plans/basis/backup-policy", json={**body, "keep_daily": -1}, headers=live.headers("operator")
    )
    assert bad.status_code == 400 and [p["name"] for p in bad.json()["invalidParams"]] == ["keep_daily"]
    assert (
        live.client.put("/api/v1/plans/nope/backup-policy", json=body, headers=live.headers("operator")).status_code
        == 404
    )
    saved = live.client.put("/api/v1/plans/basis/backup-policy", json=body, headers=live.headers("operator"))
    assert saved.status_code == 200 and saved.json()["from_plan"] is True and saved.json()["interval_hours"] == 6
    with live.cp.sessions() as session:
        assert session.scalar(select(AuditEntry).where(AuditEntry.action == "plan.backup_policy_set")) is not None
