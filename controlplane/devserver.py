"""The embedded default in one process: control plane, shared tenant runtime and an in-process worker."""

from __future__ import annotations

import asyncio

import uvicorn

from controlplane.accounts.tokens import shared_runtime_admin_token
from controlplane.config import Settings
from controlplane.demo import DEMO_LOGINS, DEMO_MUNICIPALITIES, runtime_settings_for
from controlplane.main import create_app as create_controlplane
from controlplane.usage.cli import embedded_runtime_token
from tenant_runtime.config import RuntimeSettings
from tenant_runtime.main import create_app as create_runtime
from tenant_runtime.tenants.service import migrate_registry


def banner(host: str, port: int, demo: bool) -> str:
    cp_url, rt_url = f"http://{host}:{port}", f"http://{host}:{port + 1}"
    lines = [
        "",
        "zgw-cloud is running (embedded default: SQLite, local driver, in-process tasks)",
        f"  Control plane (operator console, municipality portal, finance):  {cp_url}/",
        f"  Control plane API docs:                                          {cp_url}/api/v1/docs",
        f"  Shared tenant runtime (ZGW APIs):                                {rt_url}/t/<gemeente>/",
        f"  Health:  {cp_url}/healthz   {rt_url}/healthz",
    ]
    if demo:
        lines.append("  Demo logins:")
        lines += [f"    {d.role.value:<20} {d.email:<28} {d.password}" for d in DEMO_LOGINS]
        lines.append(
            "  Demo municipalities: "
            + ", ".join(f"{name} → {rt_url}/t/{slug}/" for slug, name, *_ in DEMO_MUNICIPALITIES)
        )
    lines.append("  Stop with Ctrl-C.")
    return "\n".join(lines)


async def _serve(settings: Settings, runtime_settings: RuntimeSettings, host: str, port: int) -> None:
    servers = [
        uvicorn.Server(uvicorn.Config(create_controlplane(settings), host=host, port=port, log_config=None)),
        # X-Forwarded-* are the runtime's to check against the peer (ZGW_RUNTIME_FORWARDED_ALLOW_IPS).
        uvicorn.Server(
            uvicorn.Config(
                create_runtime(runtime_settings), host=host, port=port + 1, log_config=None, proxy_headers=False
            )
        ),
    ]
    await asyncio.gather(*(server.serve() for server in servers))


def run_dev(settings: Settings, *, host: str, port: int, demo: bool) -> int:
    from controlplane.celery_app import start_embedded_beat, start_embedded_worker
    from controlplane.cli import _seed, migrate_controlplane

    migrate_controlplane(settings)
    migrate_registry(runtime_settings_for(settings).registry_url)
    if demo:
        _seed(settings)
    if settings.tasks_in_process:
        start_embedded_worker()
        start_embedded_beat()  # reconcile and purge-after-retention, as the beat process would
    # The runtime ships its usage to this control plane over HTTP with a token of its own service account.
    local = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104 - a wildcard bind is reached locally
    runtime_settings = runtime_settings_for(settings).model_copy(
        update={
            "metering_controlplane_url": f"http://{local}:{port}",
            "metering_token": embedded_runtime_token(settings),
            # The delivery log and resends of the control plane (controlplane.notifications) call /beheer with it.
            "admin_token": shared_runtime_admin_token(settings),
        }
    )
    print(banner(host, port, demo), flush=True)
    asyncio.run(_serve(settings, runtime_settings, host, port))
    return 0
