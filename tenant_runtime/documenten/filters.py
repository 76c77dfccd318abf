"""Query-parameter filters of the Documenten API's list endpoints."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import Select, String, cast, false
from starlette.requests import Request

from tenant_runtime.core.problems import InvalidParam, validation_problem
from tenant_runtime.documenten.models import InformatieObject, InformatieObjectVersie

Query = Select[Any]


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def documenten(query: Query, request: Request) -> Query:
    """identificatie, bronorganisatie (exact) and trefwoorden (comma separated: documents having all of them)."""
    params = request.query_params
    if (identificatie := params.get("identificatie")) is not None:
        query = query.where(InformatieObjectVersie.identificatie == identificatie)
    if (bronorganisatie := params.get("bronorganisatie")) is not None:
        query = query.where(InformatieObjectVersie.bronorganisatie == bronorganisatie)
    if (trefwoorden := params.get("trefwoorden")) is not None:
        text = cast(InformatieObjectVersie.trefwoorden, String)
        for woord in filter(None, (w.strip() for w in trefwoorden.split(","))):
            # JSON text of the list contains the JSON string of the word (same encoder as on write).
            query = query.where(text.like(f"%{_like_escape(json.dumps(woord))}%", escape="\\"))
    return query


def by_uuids(query: Query, raw: Sequence[str]) -> Query:
    uuids: list[UUID] = []
    for index, value in enumerate(raw):
        try:
            uuids.append(UUID(value))
        except ValueError:
            raise validation_problem(
                [InvalidParam(f"uuid_In.{index}", "invalid", "Een geldige UUID is vereist.")]
            ) from None
    if not uuids:
        return query.where(false())
    return query.where(InformatieObject.uuid.in_(uuids))
