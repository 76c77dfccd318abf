"""Month-close for the whole fleet: 342 municipalities, a month of realistic ledger volumes, on PostgreSQL.

Starts its own PostgreSQL (``tests/fixtures/services.py``), migrates the control plane, creates ``--tenants``
active municipalities on three priced plans (about one in ten moves to another plan halfway through the month,
so its month is priced in two segments) and bulk-loads a month (30 days, 720 hours) of usage with ``COPY``:
per tenant and hour, API calls for each metered component × read/write (volumes scale with the number of
inhabitants, from a few hundred to ~40,000 calls an hour), the stored-bytes, zaken and documenten gauges,
and one active-client mark per active application (2–12). That is ~13,400 ledger rows per tenant and month
(~4.6 million for 342). Then it measures, with Stripe enabled against the recording Stripe of the tests
on loopback:

* **month-close**: compute and freeze every tenant's invoice and record its meter events
  (``billing.closing.close_period``, what the ``billing.close_period`` task runs) — target ≤ 30 s;
* **re-run**: the same close again (idempotent: finds every invoice, creates nothing);
* **send**: the meter-event sender delivering every recorded event to Stripe (customers and subscriptions
  first), for reference;
* **reconcile**: the nightly reconciliation of the closed month against Stripe's meter summaries;
* **finance overview**: the finance view's table of the month, priced live before the close and from the frozen
  invoices after it.

``python -m bench billing-month-close [--tenants 342] [--batch-size 50]``
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import psycopg
from sqlalchemy import func, select

from controlplane.billing import closing, reconcile, service, sync
from controlplane.billing.catalogue import STANDARD_PRICES, seed_prices
from controlplane.billing.models import Invoice, MeterEventSubmission, TenantPlanChange
from controlplane.billing.pricing import Period
from controlplane.billing.stripe_provider import StripeProvider
from controlplane.cli import migrate_controlplane
from controlplane.clock import FrozenClock
from controlplane.config import Settings
from controlplane.container import build_controlplane
from controlplane.tenants.models import Plan, Tenant, TenantState, Tier
from tenant_runtime.metering.events import COMPONENTS
from tests.controlplane.billing.fake_stripe import fake_stripe
from tests.fixtures.services import PostgresServer

BENCH_KEY = "zP3o0sVt0H8oX3f3a0m0b3Yy6c5V7Qe6J2pQm3JrXx8="  # a fixed Fernet key, benchmark only
PERIOD = Period(2026, 11)  # 30 days, 720 hours
COLUMNS = ("event_id", "tenant_id", "meter", "component", "operation", "client_id", "hour", "quantity", "kind",
           "reason", "recorded_by", "recorded_at")  # fmt: skip


def _inhabitants(rng: random.Random) -> int:
    """Dutch municipalities: most have 10k–50k inhabitants, a few over 200k (lognormal-ish)."""
    return max(900, min(930_000, int(rng.lognormvariate(10.3, 0.8))))


def _seed(settings: Settings, tenants: int, rng: random.Random) -> list[tuple[uuid.UUID, int]]:
    cp = build_controlplane(settings, clock=FrozenClock(PERIOD.start - timedelta(days=60)))
    created: list[tuple[uuid.UUID, int]] = []
    with cp.sessions() as session:
        plans = {}
        for code in STANDARD_PRICES:
            plan = Plan(code=code, name=code.title())
            session.add(plan)
            session.flush()
            plans[code] = plan
        seed_prices(session, plans, created_by="bench")
        codes = list(plans)
        for number in range(tenants):
            inhabitants = _inhabitants(rng)
            code = "dedicated" if inhabitants > 150_000 else codes[number % 2]
            tenant = Tenant(slug=f"gemeente-{number:03d}", name=f"Gemeente {number:03d}", gemeentecode=f"{number:04d}",
                            rsin="002220647", inhabitants=inhabitants, tier=Tier.SHARED, plan_id=plans[code].id,
                            state=TenantState.ACTIVE)  # fmt: skip
            session.add(tenant)
            session.flush()
            session.add(TenantPlanChange(tenant_id=tenant.id, plan_id=plans[code].id,
                                         effective_from=datetime(2025, 6, 1, tzinfo=UTC), reason="bench"))  # fmt: skip
            if number % 10 == 3:  # a plan change halfway through the month: two segments to price
                other = plans["inwoner" if code != "inwoner" else "basis"]
                session.add(TenantPlanChange(tenant_id=tenant.id, plan_id=other.id, reason="bench",
                                             effective_from=PERIOD.start + timedelta(days=14, hours=9)))  # fmt: skip
            created.append((tenant.id, inhabitants))
        session.commit()
    cp.close()
    return created


def _load_ledger(url: str, tenants: list[tuple[uuid.UUID, int]], rng: random.Random) -> int:
    rows = 0
    now = PERIOD.end
    components = [c for c in COMPONENTS if c != "referentielijsten"]
    with psycopg.connect(url) as connection, connection.cursor() as cursor:
        with cursor.copy(f"COPY usage_ledger ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for tenant_id, inhabitants in tenants:
                scale = inhabitants / 10_000
                clients = [f"app-{i}" for i in range(rng.randint(2, 12))]
                stored = int(inhabitants * 2_000_000 * rng.uniform(0.5, 1.5))  # ~2 MB of documents per inhabitant
                zaken = int(inhabitants * 0.4)
                for hour_index in range(PERIOD.hours):
                    moment = PERIOD.start + timedelta(hours=hour_index)
                    daytime = 0.3 + (1.0 if 7 <= moment.hour <= 18 and moment.weekday() < 5 else 0.0)
                    for component in components:
                        for operation, share in (("read", 0.8), ("write", 0.2)):
                            calls = int(rng.uniform(20, 200) * scale * daytime * share)
                            if calls:
                                copy.write_row((uuid.uuid4(), tenant_id, "api_calls", component, operation, "", moment,
                                                calls, "usage", "", "bench", now))  # fmt: skip
                                rows += 1
                    stored += int(inhabitants * rng.uniform(0, 50))
                    zaken += rng.randint(0, 3)
                    for meter, value in (("stored_bytes", stored), ("zaken", zaken), ("documenten", zaken * 3)):
                        copy.write_row((uuid.uuid4(), tenant_id, meter, "", "", "", moment, value, "usage", "", "bench",
                                        now))  # fmt: skip
                        rows += 1
                    for client in clients if daytime > 1 else clients[:2]:
                        copy.write_row((uuid.uuid4(), tenant_id, "active_client", "", "", client, moment, 1, "usage",
                                        "", "bench", now))  # fmt: skip
                        rows += 1
        connection.commit()
        cursor.execute("ANALYZE usage_ledger")
        connection.commit()
    return rows


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench billing-month-close", description=__doc__)
    parser.add_argument("--tenants", type=int, default=342, help="active municipalities (342: every one)")
    parser.add_argument("--batch-size", type=int, default=closing.BATCH_SIZE, help="tenants per close transaction")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    workdir = Path(tempfile.mkdtemp(prefix="zgw-test-services-bench-"))
    workdir.chmod(0o755)
    (workdir / "postgres").mkdir()
    postgres = PostgresServer.start(workdir / "postgres")
    try:
        url = postgres.create_database("billing")
        with fake_stripe() as stripe:
            stripe.seed_catalog()
            settings = Settings(environment="test", encryption_key=BENCH_KEY, data_dir=workdir / "cp",
                                database_url=url, runtime_data_dir=workdir / "rt", stripe_enabled=True,
                                stripe_api_key="sk_test_bench", stripe_api_base=stripe.url,
                                stripe_max_network_retries=0)  # fmt: skip
            migrate_controlplane(settings)
            started = time.monotonic()
            tenants = _seed(settings, args.tenants, rng)
            rows = _load_ledger(url, tenants, rng)
            load_seconds = time.monotonic() - started
            cp = build_controlplane(settings, clock=FrozenClock(PERIOD.end + timedelta(hours=3)))
            cp.payments = StripeProvider(settings)

            with cp.sessions() as session:
                fleet = list(session.scalars(select(Tenant)).unique())
                began = time.monotonic()
                preview_rows = service.overview(cp, session, fleet, PERIOD)
                preview_seconds = time.monotonic() - began
            began = time.monotonic()
            report = closing.close_period(cp, PERIOD, batch_size=args.batch_size)
            close_seconds = time.monotonic() - began
            began = time.monotonic()
            again = closing.close_period(cp, PERIOD, batch_size=args.batch_size)
            rerun_seconds = time.monotonic() - began
            began = time.monotonic()
            sent = sync.send_due(cp, limit=100_000)
            send_seconds = time.monotonic() - began
            with cp.sessions() as session:
                began = time.monotonic()
                frozen_rows = service.overview(cp, session, fleet, PERIOD)
                frozen_seconds = time.monotonic() - began
            began = time.monotonic()
            run = reconcile.reconcile_period(cp, PERIOD)
            reconcile_seconds = time.monotonic() - began
            with cp.sessions() as session:
                total = session.scalar(select(func.sum(Invoice.total))) or Decimal(0)
                counted = select(MeterEventSubmission.status, func.count()).group_by(MeterEventSubmission.status)
                statuses = {row[0]: row[1] for row in session.execute(counted)}
            cp.close()
            events = len(stripe.meter_events)
    finally:
        postgres.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    print(f"\nBilling month-close — {os.cpu_count()} CPUs, PostgreSQL, {args.tenants} municipalities, "
          f"{PERIOD} ({PERIOD.hours} hours), Stripe on a recording server on loopback")  # fmt: skip
    print(f"ledger: {rows:,} rows ({rows / max(1, len(tenants)):,.0f} per tenant), seeded and loaded in "
          f"{load_seconds:.1f}s")  # fmt: skip
    print(f"month-close: {close_seconds:6.2f}s  ({report.invoices_created} invoices, {report.submissions_created} "
          f"meter events recorded; target ≤ 30 s; {close_seconds / max(1, report.invoices_created) * 1000:.1f} ms "
          f"per tenant)")  # fmt: skip
    print(f"re-run:      {rerun_seconds:6.2f}s  (created {again.invoices_created}, found {again.invoices_existing})")
    by_status = {s.value: n for s, n in statuses.items()}
    print(f"send:        {send_seconds:6.2f}s  ({sent.sent} meter events, {sent.retrying} retrying, {events} at "
          f"Stripe; submissions {by_status})")  # fmt: skip
    print(f"reconcile:   {reconcile_seconds:6.2f}s  (status {run.status.value}, {run.checked} invoices, "
          f"{run.drifting} drifting)")  # fmt: skip
    print(
        f"finance overview of the month: {preview_seconds:6.2f}s as a preview before the close "
        f"({len(preview_rows)} rows), {frozen_seconds:6.2f}s from the frozen invoices ({len(frozen_rows)} rows)"
    )
    print(f"invoiced total: € {total:,.2f} incl. VAT")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
