"""Command 1 of the README: `zgwcloud dev` starts both apps on the embedded default and they answer."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.fixtures.processes import free_port


def test_dev_command_serves_both_apps(tmp_path: Path) -> None:
    port = free_port()
    while not _free(port + 1):
        port = free_port()
    env = {
        **os.environ,
        "ZGW_DATA_DIR": str(tmp_path / "cp"),
        "ZGW_RUNTIME_DATA_DIR": str(tmp_path / "rt"),
    }
    for name in ("ZGW_CELERY_BROKER_URL", "ZGW_PUBLIC_URL", "ZGW_RUNTIME_PUBLIC_URL"):
        env.pop(name, None)
    process = subprocess.Popen(
        [sys.executable, "-m", "controlplane.cli", "dev", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                cp = httpx.get(f"http://127.0.0.1:{port}/healthz")
                rt = httpx.get(f"http://127.0.0.1:{port + 1}/healthz")
                if cp.status_code == rt.status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.3)
        else:
            raise AssertionError("zgwcloud dev did not come up")
        tenant = httpx.get(f"http://127.0.0.1:{port + 1}/t/utrecht/unknown-path")
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as browser:  # keeps the session cookie
            form = browser.get("/login").text
            csrf = form.split('name="csrf_token" value="')[1].split('"')[0]
            login = browser.post(
                "/login",
                data={"email": "operator@zgw-cloud.local", "password": "zgw-demo-2026", "csrf_token": csrf},
            )
            fleet = browser.get("/fleet")
            # The control plane reads the shared runtime's delivery log with the admin token the command gave it.
            utrecht = next(t for t in browser.get("/api/v1/tenants").json()["results"] if t["slug"] == "utrecht")
            deliveries = browser.get(f"/api/v1/tenants/{utrecht['id']}/notifications/deliveries")
            notifications_page = browser.get(f"/tenants/{utrecht['id']}/notifications")
        assert tenant.status_code == 404  # routed to the demo tenant (no such API path), not "unknown tenant"
        assert "tenant_not_found" not in tenant.text
        assert login.status_code == 303
        assert "Gemeente Utrecht" in fleet.text and "Gemeente Groningen" in fleet.text
        assert f"http://127.0.0.1:{port + 1}/t/utrecht" in fleet.text  # the URLs follow --port
        assert deliveries.status_code == 200, deliveries.text
        assert notifications_page.status_code == 200 and "Dead letters" in notifications_page.text
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=30)
    assert f"http://127.0.0.1:{port}/" in output
    assert "operator@zgw-cloud.local" in output


def _free(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0
