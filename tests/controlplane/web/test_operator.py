"""The operator console's fleet table with real data: each tenant's latest successful backup (linked) and its API
calls of the current billing period from the usage ledger (corrections included, other months not)."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

from controlplane.backups.models import Backup, BackupKind, BackupStatus
from controlplane.billing.pricing import Period
from controlplane.usage.models import EntryKind, UsageEntry
from tenant_runtime.metering.events import Meter, hour_of
from tests.controlplane.conftest import World
from tests.controlplane.test_web_pages import login


def _calls(tenant_id: uuid.UUID, hour: object, quantity: int, component: str = "zaken") -> UsageEntry:
    return UsageEntry(event_id=uuid.uuid4(), tenant_id=tenant_id, meter=Meter.API_CALLS.value, component=component,
                      operation="read", hour=hour, quantity=quantity, recorded_by="test")  # fmt: skip


def _row(page: str, name: str) -> str:
    match = re.search(rf"<tr>\s*<td><a href=\"/tenants/[^\"]+\">{name}</a>.*?</tr>", page, re.S)
    assert match is not None, name
    return match.group(0)


def test_fleet_shows_latest_backup_and_calls_this_month(world: World) -> None:
    now = world.cp.clock.now()
    period = Period.containing(now)
    hour = hour_of(now)
    with world.cp.sessions() as session:
        older = Backup(tenant_id=world.tenant_a.id, kind=BackupKind.SCHEDULED, status=BackupStatus.SUCCEEDED,
                       key="old", created_at=now - timedelta(days=2))  # fmt: skip
        latest = Backup(tenant_id=world.tenant_a.id, kind=BackupKind.ON_DEMAND, status=BackupStatus.SUCCEEDED,
                        key="latest", created_at=now - timedelta(hours=3))  # fmt: skip
        failed = Backup(tenant_id=world.tenant_a.id, kind=BackupKind.SCHEDULED, status=BackupStatus.FAILED,
                        key="failed", created_at=now - timedelta(hours=1))  # fmt: skip
        session.add_all([older, latest, failed])
        first = _calls(world.tenant_a.id, period.start, 1200)
        session.add_all([first, _calls(world.tenant_a.id, hour, 34, "documenten"),
                         _calls(world.tenant_a.id, period.start - timedelta(hours=1), 99_999)])  # fmt: skip
        session.flush()
        session.add(UsageEntry(event_id=uuid.uuid4(), tenant_id=world.tenant_a.id, meter=Meter.API_CALLS.value,
                               component="zaken", operation="read", hour=period.start, quantity=-200,
                               kind=EntryKind.CORRECTION.value, corrects_event_id=first.event_id,
                               reason="dubbel geteld", recorded_by="test"))  # fmt: skip
        session.commit()
        latest_id, latest_at = latest.id, latest.created_at

    login(world.client, "operator@example.nl")
    page = world.client.get("/fleet")
    assert page.status_code == 200
    assert f"API-aanroepen {period}" in page.text
    alphen, bodegraven = _row(page.text, "Gemeente Alphen"), _row(page.text, "Gemeente Bodegraven")
    assert f'href="/tenants/{world.tenant_a.id}/backups#backup-{latest_id}"' in alphen
    assert latest_at.strftime("%Y-%m-%d %H:%M") in alphen and "succeeded, on_demand" in alphen
    assert f'href="/finance/tenants/{world.tenant_a.id}?period={period}">1.034</a>' in alphen  # 1200 - 200 + 34
    assert '<span class="error">geen</span>' in bodegraven and f'period={period}">0</a>' in bodegraven

    login(world.client, "finance@example.nl")  # finance reads the same table
    assert "1.034" in _row(world.client.get("/fleet").text, "Gemeente Alphen")
