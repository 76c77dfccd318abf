"""The ``zgwcloud`` command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from controlplane.config import Settings
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
    runtime_cli.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "runtime":  # a runtime pod has only ZGW_RUNTIME_* settings, no control-plane secrets
        return runtime_cli.run(args)
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
    return 2


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
