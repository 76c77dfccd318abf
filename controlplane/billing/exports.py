"""CSV exports for finance: one row per tenant (usage and amounts of a period) and one row per invoice line.
Amounts use a decimal point (machine-readable: spreadsheets and bookkeeping imports)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence

from controlplane.billing.schemas import InvoiceOut, TenantUsageRow

USAGE_COLUMNS = ("period", "tenant", "name", "plan", "status", "api_calls_total", "storage_gb_months",
                 "active_clients", "subtotal_eur", "total_eur", "reconciliation")  # fmt: skip
LINE_COLUMNS = ("period", "invoice", "status", "tenant", "position", "component", "description", "quantity", "unit",
                "unit_price_eur", "amount_eur", "computation", "subtotal_eur", "vat_rate", "vat_eur",
                "total_eur")  # fmt: skip


def _csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    yield buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(["" if value is None else value for value in row])
        yield buffer.getvalue()


def usage_csv(period: str, rows: Iterable[TenantUsageRow]) -> Iterator[str]:
    return _csv(USAGE_COLUMNS, (
        (period, r.tenant, r.name, r.plan, r.status, r.api_calls_total, r.storage_gb_months, r.active_clients,
         r.subtotal, r.total, r.reconciliation)
        for r in rows
    ))  # fmt: skip


def lines_csv(invoices: Iterable[InvoiceOut]) -> Iterator[str]:
    return _csv(LINE_COLUMNS, (
        (i.period, i.number, i.status, i.tenant, line.position, line.component, line.description, line.quantity,
         line.unit, line.unit_price, line.amount, line.computation, i.subtotal, i.vat_rate, i.vat, i.total)
        for i in invoices for line in i.lines
    ))  # fmt: skip
