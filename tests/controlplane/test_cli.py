"""The ``zgwcloud`` API subcommands against the control-plane API (through the test client's transport)."""

from __future__ import annotations

import io
import json

import pytest

from controlplane.cli import build_parser, main
from controlplane.cli_api import ApiError, run
from tests.controlplane.conftest import World


def _run(world: World, *argv: str, who: str = "operator") -> tuple[int, str]:
    args = build_parser().parse_args(list(argv))
    out = io.StringIO()
    world.client.headers.update(world.headers(who))
    return run(args, world.client, out), out.getvalue()


def test_onboard_list_suspend_resume_credentials(world: World) -> None:
    onboard = ["onboard", "--name", "Gemeente Oegstgeest", "--gemeentecode", "0579", "--rsin", "002220647",
               "--inhabitants", "25000", "--plan", "basis", "--idempotency-key", "k1"]  # fmt: skip
    code, output = _run(world, *onboard)
    assert code == 0 and output.startswith("oegstgeest (") and "queued" in output
    code, again = _run(world, *onboard)
    assert again == output and len(world.dispatched.jobs) == 1

    code, listing = _run(world, "list")
    assert code == 0 and "oegstgeest" in listing and "alphen" in listing
    code, listing = _run(world, "list", "--json", "--status", "requested")
    assert {t["slug"] for t in json.loads(listing)["results"]} == {"alphen", "bodegraven", "oegstgeest"}

    with pytest.raises(ApiError, match="409 invalid-state"):
        _run(world, "suspend", "alphen")
    with pytest.raises(ApiError, match="unknown municipality"):
        _run(world, "resume", "nergens")

    code, created = _run(world, "credentials", "create", "alphen", "--client-id", "zaken-app", "--label", "Zaken",
                         "--autorisatie", '{"component": "nrc", "scopes": ["notificaties.consumeren"]}')  # fmt: skip
    assert code == 0 and "secret:" in created
    code, listing = _run(world, "credentials", "list", "alphen", who="admin_a")
    assert "zaken-app" in listing and "active" in listing
    code, rotated = _run(world, "credentials", "rotate", "alphen", "zaken-app", who="admin_a")
    assert "secret:" in rotated and rotated.split("secret:")[1].split()[0] != created.split("secret:")[1].split()[0]
    code, revoked = _run(world, "credentials", "revoke", "alphen", "zaken-app", who="admin_a")
    assert revoked.strip() == "zaken-app revoked"
    with pytest.raises(ApiError, match="unknown municipality"):
        _run(world, "credentials", "list", "bodegraven", who="admin_a")  # not visible to A's admin


def test_validation_errors_are_explained(world: World) -> None:
    with pytest.raises(ApiError, match=r"rsin: Het RSIN voldoet niet aan de elfproef. \(invalid-rsin\)"):
        _run(world, "onboard", "--name", "Gemeente X", "--gemeentecode", "0580", "--rsin", "123456789",
             "--inhabitants", "1", "--plan", "basis")  # fmt: skip


def test_missing_token(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("ZGW_API_TOKEN", raising=False)
    assert main(["list"]) == 1
    assert "no API token" in capsys.readouterr().err
