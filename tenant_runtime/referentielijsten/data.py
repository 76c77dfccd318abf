"""The Referentielijsten & Selectielijst reference data (VNG, EUPL-1.2), shipped with the runtime in ``data/``.

The upstream files hold bare UUIDs in ``url`` and ``procesType``; absolute URLs are made by the API that serves
them (``<api root>/<resource>/<uuid>``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data"

# Resources of the Referentielijsten API (0.6.0) that this runtime serves from the shipped data.
RESOURCES = ("procestypen", "resultaten", "resultaattypeomschrijvingen")


@dataclass(frozen=True, slots=True)
class Dataset:
    items: tuple[dict[str, Any], ...]
    by_uuid: dict[str, dict[str, Any]]


@cache
def dataset(resource: str) -> Dataset:
    """All items of ``resource`` in the order of the data file, and an index by UUID (lowercase)."""
    if resource not in RESOURCES:
        raise KeyError(resource)
    items = tuple(json.loads((DATA_DIR / f"{resource}.json").read_text(encoding="utf-8")))
    return Dataset(items, {str(item["url"]).lower(): item for item in items})


def find(resource: str, identifier: str) -> dict[str, Any] | None:
    return dataset(resource).by_uuid.get(identifier.lower())
