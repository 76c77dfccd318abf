"""The README's configuration tables list exactly the settings the processes read."""

from __future__ import annotations

import re
from pathlib import Path

from controlplane.config import Settings
from tenant_runtime.config import RuntimeSettings

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def _env_names() -> set[str]:
    names = {f"ZGW_{name.upper()}" for name in Settings.model_fields}
    names |= {f"ZGW_RUNTIME_{name.upper()}" for name in RuntimeSettings.model_fields}
    return names


def test_every_setting_is_documented() -> None:
    documented = set(re.findall(r"^\| `(ZGW_[A-Z0-9_]+)`", README, re.M))
    missing = _env_names() - documented
    assert not missing, f"settings missing from the README configuration table: {sorted(missing)}"


def test_no_documented_setting_is_unknown() -> None:
    documented = set(re.findall(r"^\| `(ZGW_[A-Z0-9_]+)` \|", README, re.M))
    unknown = {name for name in documented if not name.startswith("ZGW_TEST_")} - _env_names()
    assert not unknown, f"README documents settings nobody reads: {sorted(unknown)}"


def test_settings_have_descriptions() -> None:
    for cls in (Settings, RuntimeSettings):
        for name, field in cls.model_fields.items():
            assert field.description, f"{cls.__name__}.{name} has no description"


def test_production_refuses_development_secret() -> None:
    import pytest
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="ZGW_SECRET_KEY"):
        Settings(environment="production")
