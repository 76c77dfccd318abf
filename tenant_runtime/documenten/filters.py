"""Query-parameter filters of the Documenten API's list endpoints."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Select, String, cast, false, select
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


def datetime_range(query: Query, column: Any, name: str, request: Request) -> Query:
    """``<name>__lt``, ``__lte``, ``__gt``, ``__gte`` on a date-time column."""
    operators = {"lt": column.__lt__, "lte": column.__le__, "gt": column.__gt__, "gte": column.__ge__}
    for suffix, operator in operators.items():
        raw = request.query_params.get(f"{name}__{suffix}")
        if raw is None:
            continue
        try:
            moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            raise validation_problem(
                [InvalidParam(f"{name}__{suffix}", "invalid", "Een datumtijd in ISO 8601-formaat is vereist.")]
            ) from None
        query = query.where(operator(moment if moment.tzinfo else moment.replace(tzinfo=UTC)))
    return query


def informatieobject(query: Query, column: Any, document_uuid: UUID | None) -> Query:
    """Filter on a document URL (``informatieobject=``); a URL outside this tenant matches nothing."""
    if document_uuid is None:
        return query.where(false())
    return query.where(column.in_(select(InformatieObject.id).where(InformatieObject.uuid == document_uuid)))
