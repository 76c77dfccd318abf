"""The backup pages of the operator console and the municipality portal with real sessions: fleet view with
failed drills first, taking a backup, a restore that needs the tenant's name typed, exports; CSRF; isolation."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from controlplane.accounts.actors import Actor
from controlplane.backups import service
from controlplane.backups.models import Backup, BackupKind, BackupStatus, Drill, Export, Restore, RunStatus
from controlplane.jobs.models import Job, JobStatus
from controlplane.tenants.models import TenantState
from tests.controlplane.backups.test_api import live  # noqa: F401 - fixture
from tests.controlplane.conftest import World, add_tenant
from tests.controlplane.test_web_pages import login


def _succeeded_backup(world: World) -> uuid.UUID:
    with world.cp.sessions() as session:
        counts = {"zaken": 7, "documenten": 2, "besluiten": 1}
        backup = Backup(tenant_id=world.tenant_a.id, kind=BackupKind.SCHEDULED, status=BackupStatus.SUCCEEDED,
                        key="web", schema_heads=["core0002"], record_counts=counts, stored_bytes=3 * 1024 * 1024,
                        runtime_version="0.1.0")  # fmt: skip
        session.add(backup)
        session.flush()
        session.add(Drill(tenant_id=world.tenant_a.id, backup_id=backup.id, scratch_slug="drill-x",
                          status=RunStatus.FAILED, error="mislukte controles: GET /zaken/api/v1/zaken",
                          rto_seconds=3.5, rpo_seconds=120.0))  # fmt: skip
        session.commit()
        return backup.id


def test_operator_fleet_and_tenant_pages(live: World) -> None:  # noqa: F811
    backup_id = _succeeded_backup(live)
    client = live.client
    csrf = login(client, "operator@example.nl")
    fleet = client.get("/backups")
    assert fleet.status_code == 200
    assert "Laatste hersteloefening per gemeente (mislukte eerst)" in fleet.text and "drill-failed" in fleet.text
    assert "Gemeente Alphen" in fleet.text and "3.0 MB" in fleet.text and ">geen<" in fleet.text  # Bodegraven: none
    page = client.get(f"/tenants/{live.tenant_a.id}/backups")
    assert page.status_code == 200 and "7/2/1" in page.text and "Nu oefenen" in page.text
    taken = client.post(f"/tenants/{live.tenant_a.id}/backups", data={"reason": "handmatig", "csrf_token": csrf})
    assert taken.status_code == 200 and "De backup is gestart." in taken.text
    with live.cp.sessions() as session:
        assert session.scalar(select(Backup).where(Backup.reason == "handmatig")) is not None
        for job in session.scalars(select(Job)):
            job.status = JobStatus.SUCCEEDED
        session.commit()
    wrong = client.post(f"/tenants/{live.tenant_a.id}/backups/{backup_id}/restore",
                        data={"mode": "in_place", "confirm": "verkeerd", "csrf_token": csrf})  # fmt: skip
    assert wrong.status_code == 400 and "alphen" in wrong.text and 'role="alert"' in wrong.text
    form = {"mode": "new_tenant", "name": "Alphen test", "gemeentecode": "12", "csrf_token": csrf}
    clone = client.post(f"/tenants/{live.tenant_a.id}/backups/{backup_id}/restore", data=form)
    assert clone.status_code == 400 and "4 cijfers" in clone.text
    ok = client.post(f"/tenants/{live.tenant_a.id}/backups/{backup_id}/restore",
                     data={"mode": "in_place", "confirm": "alphen", "csrf_token": csrf})  # fmt: skip
    assert ok.status_code == 200 and "Het herstel is gestart." in ok.text
    with live.cp.sessions() as session:
        assert session.scalar(select(Restore).where(Restore.backup_id == backup_id)) is not None


def test_portal_backups_of_the_own_tenant_only(live: World) -> None:  # noqa: F811
    backup_id = _succeeded_backup(live)
    client = live.client
    csrf = login(client, "admin_a@example.nl")
    page = client.get(f"/portal/{live.tenant_a.id}/backups")
    assert page.status_code == 200 and "Export klaarzetten" in page.text and "Nu oefenen" not in page.text
    assert 'name="mode"' not in page.text  # no clones from the portal
    assert client.get(f"/portal/{live.tenant_b.id}/backups").status_code == 404
    assert client.get("/backups").status_code == 403
    assert client.get(f"/tenants/{live.tenant_a.id}/backups").status_code == 403
    export = client.post(f"/portal/{live.tenant_a.id}/exports", data={"csrf_token": csrf})
    assert export.status_code == 200 and "De export wordt klaargezet." in export.text
    with live.cp.sessions() as session:
        assert session.scalar(select(Export).where(Export.tenant_id == live.tenant_a.id)) is not None
    forged = client.post(f"/portal/{live.tenant_a.id}/backups/{backup_id}/restore", data={"confirm": "alphen"})
    assert forged.status_code == 403
    other = client.post(f"/portal/{live.tenant_b.id}/exports", data={"csrf_token": csrf})
    assert other.status_code == 404


def test_finance_reads_the_fleet_page_only(live: World) -> None:  # noqa: F811
    _succeeded_backup(live)
    client = live.client
    csrf = login(client, "finance@example.nl")
    assert client.get("/backups").status_code == 200
    page = client.get(f"/tenants/{live.tenant_a.id}/backups")
    assert page.status_code == 200 and "Nu een backup maken" not in page.text and "Export" not in page.text
    assert client.post(f"/tenants/{live.tenant_a.id}/backups", data={"csrf_token": csrf}).status_code == 403


def test_fleet_shows_each_tenants_latest_drill_failed_first(live: World) -> None:  # noqa: F811
    """Per tenant its latest drill: 120 old failures of Alphen are history once its newest drill succeeded; they
    neither hide the other tenants nor stay on top. Tenants whose latest drill failed come first."""
    backup_id = _succeeded_backup(live)  # also one failed drill of Alphen (now)
    third = add_tenant(live.cp, "castricum", "0383", TenantState.ACTIVE)
    now = datetime.now(UTC)
    with live.cp.sessions() as session:
        old = {"backup_id": backup_id, "status": RunStatus.FAILED}
        session.add_all(
            Drill(tenant_id=live.tenant_a.id, scratch_slug=f"old-{n}", error=f"oude fout {n}",
                  created_at=now - timedelta(days=30, minutes=n), **old)
            for n in range(120)
        )  # fmt: skip
        later = now + timedelta(minutes=5)
        newest_a = Drill(tenant_id=live.tenant_a.id, backup_id=backup_id, scratch_slug="new-a",
                         status=RunStatus.SUCCEEDED, rto_seconds=4.2, created_at=later)  # fmt: skip
        failed_b = Drill(tenant_id=live.tenant_b.id, backup_id=backup_id, scratch_slug="b", status=RunStatus.FAILED,
                         error="telling wijkt af", created_at=now - timedelta(days=2))  # fmt: skip
        ok_c = Drill(tenant_id=third.id, backup_id=backup_id, scratch_slug="c", status=RunStatus.SUCCEEDED,
                     created_at=now - timedelta(days=1))  # fmt: skip
        session.add_all([newest_a, failed_b, ok_c])
        session.commit()
        expected = [failed_b.id, newest_a.id, ok_c.id]
        operator = Actor.for_user(live.users["operator"], "test")
        assert [d.id for d in service.latest_drills(session, operator)] == expected
        admin_b = Actor.for_user(live.users["admin_b"], "test")
        assert [d.id for d in service.latest_drills(session, admin_b)] == [failed_b.id]  # own tenant only

    client = live.client
    login(client, "operator@example.nl")
    page = client.get("/backups")
    assert page.status_code == 200
    drills = page.text[page.text.index('id="drills"') : page.text.index('id="fleet"')]
    assert drills.count('<tr class="drill-') == 3 and "oude fout" not in drills
    positions = [drills.index(name) for name in ("Gemeente Bodegraven", "Gemeente Alphen", "Gemeente Castricum")]
    assert positions == sorted(positions)
    assert "telling wijkt af" in drills and "4.2 s" in drills
    fleet = page.text[page.text.index('id="fleet"') :]
    assert "succeeded, RTO 4.2 s" in fleet  # Alphen's latest, not its old failures
