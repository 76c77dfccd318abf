"""docker-compose.yml and the Dockerfile are checked statically (no container engine runs here)."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parent.parent


def _compose() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_file_follows_the_compose_specification() -> None:
    schema_file = resources.files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json"
    schema = json.loads(schema_file.read_text())
    jsonschema.validate(_compose(), schema)


def test_compose_describes_the_whole_stack() -> None:
    services = _compose()["services"]
    assert {"postgres", "redis", "minio", "controlplane", "worker", "beat", "runtime"} <= set(services)
    for name in ("controlplane", "worker", "beat", "runtime"):
        assert services[name]["build"] == "."


def test_dockerfile_copies_paths_that_exist() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    sources = [src for line in re.findall(r"^COPY (?!--from)(.+)$", dockerfile, re.M) for src in line.split()[:-1]]
    assert sources, "no COPY instructions found"
    for source in sources:
        assert (ROOT / source).exists(), f"Dockerfile copies missing path {source}"


def test_compose_commands_name_real_entry_points() -> None:
    import importlib

    for service in _compose()["services"].values():
        command = service.get("command", [])
        if "--factory" in command:
            module, attribute = command[command.index("--factory") + 1].split(":")
            assert callable(getattr(importlib.import_module(module), attribute))
        if command[:1] == ["celery"]:
            module, attribute = command[command.index("-A") + 1].split(":")
            assert getattr(importlib.import_module(module), attribute).main == "zgwcloud"
