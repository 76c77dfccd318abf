"""The official OpenAPI documents of the ZGW APIs (unmodified copies), served at the standard paths and used
as the contract in tests."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

SPEC_DIR = Path(__file__).resolve().parent

# component path segment → (spec file, API version as served in the API-version header)
SPECS: dict[str, tuple[str, str]] = {
    "zaken": ("zaken-1.5.1.yaml", "1.5.1"),
    "documenten": ("documenten-1.4.2.yaml", "1.4.2"),
    "catalogi": ("catalogi-1.3.1.yaml", "1.3.1"),
    "besluiten": ("besluiten-1.1.0.yaml", "1.1.0"),
    "autorisaties": ("autorisaties-1.0.0.yaml", "1.0.0"),
    "notificaties": ("notificaties-1.0.0.yaml", "1.0.0"),
    "referentielijsten": ("referentielijsten-0.6.0.yaml", "0.6.0"),
}


def spec_path(component: str) -> Path:
    return SPEC_DIR / SPECS[component][0]


def api_version(component: str) -> str:
    return SPECS[component][1]


@cache
def spec_text(component: str) -> str:
    return spec_path(component).read_text(encoding="utf-8")


@cache
def spec_document(component: str) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(spec_text(component))
    return document
