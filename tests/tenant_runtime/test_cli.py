"""``zgwcloud runtime ...`` end to end: the newcomer's path of the README (create a tenant, create an application,
run the printed curl command) against a live runtime, on PostgreSQL and on the SQLite embedded default; suspending
the tenant with ``set-status`` closes its API."""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import httpx
import pytest

from controlplane.cli import main
from tenant_runtime.cli import EMBEDDED_RUNTIME_URL
from tenant_runtime.config import RuntimeSettings
from tenant_runtime.main import create_app
from tests.fixtures.processes import free_port
from tests.fixtures.services import PostgresServer
from tests.tenant_runtime.live import serve


@dataclass
class Cli:
    capsys: pytest.CaptureFixture[str]
    database_args: list[str]

    def __call__(self, *args: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        code = main(["runtime", *args])
        captured = self.capsys.readouterr()
        return code, captured.out, captured.err


@pytest.fixture
def runtime_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The CLI reads only ZGW_RUNTIME_* from the environment, as in a runtime pod."""
    monkeypatch.chdir(tmp_path)  # no stray .env file
    monkeypatch.setenv("ZGW_RUNTIME_ENVIRONMENT", "test")
    monkeypatch.setenv("ZGW_RUNTIME_DATA_DIR", str(tmp_path / "runtime"))
    monkeypatch.setenv("ZGW_RUNTIME_REGISTRY_CACHE_SECONDS", "0")
    for name in ("ZGW_RUNTIME_PUBLIC_URL", "ZGW_RUNTIME_PINNED_TENANT", "ZGW_RUNTIME_REGISTRY_URL"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


@pytest.fixture(params=["postgresql", "sqlite"])
def cli(request: pytest.FixtureRequest, runtime_env: Path, capsys: pytest.CaptureFixture[str]) -> Cli:
    """PostgreSQL: registry and tenant database on the session's server; SQLite: the defaults (files in the data
    directory, nothing configured)."""
    if request.param == "sqlite":
        return Cli(capsys, [])
    server: PostgresServer = request.getfixturevalue("postgres_server")
    request.getfixturevalue("monkeypatch").setenv("ZGW_RUNTIME_REGISTRY_URL", server.create_database("clireg"))
    return Cli(capsys, ["--database-url", server.create_database("clitenant")])


@pytest.fixture
def live_runtime(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A runtime process at a public URL of its own (ZGW_RUNTIME_PUBLIC_URL), reading the registry the CLI writes."""
    port = free_port()
    public_url = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("ZGW_RUNTIME_PUBLIC_URL", public_url)
    assert cli("list-tenants")[0] == 0  # migrates the registry
    with serve(create_app(RuntimeSettings()), port):
        yield public_url


def _printed(out: str, label: str) -> str:
    return next(line.split(":", 1)[1].strip() for line in out.splitlines() if line.startswith(f"{label}:"))


def _run_curl(command: str) -> httpx.Response:
    """Run the printed ``curl -H ... URL`` command (its headers and URL) with httpx."""
    words = shlex.split(command)
    assert words[0] == "curl"
    headers = dict(w.split(": ", 1) for flag, w in pairwise(words) if flag == "-H")
    return httpx.get(words[-1], headers=headers, timeout=10)


def test_newcomer_creates_a_tenant_and_curls_the_api_with_the_printed_jwt(cli: Cli, live_runtime: str) -> None:
    code, out, _ = cli("create-tenant", "leiden", "--name", "Gemeente Leiden", *cli.database_args)
    assert code == 0
    assert f"{live_runtime}/t/leiden/" in out

    code, out, _ = cli("create-application", "leiden", "curl-demo", "--label", "Mijn eerste koppeling")
    assert code == 0, out
    assert _printed(out, "client_id") == "curl-demo"
    assert _printed(out, "API base") == f"{live_runtime}/t/leiden"
    command = _printed(out, "try")
    assert _printed(out, "JWT") in command
    assert command.endswith(f"{live_runtime}/t/leiden/zaken/api/v1/zaken")

    response = _run_curl(command)
    assert response.status_code == 200, response.text
    assert response.json()["results"] == []
    # The printed JWT authenticates at every API of the tenant (the application has all autorisaties).
    headers = {"Authorization": f"Bearer {_printed(out, 'JWT')}"}
    catalogus = httpx.post(
        f"{live_runtime}/t/leiden/catalogi/api/v1/catalogussen",
        json={"domein": "CLI", "rsin": "002220647", "contactpersoonBeheerNaam": "Beheer"},
        headers=headers,
    )
    assert catalogus.status_code == 201, catalogus.text
    assert catalogus.json()["url"].startswith(f"{live_runtime}/t/leiden/catalogi/api/v1/catalogussen/")

    code, out, _ = cli("list-tenants")
    assert out.splitlines() == ["leiden\tactive\tdefault\tGemeente Leiden"]

    assert cli("set-status", "leiden", "suspended")[0] == 0
    suspended = _run_curl(command)
    assert suspended.status_code == 403
    assert suspended.headers["content-type"].startswith("application/problem+json")
    assert suspended.json()["code"] == "tenant_suspended"
    assert "leiden\tsuspended" in cli("list-tenants")[1]

    assert cli("set-status", "leiden", "active")[0] == 0
    assert _run_curl(command).status_code == 200


def test_unknown_tenants_are_refused(cli: Cli) -> None:
    code, _, err = cli("create-application", "nergens", "app")
    assert code == 1
    assert "unknown tenant nergens" in err
    code, _, err = cli("set-status", "nergens", "suspended")
    assert code == 1
    assert "unknown tenant nergens" in err


def test_printed_urls_follow_the_runtime_settings(
    runtime_env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = Cli(capsys, [])
    assert cli("create-tenant", "delft", "--name", "Gemeente Delft")[0] == 0
    # Nothing configured: the embedded default's address (zgwcloud dev / scripts/run.sh).
    out = cli("create-application", "delft", "one")[1]
    assert _printed(out, "API base") == f"{EMBEDDED_RUNTIME_URL}/t/delft"

    monkeypatch.setenv("ZGW_RUNTIME_PUBLIC_URL", "https://zgw.example.nl/")
    out = cli("create-application", "delft", "two")[1]
    assert _printed(out, "API base") == "https://zgw.example.nl/t/delft"
    assert _printed(out, "try").endswith(" https://zgw.example.nl/t/delft/zaken/api/v1/zaken")

    # A dedicated runtime serves its one tenant without the path prefix.
    monkeypatch.setenv("ZGW_RUNTIME_PINNED_TENANT", "delft")
    monkeypatch.setenv("ZGW_RUNTIME_PUBLIC_URL", "https://delft.zgw.example.nl")
    out = cli("create-application", "delft", "three")[1]
    assert _printed(out, "API base") == "https://delft.zgw.example.nl"
