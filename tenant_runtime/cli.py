"""``zgwcloud runtime ...``: operate the tenant runtime's registry and tenant databases directly."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sqlalchemy.orm import Session

from tenant_runtime.autorisaties import admin
from tenant_runtime.config import RuntimeSettings
from tenant_runtime.container import Runtime, build_runtime
from tenant_runtime.core.auth import JWT_MAX_AGE_SECONDS
from tenant_runtime.logging import configure_logging
from tenant_runtime.registry.models import TenantStatus
from tenant_runtime.registry.repository import TenantInfo
from tenant_runtime.tenants import service

# Where ``zgwcloud dev`` serves the shared runtime; the base of the printed URLs when ZGW_RUNTIME_PUBLIC_URL is unset.
EMBEDDED_RUNTIME_URL = "http://127.0.0.1:8001"


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    runtime = subparsers.add_parser("runtime", help="Operate the tenant runtime directly (registry, tenants).")
    commands = runtime.add_subparsers(dest="runtime_command", required=True)

    migrate = commands.add_parser(
        "migrate",
        help="Migrate the registry and the registered tenant databases: every tenant, the pinned tenant "
        "(ZGW_RUNTIME_PINNED_TENANT, dedicated tier) or the tenants of one pool (--pool, shared tier).",
    )
    migrate.add_argument("--pool", default="", help="Only the tenants this runtime pool serves (e.g. shared-v1).")
    migrate.add_argument("--tenant", default="", help="Only this tenant (an upgrade campaign's migration step).")
    migrate.add_argument(
        "--heads",
        default="",
        help="Comma-separated tenant-schema revisions to bring the databases to exactly (upgrade or downgrade: a "
        "release's heads). Default: every head this package defines (upgrade only).",
    )
    migrate.add_argument(
        "--migrations-dir",
        action="append",
        default=[],
        type=Path,
        help="An extra alembic version directory a release brings (repeatable).",
    )

    create = commands.add_parser("create-tenant", help="Create (or update) a tenant: database, migrations, registry.")
    create.add_argument("slug")
    create.add_argument("--name", required=True)
    create.add_argument("--database-url", default="", help="Default: a SQLite file in the runtime data dir.")

    commands.add_parser("list-tenants", help="List registered tenants.")

    application = commands.add_parser(
        "create-application", help="Create an API client with all autorisaties and print its credentials and a JWT."
    )
    application.add_argument("slug")
    application.add_argument("client_id")
    application.add_argument("--label", default="")

    status = commands.add_parser("set-status", help="Activate, suspend or put a tenant in maintenance.")
    status.add_argument("slug")
    status.add_argument("status", choices=[s.value for s in TenantStatus])


def run(args: argparse.Namespace) -> int:
    settings = RuntimeSettings()
    configure_logging(settings.log_level, settings.log_json)
    service.migrate_registry(settings.registry_url)
    runtime = build_runtime(settings)
    try:
        if args.runtime_command == "migrate":
            tenants = _tenants_to_migrate(runtime, settings, args.pool)
            if args.tenant:
                tenants = [t for t in tenants if t.slug == args.tenant]
            wanted = settings.pinned_tenant or args.tenant
            if wanted and not tenants:
                print(f"tenant {wanted} is not registered", file=sys.stderr)
                return 1
            heads = [h.strip() for h in args.heads.split(",") if h.strip()]
            if not heads and args.migrations_dir:
                heads = sorted(service.schema_heads(args.migrations_dir))
            for tenant in tenants:
                if heads:
                    reached = service.migrate_tenant_to(tenant.database_url, heads, args.migrations_dir)
                    print(f"migrated {tenant.slug} to {','.join(sorted(reached))}")
                else:
                    service.migrate_tenant_database(tenant.database_url)
                    print(f"migrated {tenant.slug}")
        elif args.runtime_command == "create-tenant":
            url = args.database_url or service.sqlite_tenant_url(settings.data_dir, args.slug)
            info = service.create_tenant(runtime.registry, slug=args.slug, name=args.name, database_url=url)
            hosted = f"{info.slug}.{settings.base_domain}"
            print(f"tenant {info.slug} ready: {tenant_base_url(settings, info.slug)}/ (or by host name {hosted})")
        elif args.runtime_command == "create-application":
            return _create_application(runtime, settings, args)
        elif args.runtime_command == "list-tenants":
            for tenant in runtime.registry.list():
                print(f"{tenant.slug}\t{tenant.status.value}\t{tenant.pool}\t{tenant.name}")
        elif args.runtime_command == "set-status" and (
            runtime.registry.set_status(args.slug, TenantStatus(args.status)) is None
        ):
            print(f"unknown tenant {args.slug}", file=sys.stderr)
            return 1
    finally:
        runtime.close()
    return 0


def _tenants_to_migrate(runtime: Runtime, settings: RuntimeSettings, pool: str) -> list[TenantInfo]:
    """A pool's release must not migrate the databases another pool (an older runtime version) still serves."""
    tenants = runtime.registry.list()
    if settings.pinned_tenant:
        return [t for t in tenants if t.slug == settings.pinned_tenant]
    return [t for t in tenants if t.pool == pool] if pool else tenants


def tenant_base_url(settings: RuntimeSettings, slug: str) -> str:
    """Where this runtime serves a tenant's APIs: its public URL (the embedded default's address when unset), with
    the ``/t/<slug>`` prefix unless this process is dedicated to that tenant."""
    root = (settings.public_url or EMBEDDED_RUNTIME_URL).rstrip("/")
    return root if settings.pinned_tenant == slug else f"{root}/t/{slug}"


def _create_application(runtime: Runtime, settings: RuntimeSettings, args: argparse.Namespace) -> int:
    tenant = runtime.registry.get(args.slug)
    if tenant is None:
        print(f"unknown tenant {args.slug}", file=sys.stderr)
        return 1
    secret = admin.generate_secret()
    with Session(runtime.engines.get(tenant.database_url)) as session, session.begin():
        admin.upsert_application(
            session,
            admin.ApplicationSpec(
                client_id=args.client_id, label=args.label or args.client_id, heeft_alle_autorisaties=True
            ),
        )
        admin.add_credential(session, args.client_id, secret)
    token = admin.make_jwt(args.client_id, secret, user_id="cli", user_representation="zgwcloud CLI")
    base = tenant_base_url(settings, tenant.slug)
    print(f"client_id: {args.client_id}\nsecret:    {secret}")
    print(f"JWT:       {token}")
    hours = JWT_MAX_AGE_SECONDS // 3600
    print(f"           (valid {hours} hours; sign new ones with the secret: HS256, claims client_id, iss, iat)")
    print(f"API base:  {base}")
    print(f"try:       curl -H 'Authorization: Bearer {token}' -H 'Accept-Crs: EPSG:4326' {base}/zaken/api/v1/zaken")
    return 0
