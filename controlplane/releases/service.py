"""The release catalogue and each tenant's release: describing releases, making them available or withdrawing
them, and pinning tenants. Plain functions of (control plane, session, actor, input)."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from alembic.script import ScriptDirectory
from alembic.script.revision import RevisionError
from alembic.util import CommandError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, object_session

from controlplane.accounts.actors import Actor
from controlplane.audit import service as audit
from controlplane.container import ControlPlane
from controlplane.drivers.interfaces import DEFAULT_POOL, ReleaseSpec
from controlplane.releases.models import Release, ReleaseStatus, TenantRelease, TenantUpgrade
from controlplane.releases.schemas import PinIn, ReleaseCreate, ReleaseOut, ReleaseUpdate, TenantReleaseOut
from controlplane.tenants.models import Tenant, TenantState
from tenant_runtime.core.problems import InvalidParam, Problem, validation_problem
from tenant_runtime.tenants import service as runtime_tenants

AUDITED = ("version", "image", "package_version", "pool", "schema_heads", "migration_paths", "reversible", "status")
# Fields that describe what a release is: fixed once it is available (a campaign may have used it).
DRAFT_ONLY = ("image", "package_version", "pool", "schema_heads", "migration_paths", "reversible")
TRANSITIONS: dict[ReleaseStatus, frozenset[ReleaseStatus]] = {
    ReleaseStatus.DRAFT: frozenset({ReleaseStatus.AVAILABLE, ReleaseStatus.WITHDRAWN}),
    ReleaseStatus.AVAILABLE: frozenset({ReleaseStatus.WITHDRAWN}),
    ReleaseStatus.WITHDRAWN: frozenset({ReleaseStatus.AVAILABLE}),
}


def default_pool(version: str) -> str:
    return "shared-" + re.sub(r"[^a-z0-9]+", "-", version.lower()).strip("-")[:55]


# --- the release shipped with this control plane ----------------------------------------------------
def package_release(cp: ControlPlane, session: Session) -> Release:
    """The release of the installed package (what provisioning creates tenants on), created on first use."""
    version = cp.driver.runtime_version()
    release = session.scalar(select(Release).where(Release.version == version))
    if release is not None:
        return release
    release = Release(
        version=version,
        image=f"{cp.settings.release_image_repository}:{version}",
        package_version=version,
        pool=DEFAULT_POOL,
        schema_heads=sorted(runtime_tenants.schema_heads()),
        migration_paths=[],
        reversible=True,
        notes="Meegeleverd met dit control plane: nieuwe gemeenten starten op deze release.",
        status=ReleaseStatus.AVAILABLE,
        created_by="system",
        available_at=cp.clock.now(),
    )
    try:
        with session.begin_nested():
            session.add(release)
    except IntegrityError:  # created at the same moment by another process
        found = session.scalar(select(Release).where(Release.version == version))
        assert found is not None
        return found
    return release


def release_spec_of(tenant: Tenant) -> ReleaseSpec | None:
    """The release a driver must serve the tenant with; None: the package's release (the drivers' default)."""
    session = object_session(tenant)
    if session is None:
        return None
    row = session.get(TenantRelease, tenant.id)
    return row.release.spec() if row is not None else None


def current_release(cp: ControlPlane, session: Session, tenant: Tenant) -> Release:
    row = session.get(TenantRelease, tenant.id)
    return row.release if row is not None else package_release(cp, session)


def tenant_release_row(cp: ControlPlane, session: Session, tenant: Tenant) -> TenantRelease:
    row = session.get(TenantRelease, tenant.id)
    if row is None:
        row = TenantRelease(tenant_id=tenant.id, release_id=package_release(cp, session).id)
        session.add(row)
        session.flush()
        session.refresh(row)
    return row


# --- the catalogue ------------------------------------------------------------------------------------
def get_release(session: Session, version: str) -> Release:
    release = session.scalar(select(Release).where(Release.version == version))
    if release is None:
        raise Problem(404, f"Release {version} bestaat niet.", code="not_found")
    return release


def tenant_counts(cp: ControlPlane, session: Session) -> dict[uuid.UUID, int]:
    """Live tenants per release (tenants without a release row count for the package's release)."""
    live = select(Tenant.id).where(Tenant.state != TenantState.DELETED)
    rows = session.execute(
        select(TenantRelease.release_id, func.count())
        .where(TenantRelease.tenant_id.in_(live))
        .group_by(TenantRelease.release_id)
    )
    counts: dict[uuid.UUID, int] = {row[0]: int(row[1]) for row in rows}
    unassigned = session.scalar(
        select(func.count())
        .select_from(Tenant)
        .where(Tenant.state != TenantState.DELETED, Tenant.id.not_in(select(TenantRelease.tenant_id)))
    )
    if unassigned:
        package = package_release(cp, session).id
        counts[package] = counts.get(package, 0) + int(unassigned)
    return counts


def to_out(release: Release, tenants: int) -> ReleaseOut:
    return ReleaseOut(
        id=release.id,
        version=release.version,
        image=release.image,
        package_version=release.package_version,
        pool=release.pool,
        schema_heads=list(release.schema_heads or []),
        migration_paths=list(release.migration_paths or []),
        reversible=release.reversible,
        notes=release.notes,
        status=release.status,
        tenants=tenants,
        created_by=release.created_by,
        created_at=release.created_at,
        available_at=release.available_at,
    )


def list_releases(cp: ControlPlane, session: Session, status: ReleaseStatus | None = None) -> list[ReleaseOut]:
    package_release(cp, session)
    counts = tenant_counts(cp, session)
    statement = select(Release).order_by(Release.created_at.desc(), Release.version.desc())
    if status is not None:
        statement = statement.where(Release.status == status)
    return [to_out(r, counts.get(r.id, 0)) for r in session.scalars(statement)]


def _check_schema(
    heads: list[str] | None, paths: list[str], problems: list[InvalidParam], *, base: str = ""
) -> list[str]:
    """Validate the migration directories and heads; returns the heads (default: every head they define)."""
    locations: list[Path] = []
    for index, raw in enumerate(paths):
        path = Path(raw)
        if not path.is_absolute() or not path.is_dir():
            problems.append(
                InvalidParam(f"{base}migration_paths.{index}", "does-not-exist",
                             f"'{raw}' is geen bestaande map (absoluut pad) op het control plane.")
            )  # fmt: skip
        else:
            locations.append(path)
    if len(locations) != len(paths):
        return heads or []
    try:
        known = runtime_tenants.schema_heads(locations)
    except Exception as exc:  # an unreadable migration script
        problems.append(InvalidParam(f"{base}migration_paths", "invalid-migrations", f"{type(exc).__name__}: {exc}"))
        return heads or []
    if heads is None:
        return sorted(known)
    script = ScriptDirectory.from_config(runtime_tenants.tenant_alembic_config("sqlite://", locations))
    for index, head in enumerate(heads):
        try:
            script.get_revision(head)
        except (RevisionError, CommandError):
            problems.append(
                InvalidParam(f"{base}schema_heads.{index}", "unknown-revision",
                             f"Revisie '{head}' komt niet voor in de migraties van het pakket of migration_paths.")
            )  # fmt: skip
    return sorted(set(heads))


def create_release(cp: ControlPlane, session: Session, actor: Actor, data: ReleaseCreate) -> Release:
    package_release(cp, session)
    problems: list[InvalidParam] = []
    if session.scalar(select(Release.id).where(Release.version == data.version)) is not None:
        problems.append(InvalidParam("version", "unique", f"Release {data.version} bestaat al."))
    pool = data.pool or default_pool(data.version)
    if session.scalar(select(Release.id).where(Release.pool == pool)) is not None:
        problems.append(InvalidParam("pool", "unique", f"Pool '{pool}' hoort al bij een andere release."))
    heads = _check_schema(data.schema_heads, data.migration_paths, problems)
    if problems:
        raise validation_problem(problems)
    release = Release(
        version=data.version,
        image=data.image or f"{cp.settings.release_image_repository}:{data.version}",
        package_version=data.package_version or data.version,
        pool=pool,
        schema_heads=heads,
        migration_paths=list(data.migration_paths),
        reversible=data.reversible,
        notes=data.notes,
        status=data.status,
        created_by=actor.label,
        available_at=cp.clock.now() if data.status is ReleaseStatus.AVAILABLE else None,
    )
    session.add(release)
    session.flush()
    audit.record(
        session, actor, "release.created", target_type="release", target_id=release.version,
        after=audit.snapshot(release, AUDITED),
    )  # fmt: skip
    return release


def update_release(cp: ControlPlane, session: Session, actor: Actor, release: Release, data: ReleaseUpdate) -> Release:
    fields = data.model_fields_set
    problems: list[InvalidParam] = []
    if release.status is not ReleaseStatus.DRAFT:
        for name in sorted(fields & set(DRAFT_ONLY)):
            problems.append(
                InvalidParam(name, "not-editable", f"Alleen een concept-release kan '{name}' nog wijzigen.")
            )
    if data.status is not None and data.status is not release.status:
        if data.status not in TRANSITIONS[release.status]:
            problems.append(
                InvalidParam("status", "invalid-transition",
                             f"Van '{release.status.value}' naar '{data.status.value}' kan niet.")
            )  # fmt: skip
        if data.status is ReleaseStatus.WITHDRAWN and release.version == cp.driver.runtime_version():
            problems.append(
                InvalidParam(
                    "status", "package-release", "De release van dit control plane kan niet worden ingetrokken."
                )
            )
    if (
        "pool" in fields
        and data.pool
        and data.pool != release.pool
        and session.scalar(select(Release.id).where(Release.pool == data.pool)) is not None
    ):
        problems.append(InvalidParam("pool", "unique", f"Pool '{data.pool}' hoort al bij een andere release."))
    heads: list[str] | None = None
    if fields & {"schema_heads", "migration_paths"} and not problems:
        paths = data.migration_paths if data.migration_paths is not None else list(release.migration_paths)
        wanted = data.schema_heads if "schema_heads" in fields else None
        heads = _check_schema(wanted, paths, problems)
    if problems:
        raise validation_problem(problems)
    before = audit.snapshot(release, AUDITED)
    for name in ("notes", "image", "package_version", "pool", "migration_paths", "reversible"):
        value = getattr(data, name)
        if name in fields and value is not None:
            setattr(release, name, value)
    if heads is not None:
        release.schema_heads = heads
    if data.status is not None and data.status is not release.status:
        release.status = data.status
        if data.status is ReleaseStatus.AVAILABLE:
            release.available_at = cp.clock.now()
    session.flush()
    audit.record(
        session, actor, "release.updated", target_type="release", target_id=release.version, before=before,
        after=audit.snapshot(release, AUDITED),
    )  # fmt: skip
    return release


# --- a tenant's release and pin -----------------------------------------------------------------------
def pinning_allowed(cp: ControlPlane, tenant: Tenant) -> bool:
    return tenant.plan.code in cp.settings.release_pinning_plans


def tenant_release_out(cp: ControlPlane, session: Session, tenant: Tenant) -> TenantReleaseOut:
    row = session.get(TenantRelease, tenant.id)
    current = row.release if row is not None else package_release(cp, session)
    available = session.scalars(
        select(Release.version).where(Release.status == ReleaseStatus.AVAILABLE).order_by(Release.created_at)
    )
    return TenantReleaseOut(
        tenant_id=tenant.id,
        slug=tenant.slug,
        version=current.version,
        pool=current.pool,
        previous_version=row.previous_release.version if row is not None and row.previous_release else None,
        pinned_version=row.pinned_release.version if row is not None and row.pinned_release else None,
        pinned_by=row.pinned_by if row is not None else "",
        pin_reason=row.pin_reason if row is not None else "",
        pinned_at=row.pinned_at if row is not None else None,
        pinning_allowed=pinning_allowed(cp, tenant),
        available_versions=list(available),
    )


def _may_pin(cp: ControlPlane, actor: Actor, tenant: Tenant) -> None:
    if actor.is_operator:
        return
    if not actor.may_manage_tenant(tenant.id):
        raise Problem(403, "Uw rol mag de versie van deze gemeente niet vastzetten.", code="permission_denied")
    if not pinning_allowed(cp, tenant):
        raise Problem(
            403,
            f"Het plan '{tenant.plan.code}' staat niet toe zelf een versie vast te zetten.",
            code="plan-forbids-pin",
        )


def pin(cp: ControlPlane, session: Session, actor: Actor, tenant: Tenant, data: PinIn) -> TenantRelease:
    """Keep the tenant on a release: campaigns to any other version skip it."""
    _may_pin(cp, actor, tenant)
    if tenant.state is TenantState.DELETED:
        raise Problem(409, "Deze gemeente is verwijderd.", code="tenant-gone")
    release = session.scalar(select(Release).where(Release.version == data.version))
    if release is None:
        raise validation_problem([InvalidParam("version", "does_not_exist", f"Release {data.version} bestaat niet.")])
    row = tenant_release_row(cp, session, tenant)
    if release.status is not ReleaseStatus.AVAILABLE and release.id != row.release_id:
        raise validation_problem(
            [InvalidParam("version", "not-available", f"Release {data.version} is niet beschikbaar.")]
        )
    before = {"pinned": row.pinned_release.version if row.pinned_release else None}
    row.pinned_release_id = release.id
    row.pinned_by = actor.label
    row.pin_reason = data.reason
    row.pinned_at = cp.clock.now()
    session.flush()
    session.refresh(row)
    audit.record(
        session, actor, "tenant.release_pinned", target_type="tenant", target_id=tenant.slug, tenant_id=tenant.id,
        before=before, after={"pinned": release.version, "reason": data.reason},
    )  # fmt: skip
    return row


def unpin(cp: ControlPlane, session: Session, actor: Actor, tenant: Tenant) -> None:
    _may_pin(cp, actor, tenant)
    row = session.get(TenantRelease, tenant.id)
    if row is None or row.pinned_release_id is None:
        return
    before = {"pinned": row.pinned_release.version if row.pinned_release else None}
    row.pinned_release_id = None
    row.pinned_by = ""
    row.pin_reason = ""
    row.pinned_at = None
    audit.record(
        session, actor, "tenant.release_unpinned", target_type="tenant", target_id=tenant.slug, tenant_id=tenant.id,
        before=before, after={"pinned": None},
    )  # fmt: skip


def upgrades_of(session: Session, tenant: Tenant, limit: int = 100) -> list[TenantUpgrade]:
    return list(
        session.scalars(
            select(TenantUpgrade)
            .where(TenantUpgrade.tenant_id == tenant.id)
            .order_by(TenantUpgrade.started_at.desc().nulls_last(), TenantUpgrade.updated_at.desc())
            .limit(limit)
        )
    )
