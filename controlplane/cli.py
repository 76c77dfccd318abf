"""The ``zgwcloud`` command line."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from controlplane import cli_api
from controlplane.billing import cli as billing_cli
from controlplane.config import Settings, get_settings
from tenant_runtime import cli as runtime_cli
from tenant_runtime.db.migrate import alembic_config, upgrade
from tenant_runtime.logging import configure_logging

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def migrate_controlplane(settings: Settings) -> None:
    upgrade(alembic_config(MIGRATIONS, settings.database_url))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="zgwcloud", description="zgw-cloud: ZGW registries for every municipality")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="Migrate the control-plane database and the runtime registry.")
    commands.add_parser("demo", help="Migrate and seed the demo (operator, finance, two municipalities).")
    dev = commands.add_parser("dev", help="Run the embedded default: control plane + shared runtime, one process.")
    dev.add_argument("--host", default="127.0.0.1")
    dev.add_argument("--port", type=int, default=8000, help="Control plane port (runtime: port + 1).")
    dev.add_argument("--no-demo", action="store_true", help="Do not seed the demo data.")
    token = commands.add_parser("create-token", help="Create an API token for a user (local database access).")
    token.add_argument("--email", required=True)
    token.add_argument("--name", default="cli")
    runtime_token = commands.add_parser(
        "runtime-token",
        help="Create a runtime service account (when missing) and print an API token with which that runtime "
        "ships usage (ZGW_RUNTIME_METERING_TOKEN).",
    )
    runtime_token.add_argument("--name", default="shared", help="Account name, e.g. the runtime pool (shared-v1).")
    runtime_token.add_argument(
        "--tenant", default="", help="Slug of the one tenant a dedicated runtime serves (default: the shared tier)."
    )
    admin_token = commands.add_parser(
        "runtime-admin-token",
        help="Print the shared runtime's admin token (ZGW_RUNTIME_ADMIN_TOKEN of its /beheer endpoints, as the control "
        "plane uses it: configured or derived from ZGW_SECRET_KEY), for the runtime's Secret.",
    )
    admin_token.add_argument("--tenant", default="", help="A dedicated tenant's slug: its own runtime's token.")
    billing_cli.register(commands)
    cli_api.register(commands)
    runtime_cli.register(commands)
    return parser


def _dev_urls(host: str, port: int) -> None:
    """``zgwcloud dev --port N``: unless configured, the public URLs follow the ports, for this process and for the
    in-process worker (which reads the environment), so the verification calls of its jobs reach the runtime."""
    local = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104 - a wildcard bind is reached locally
    os.environ.setdefault("ZGW_PUBLIC_URL", f"http://{local}:{port}")
    os.environ.setdefault("ZGW_RUNTIME_PUBLIC_URL", f"http://{local}:{port + 1}")
    get_settings.cache_clear()


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "runtime":  # a runtime pod has only ZGW_RUNTIME_* settings, no control-plane secrets
        return runtime_cli.run(args)
    if args.command in cli_api.COMMANDS:  # an API client: needs a URL and a token, no control-plane secrets
        default_url = os.environ.get("ZGW_PUBLIC_URL") or str(Settings.model_fields["public_url"].default)
        return cli_api.main(args, default_url)
    if args.command == "dev":
        _dev_urls(args.host, args.port)
    settings = Settings()
    configure_logging(settings.log_level, settings.log_json)
    if args.command == "migrate":
        migrate_controlplane(settings)
        from tenant_runtime.tenants.service import migrate_registry

        migrate_registry(settings.runtime_registry_url)
        print("control plane and runtime registry migrated")
        return 0
    if args.command == "demo":
        _seed(settings)
        return 0
    if args.command == "dev":
        from controlplane.devserver import run_dev

        return run_dev(settings, host=args.host, port=args.port, demo=not args.no_demo)
    if args.command == "billing":
        return billing_cli.run(args, settings)
    if args.command == "create-token":
        return _create_token(settings, args.email, args.name)
    if args.command == "runtime-token":
        from controlplane.usage.cli import runtime_token

        return runtime_token(settings, args.name, args.tenant)
    if args.command == "runtime-admin-token":
        from controlplane.accounts.tokens import runtime_admin_token, shared_runtime_admin_token

        print(
            runtime_admin_token(settings.secret_key, args.tenant)
            if args.tenant
            else shared_runtime_admin_token(settings)
        )
        return 0
    return 2


def _create_token(settings: Settings, email: str, name: str) -> int:
    from sqlalchemy import func, select

    from controlplane.accounts.actors import Actor
    from controlplane.accounts.models import User
    from controlplane.accounts.schemas import TokenCreate
    from controlplane.accounts.service import issue_token
    from controlplane.db import make_engine, make_session_factory, unit_of_work

    engine = make_engine(settings.database_url)
    try:
        with unit_of_work(make_session_factory(engine)) as session:
            user = session.scalar(select(User).where(func.lower(User.email) == email.lower()))
            if user is None:
                print(f"error: no user {email}", file=sys.stderr)
                return 1
            _, plain = issue_token(session, Actor.for_user(user, "cli"), user, TokenCreate(name=name))
    finally:
        engine.dispose()
    print(plain)
    return 0


def _seed(settings: Settings) -> list[object]:
    from controlplane.db import make_engine, make_session_factory, unit_of_work
    from controlplane.demo import seed_demo

    migrate_controlplane(settings)
    engine = make_engine(settings.database_url)
    try:
        with unit_of_work(make_session_factory(engine)) as session:
            return list(seed_demo(session, settings))
    finally:
        engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
