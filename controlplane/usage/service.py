"""The usage ledger: ingesting runtime events, aggregates per billing period, drill-down, corrections and the
runtime service accounts.

Every aggregate is a sum over ledger rows, so compensating entries (corrections) are part of every number: the
value of a meter for a tenant and hour is the sum of the quantities of its rows (usage plus corrections).
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import structlog
from sqlalchemy import Select, Table, and_, func, select, update
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

from controlplane.accounts.actors import Actor
from controlplane.accounts.models import ApiToken, Role, User
from controlplane.accounts.passwords import hash_password
from controlplane.accounts.tokens import create_token, ensure_token, runtime_metering_token
from controlplane.audit import service as audit
from controlplane.db import aware
from controlplane.tenants.models import Tenant, TenantState, Tier
from controlplane.usage.models import EntryKind, RuntimeAccount, UsageEntry
from controlplane.usage.schemas import UsageEventIn
from tenant_runtime.core.problems import InvalidParam, Problem, validation_problem
from tenant_runtime.metering.events import COMPONENTS, Meter, hour_of

log = structlog.get_logger(__name__)

RUNTIME_EMAIL_DOMAIN = "runtime.zgw-cloud.internal"
EMBEDDED_RUNTIME = "embedded"  # name of the embedded default's runtime account and token


# --- aggregates ---------------------------------------------------------------------------------------------


@dataclass
class PeriodUsage:
    """What a tenant used in ``[start, end)`` (hours whose start lies in the period), corrections included."""

    tenant_id: uuid.UUID
    start: datetime
    end: datetime
    hours: int = 0  # hours in the period
    api_calls: dict[tuple[str, str], int] = field(default_factory=dict)  # (component, operation) → count
    api_calls_total: int = 0
    stored_byte_hours: int = 0  # sum over the period's hours of the stored-bytes gauge
    sampled_hours: int = 0  # hours with a stored-bytes value (``hours`` minus gaps)
    max_stored_bytes: int = 0
    zaken: int = 0  # latest gauge in the period
    documenten: int = 0  # latest gauge in the period
    active_clients: set[str] = field(default_factory=set)  # distinct client ids active in the period


def period_hours(start: datetime, end: datetime) -> int:
    return max(int((end - start).total_seconds() // 3600), 0)


def _in_period(start: datetime, end: datetime, tenant_ids: Collection[uuid.UUID] | None) -> list[Any]:
    conditions: list[Any] = [UsageEntry.hour >= start, UsageEntry.hour < end]
    if tenant_ids is not None:
        conditions.append(UsageEntry.tenant_id.in_(list(tenant_ids)))
    return conditions


def api_call_counts(
    session: Session, start: datetime, end: datetime, tenant_ids: Collection[uuid.UUID] | None = None
) -> dict[uuid.UUID, dict[tuple[str, str], int]]:
    """API calls in ``[start, end)`` per tenant and (component, operation), corrections included: one aggregate
    query (the fleet table's "this month" and the API-calls part of ``fleet_usage``)."""
    if tenant_ids is not None and not tenant_ids:
        return {}
    E = UsageEntry  # noqa: N806
    rows = session.execute(
        select(E.tenant_id, E.component, E.operation, func.sum(E.quantity))
        .where(*_in_period(start, end, tenant_ids), E.meter == Meter.API_CALLS.value)
        .group_by(E.tenant_id, E.component, E.operation)
    )
    counts: dict[uuid.UUID, dict[tuple[str, str], int]] = {}
    for tenant_id, component, operation, count in rows:
        counts.setdefault(tenant_id, {})[(component, operation)] = int(count)
    return counts


def fleet_usage(
    session: Session, start: datetime, end: datetime, tenant_ids: Collection[uuid.UUID] | None = None
) -> dict[uuid.UUID, PeriodUsage]:
    """``PeriodUsage`` of many tenants at once (every tenant with ledger rows in the period, or ``tenant_ids``)
    in a handful of aggregate queries — the month close of the whole fleet."""
    if tenant_ids is not None and not tenant_ids:
        return {}
    hours = period_hours(start, end)
    usages: dict[uuid.UUID, PeriodUsage] = {}

    def usage_of(tenant_id: uuid.UUID) -> PeriodUsage:
        if tenant_id not in usages:
            usages[tenant_id] = PeriodUsage(tenant_id, start, end, hours)
        return usages[tenant_id]

    for tenant_id in tenant_ids or ():
        usage_of(tenant_id)
    where = _in_period(start, end, tenant_ids)
    E = UsageEntry  # noqa: N806 - a short alias keeps the aggregate queries readable

    for tenant_id, calls in api_call_counts(session, start, end, tenant_ids).items():
        usage = usage_of(tenant_id)
        usage.api_calls = calls
        usage.api_calls_total = sum(calls.values())

    # Gauges: the value per hour is the sum of that hour's rows (a sample plus its corrections).
    per_hour = (
        select(E.tenant_id, E.meter, E.hour, func.sum(E.quantity).label("value"))
        .where(*where, E.meter.in_([Meter.STORED_BYTES.value, Meter.ZAKEN.value, Meter.DOCUMENTEN.value]))
        .group_by(E.tenant_id, E.meter, E.hour)
        .subquery()
    )
    stored = session.execute(
        select(per_hour.c.tenant_id, func.sum(per_hour.c.value), func.count(), func.max(per_hour.c.value))
        .where(per_hour.c.meter == Meter.STORED_BYTES.value)
        .group_by(per_hour.c.tenant_id)
    )
    for tenant_id, byte_hours, sampled, maximum in stored:
        usage = usage_of(tenant_id)
        usage.stored_byte_hours, usage.sampled_hours, usage.max_stored_bytes = int(byte_hours), sampled, int(maximum)

    last_hour = (
        select(per_hour.c.tenant_id, per_hour.c.meter, func.max(per_hour.c.hour).label("hour"))
        .where(per_hour.c.meter.in_([Meter.ZAKEN.value, Meter.DOCUMENTEN.value]))
        .group_by(per_hour.c.tenant_id, per_hour.c.meter)
        .subquery()
    )
    latest = session.execute(
        select(per_hour.c.tenant_id, per_hour.c.meter, per_hour.c.value).join(
            last_hour,
            and_(
                last_hour.c.tenant_id == per_hour.c.tenant_id,
                last_hour.c.meter == per_hour.c.meter,
                last_hour.c.hour == per_hour.c.hour,
            ),
        )
    )
    for tenant_id, meter, value in latest:
        setattr(usage_of(tenant_id), str(meter), int(value))

    # A client counts when its marks of some hour sum to more than zero (a correction can take one back).
    marks = (
        select(E.tenant_id, E.client_id)
        .where(*where, E.meter == Meter.ACTIVE_CLIENT.value)
        .group_by(E.tenant_id, E.client_id, E.hour)
        .having(func.sum(E.quantity) > 0)
        .subquery()
    )
    for tenant_id, client_id in session.execute(select(marks.c.tenant_id, marks.c.client_id).distinct()):
        usage_of(tenant_id).active_clients.add(client_id)
    return usages


def period_usage(session: Session, tenant_id: uuid.UUID, start: datetime, end: datetime) -> PeriodUsage:
    """What one tenant used in ``[start, end)``, corrections included (see ``PeriodUsage``)."""
    return fleet_usage(session, start, end, [tenant_id])[tenant_id]


# --- drill-down ---------------------------------------------------------------------------------------------


def entries_query(
    tenant_id: uuid.UUID,
    start: datetime,
    end: datetime,
    *,
    meter: Meter | None = None,
    kind: EntryKind | None = None,
) -> Select[UsageEntry]:
    """The ledger entries behind a tenant's period (hour, then recording order)."""
    statement = select(UsageEntry).where(UsageEntry.tenant_id == tenant_id, *_in_period(start, end, None))
    if meter is not None:
        statement = statement.where(UsageEntry.meter == meter.value)
    if kind is not None:
        statement = statement.where(UsageEntry.kind == kind.value)
    return statement.order_by(UsageEntry.hour, UsageEntry.id)


def period_entries(
    session: Session,
    tenant_id: uuid.UUID,
    start: datetime,
    end: datetime,
    *,
    meter: Meter | None = None,
    kind: EntryKind | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> tuple[int, list[UsageEntry]]:
    """How many entries lie behind a tenant's period, and (a page of) them."""
    statement = entries_query(tenant_id, start, end, meter=meter, kind=kind)
    total = session.scalar(select(func.count()).select_from(statement.order_by(None).subquery())) or 0
    return total, list(session.scalars(statement.limit(limit).offset(offset)))


def check_period(start: datetime, end: datetime) -> None:
    problems = []
    if start.tzinfo is None:
        problems.append(InvalidParam("start", "invalid", "Geef een tijdstip met tijdzone (bijv. 2026-11-01T00:00Z)."))
    if end.tzinfo is None:
        problems.append(InvalidParam("end", "invalid", "Geef een tijdstip met tijdzone (bijv. 2026-12-01T00:00Z)."))
    if not problems and end <= start:
        problems.append(InvalidParam("end", "invalid", "Het einde ligt na het begin."))
    if not problems and end - start > timedelta(days=3660):
        problems.append(InvalidParam("end", "max_value", "Een periode is hooguit tien jaar."))
    if problems:
        raise validation_problem(problems)


# --- corrections --------------------------------------------------------------------------------------------


def record_correction(
    session: Session,
    actor: Actor,
    tenant_id: uuid.UUID,
    *,
    corrects_event_id: uuid.UUID,
    quantity: int,
    reason: str,
    event_id: uuid.UUID | None = None,
) -> tuple[UsageEntry, bool]:
    """Append a compensating entry for ``corrects_event_id`` (signed ``quantity``); returns it and whether it was
    new. Never changes an entry. The corrected entry plus its corrections may not drop below 0 (nor rise above 1
    for an active-client mark). Repeating a request with the same ``event_id`` returns the first correction."""
    if event_id is not None:
        existing = session.scalar(select(UsageEntry).where(UsageEntry.event_id == event_id))
        if existing is not None:
            same = (
                existing.kind == EntryKind.CORRECTION.value
                and existing.tenant_id == tenant_id
                and existing.corrects_event_id == corrects_event_id
                and existing.quantity == quantity
            )
            if not same:
                raise Problem(409, "Deze event_id is al gebruikt voor een andere boeking.", code="event_id_in_use")
            return existing, False
    target = session.scalar(
        select(UsageEntry).where(UsageEntry.event_id == corrects_event_id).with_for_update()  # serialises corrections
    )
    if target is None or target.tenant_id != tenant_id:
        raise validation_problem(
            [InvalidParam("corrects_event_id", "does_not_exist", "Deze gemeente heeft geen boeking met dit id.")]
        )
    if target.kind != EntryKind.USAGE.value:
        raise validation_problem(
            [InvalidParam("corrects_event_id", "invalid", "Corrigeer de oorspronkelijke boeking, niet een correctie.")]
        )
    corrected = session.scalar(
        select(func.coalesce(func.sum(UsageEntry.quantity), 0)).where(UsageEntry.corrects_event_id == target.event_id)
    )
    total = target.quantity + int(corrected or 0) + quantity
    if total < 0:
        raise validation_problem(
            [InvalidParam("quantity", "min_value", f"Na correctie zou de boeking negatief zijn ({total}).")]
        )
    if target.meter == Meter.ACTIVE_CLIENT.value and total > 1:
        raise validation_problem([InvalidParam("quantity", "max_value", "Een actieve client telt hooguit 1 keer.")])
    entry = UsageEntry(
        event_id=event_id or uuid.uuid4(),
        tenant_id=tenant_id,
        meter=target.meter,
        component=target.component,
        operation=target.operation,
        client_id=target.client_id,
        hour=target.hour,
        quantity=quantity,
        kind=EntryKind.CORRECTION.value,
        corrects_event_id=target.event_id,
        reason=reason,
        recorded_by=actor.label,
    )
    session.add(entry)
    session.flush()
    audit.record(
        session, actor, "usage.corrected", target_type="usage_entry", target_id=target.event_id, tenant_id=tenant_id,
        after={"event_id": entry.event_id, "quantity": quantity, "total": total, "reason": reason,
               "meter": target.meter, "hour": target.hour},
    )  # fmt: skip
    return entry, True


# --- ingestion ----------------------------------------------------------------------------------------------

_COMPONENTS = frozenset(COMPONENTS)
HOUR_REASON = "Geef het begin van een uur in UTC (minuten en seconden 0, Z)."


def event_problems(index: int, event: UsageEventIn) -> list[InvalidParam]:
    """What is wrong between the fields of one event (its meter decides which fields it has)."""
    problems = []

    def problem(name: str, code: str, reason: str) -> None:
        problems.append(InvalidParam(f"events.{index}.{name}", code, reason))

    calls, client = event.meter is Meter.API_CALLS, event.meter is Meter.ACTIVE_CLIENT
    if calls and event.component not in _COMPONENTS:
        problem("component", "invalid_choice", f"Kies een ZGW-component: {', '.join(COMPONENTS)}.")
    elif not calls and event.component:
        problem("component", "not_allowed", "Alleen api_calls heeft een component.")
    if calls and not event.operation:
        problem("operation", "required", "api_calls heeft een operation (read of write).")
    elif not calls and event.operation:
        problem("operation", "not_allowed", "Alleen api_calls heeft een operation.")
    if client and not event.client_id:
        problem("client_id", "required", "active_client heeft een client_id.")
    elif not client and event.client_id:
        problem("client_id", "not_allowed", "Alleen active_client heeft een client_id.")
    if client and event.quantity != 1:
        problem("quantity", "invalid", "active_client heeft altijd quantity 1.")
    elif calls and event.quantity < 1:
        problem("quantity", "min_value", "api_calls telt minstens 1 aanroep.")
    return problems


@dataclass(frozen=True)
class IngestResult:
    accepted: int
    duplicates: int


def runtime_account(session: Session, actor: Actor) -> RuntimeAccount:
    """The runtime service account behind an API call, or 403."""
    account = session.get(RuntimeAccount, actor.user_id) if actor.role is Role.RUNTIME and actor.user_id else None
    if account is None:
        raise Problem(403, "Alleen een runtime-serviceaccount mag verbruik aanleveren.", code="permission_denied")
    return account


def _identity(event: UsageEventIn) -> tuple[object, ...]:
    return (event.tenant, event.meter, event.component, event.operation, event.client_id, event.hour, event.quantity)


def ingest(
    session: Session,
    account: RuntimeAccount,
    recorded_by: str,
    events: Sequence[UsageEventIn],
    *,
    now: datetime,
    max_batch: int,
    max_age_days: int,
) -> IngestResult:
    """Add a runtime's events to the ledger: all or nothing, each event id at most once (a re-shipment is
    counted as duplicates). The account may only submit events of tenants it serves."""
    if len(events) > max_batch:
        raise validation_problem([InvalidParam("events", "max_length", f"Hooguit {max_batch} events per aanlevering.")])
    problems: list[InvalidParam] = []
    unique: dict[uuid.UUID, UsageEventIn] = {}
    latest, oldest = hour_of(now), hour_of(now) - timedelta(days=max_age_days)
    for index, event in enumerate(events):
        problems += event_problems(index, event)
        if event.hour.minute or event.hour.second or event.hour.microsecond or event.hour.utcoffset():
            problems.append(InvalidParam(f"events.{index}.hour", "invalid", HOUR_REASON))
        elif event.hour > latest:
            problems.append(InvalidParam(f"events.{index}.hour", "future", "Dit uur is nog niet begonnen."))
        elif event.hour < oldest:
            problems.append(
                InvalidParam(
                    f"events.{index}.hour", "too_old", f"Events ouder dan {max_age_days} dagen worden geweigerd."
                )
            )
        seen = unique.setdefault(event.id, event)
        if seen is not event and _identity(seen) != _identity(event):
            problems.append(
                InvalidParam(f"events.{index}.id", "duplicate", "Dit id staat al met andere inhoud in de aanlevering.")
            )
    if problems:
        raise validation_problem(problems)

    slugs = {event.tenant for event in unique.values()}
    tenants = {
        slug: (tenant_id, tier)
        for tenant_id, slug, tier in session.execute(
            select(Tenant.id, Tenant.slug, Tenant.tier).where(Tenant.slug.in_(slugs))
        )
    }
    refused = sorted(
        slug
        for slug in slugs
        if slug not in tenants
        or (account.tenant_id is None and tenants[slug][1] is not Tier.SHARED)
        or (account.tenant_id is not None and tenants[slug][0] != account.tenant_id)
    )
    if refused:
        raise Problem(
            403,
            f"Deze runtime bedient {', '.join(refused)} niet.",
            code="tenant_not_served",
            invalid_params=[InvalidParam("events.tenant", "tenant_not_served", s) for s in refused],
        )

    recorded_at = now
    rows = [
        {
            "event_id": event.id,
            "tenant_id": tenants[event.tenant][0],
            "meter": event.meter.value,
            "component": event.component,
            "operation": event.operation,
            "client_id": event.client_id,
            "hour": event.hour,
            "quantity": event.quantity,
            "kind": EntryKind.USAGE.value,
            "corrects_event_id": None,
            "reason": "",
            "recorded_by": recorded_by,
            "recorded_at": recorded_at,
        }
        for event in unique.values()
    ]
    inserted, conflicts = _book(session, rows)
    slug_of = {tenant_id: slug for slug, (tenant_id, _) in tenants.items()}
    for conflict in conflicts:  # normally none; e.g. a tenant database restored from a backup re-sends an hour
        log.warning(
            "usage_event_conflict", event_id=str(conflict.event_id), tenant=slug_of.get(conflict.tenant_id),
            stored_quantity=conflict.stored_quantity, sent_quantity=conflict.sent_quantity,
        )  # fmt: skip
    return IngestResult(accepted=len(inserted), duplicates=len(events) - len(inserted))


@dataclass(frozen=True)
class Conflict:
    """A repeated event id whose content differs from the booked one (the ledger keeps the first)."""

    event_id: uuid.UUID
    tenant_id: uuid.UUID
    stored_quantity: int
    sent_quantity: int


INGEST_COLUMNS = ("event_id", "tenant_id", "meter", "component", "operation", "client_id", "hour", "quantity",
                  "kind", "reason", "recorded_by", "recorded_at")  # fmt: skip
INGEST_TYPES = ("uuid", "uuid", "varchar", "varchar", "varchar", "varchar", "timestamptz", "int8", "varchar", "text",
                "varchar", "timestamptz")  # fmt: skip
IDENTITY = ("tenant_id", "meter", "component", "operation", "client_id", "hour", "quantity")
_COLUMN_LIST = ", ".join(INGEST_COLUMNS)  # constants, no input
_STAGING = """
CREATE TEMPORARY TABLE IF NOT EXISTS usage_ingest (
    event_id uuid, tenant_id uuid, meter varchar(20), component varchar(32), operation varchar(8),
    client_id varchar(255), hour timestamptz, quantity bigint, kind varchar(12), reason text,
    recorded_by varchar(254), recorded_at timestamptz
) ON COMMIT DELETE ROWS
"""
_FROM_STAGING = (
    f"INSERT INTO usage_ledger ({_COLUMN_LIST}) SELECT {_COLUMN_LIST} FROM usage_ingest "  # noqa: S608
    "ON CONFLICT (event_id) DO NOTHING RETURNING event_id"
)
_STAGED_CONFLICTS = (
    "SELECT s.event_id, s.tenant_id, l.quantity, s.quantity FROM usage_ingest s "  # noqa: S608
    "JOIN usage_ledger l ON l.event_id = s.event_id "
    f"WHERE ({', '.join('l.' + c for c in IDENTITY)}) IS DISTINCT FROM ({', '.join('s.' + c for c in IDENTITY)})"
)


def _book(session: Session, rows: list[dict[str, Any]]) -> tuple[set[uuid.UUID], list[Conflict]]:
    """INSERT … ON CONFLICT (event_id) DO NOTHING for a whole batch: the ids that were new, and the repeated
    ids whose content differs. On PostgreSQL the rows are COPYed into a temporary table and inserted from there
    in one statement, the comparison runs in the database too (the fast path: tens of thousands of events per
    second); on SQLite an executemany."""
    table = cast(Table, UsageEntry.__table__)
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        statement = sqlite.insert(table).on_conflict_do_nothing(index_elements=["event_id"])
        inserted = set(session.execute(statement.returning(table.c.event_id), rows).scalars())
        repeated = {row["event_id"]: row for row in rows if row["event_id"] not in inserted}
        stored = session.execute(
            select(table.c.event_id, *(table.c[c] for c in IDENTITY)).where(table.c.event_id.in_(list(repeated)))
        )
        differing = [
            Conflict(event, repeated[event]["tenant_id"], values[-1], repeated[event]["quantity"])
            for event, *values in stored
            if [aware(v) if isinstance(v, datetime) else v for v in values] != [repeated[event][c] for c in IDENTITY]
        ]
        return inserted, differing
    if dialect != "postgresql":  # pragma: no cover - we run on PostgreSQL and SQLite only
        raise RuntimeError(f"unsupported database {dialect}")
    connection = session.connection().connection.driver_connection
    assert connection is not None
    with connection.cursor() as cursor:
        cursor.execute(_STAGING)
        cursor.execute("DELETE FROM usage_ingest")  # an earlier batch of the same transaction
        with cursor.copy(f"COPY usage_ingest ({_COLUMN_LIST}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(INGEST_TYPES)  # binary COPY: about three times faster than text for these types
            for row in rows:
                copy.write_row([row[column] for column in INGEST_COLUMNS])
        cursor.execute(_FROM_STAGING)
        inserted = {row[0] for row in cursor.fetchall()}
        conflicts: list[Conflict] = []
        if len(inserted) < len(rows):
            cursor.execute(_STAGED_CONFLICTS)
            conflicts = [Conflict(*row) for row in cursor.fetchall()]
        return inserted, conflicts


# --- runtime service accounts -------------------------------------------------------------------------------


def runtime_email(name: str) -> str:
    return f"runtime-{name}@{RUNTIME_EMAIL_DOMAIN}"


def ensure_runtime_account(session: Session, actor: Actor, name: str, tenant: Tenant | None = None) -> User:
    """The service account ``runtime-<name>`` (created when missing) with its scope: every shared-tier tenant,
    or only ``tenant`` (a dedicated runtime). It has no usable password: it signs in with API tokens only."""
    email = runtime_email(name)
    user = session.scalar(select(User).where(User.email == email))
    if user is None:
        user = User(
            email=email,
            name=f"Runtime {name}",
            password_hash=hash_password(secrets.token_urlsafe(32)),
            role=Role.RUNTIME,
        )
        session.add(user)
        session.flush()
        audit.record(
            session, actor, "user.created", target_type="user", target_id=email,
            after={"email": email, "role": Role.RUNTIME.value, "serves": tenant.slug if tenant else "shared tier"},
        )  # fmt: skip
    if user.role is not Role.RUNTIME:
        raise Problem(409, f"{email} is geen runtime-account.", code="not_a_runtime_account")
    account = session.get(RuntimeAccount, user.id)
    if account is None:
        session.add(RuntimeAccount(user_id=user.id, tenant_id=tenant.id if tenant else None))
        session.flush()
    elif account.tenant_id != (tenant.id if tenant else None):
        raise Problem(409, f"{email} bedient al een andere gemeente of tier.", code="runtime_scope_conflict")
    return user


def issue_runtime_token(
    session: Session,
    actor: Actor,
    user: User,
    token_name: str,
    *,
    replace: bool = False,
    expires_at: datetime | None = None,
) -> str:
    """A new API token for a runtime account (shown once); ``replace`` revokes its earlier tokens of that name."""
    if replace:
        session.execute(
            update(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.name == token_name, ApiToken.revoked_at.is_(None))
            .values(revoked_at=datetime.now(UTC))
        )
    token, plain = create_token(session, user, token_name, expires_at)
    audit.record(
        session, actor, "token.created", target_type="token", target_id=token.id,
        after={"name": token.name, "prefix": token.prefix, "user": user.email},
    )  # fmt: skip
    return plain


def dedicated_runtime_account(session: Session, actor: Actor, secret_key: str, tenant: Tenant) -> User:
    """The runtime account of a dedicated tenant (``runtime-tenant-<slug>``, serving only that tenant) with the
    token its Kubernetes driver puts in the tenant's Secret. Idempotent: every retry registers the same token."""
    user = ensure_runtime_account(session, actor, f"tenant-{tenant.slug}", tenant)
    ensure_token(session, user, "dedicated-runtime", runtime_metering_token(secret_key, tenant.slug))
    return user


def embedded_runtime_token(session: Session, actor: Actor) -> str:
    """The embedded default's shared runtime ships to the control plane in the same process: a fresh token for
    the ``runtime-embedded`` account at every start (the previous one is revoked)."""
    user = ensure_runtime_account(session, actor, EMBEDDED_RUNTIME)
    return issue_runtime_token(session, actor, user, EMBEDDED_RUNTIME, replace=True)


# --- freshness ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StaleTenant:
    slug: str
    last_hour: datetime | None


def latest_hours(session: Session) -> list[tuple[str, datetime | None]]:
    """Every active tenant with the start of its latest metered hour (None: nothing metered yet)."""
    latest = (
        select(UsageEntry.tenant_id, func.max(UsageEntry.hour).label("hour"))
        .where(UsageEntry.kind == EntryKind.USAGE.value)
        .group_by(UsageEntry.tenant_id)
        .subquery()
    )
    rows = session.execute(
        select(Tenant.slug, latest.c.hour)
        .outerjoin(latest, latest.c.tenant_id == Tenant.id)
        .where(Tenant.state == TenantState.ACTIVE)
        .order_by(Tenant.slug)
    )
    return [(slug, aware(hour)) for slug, hour in rows]


def stale_tenants(session: Session, now: datetime, stale_after_hours: int) -> list[StaleTenant]:
    """Active tenants without usage for a closed hour in the last ``stale_after_hours`` hours."""
    cutoff = hour_of(now) - timedelta(hours=stale_after_hours)
    return [StaleTenant(slug, hour) for slug, hour in latest_hours(session) if hour is None or hour < cutoff]
