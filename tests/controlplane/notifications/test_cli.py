"""``zgwcloud runtime-admin-token``: the shared runtime's admin token as the control plane uses it (to configure
the runtime's Secret with), and a dedicated runtime's."""

from __future__ import annotations

import pytest

from controlplane.accounts.tokens import runtime_admin_token
from controlplane.cli import main

SECRET = "cli-test-secret-key-0123456789-abcdefghij"


def _printed(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(["runtime-admin-token", *argv]) == 0
    return capsys.readouterr().out.strip()


def test_prints_the_derived_or_configured_token(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ZGW_SECRET_KEY", SECRET)
    monkeypatch.delenv("ZGW_RUNTIME_ADMIN_TOKEN", raising=False)
    derived = _printed(capsys)
    assert derived == runtime_admin_token(SECRET) and len(derived) == 64
    dedicated = _printed(capsys, "--tenant", "utrecht")
    assert dedicated == runtime_admin_token(SECRET, "utrecht") and dedicated != derived
    assert runtime_admin_token(SECRET, "shared") != derived  # a tenant named "shared" never gets the shared token
    monkeypatch.setenv("ZGW_RUNTIME_ADMIN_TOKEN", "configured-token")
    assert _printed(capsys) == "configured-token"
