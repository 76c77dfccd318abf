"""Zaakgeometrie: GeoJSON stored as JSON with its bounding box; ``within`` searches pre-filter on the bounding box
in SQL (portable: PostgreSQL and SQLite) and decide exactly with shapely."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from shapely.errors import ShapelyError
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from shapely.prepared import prep
from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import Session

from tenant_runtime.core.problems import InvalidParam, validation_problem
from tenant_runtime.zaken.models import Zaak

GEOMETRY_TYPES = (
    "Point",
    "MultiPoint",
    "LineString",
    "MultiLineString",
    "Polygon",
    "MultiPolygon",
    "GeometryCollection",
)


def parse_geometry(value: Any, field_name: str) -> BaseGeometry:
    """A valid GeoJSON geometry, or a 400 naming ``field_name``."""
    if not isinstance(value, dict) or value.get("type") not in GEOMETRY_TYPES:
        raise validation_problem([InvalidParam(field_name, "invalid", "Geef een geldig GeoJSON geometrie-object op.")])
    try:
        geometry = shape(value)
    except (ValueError, TypeError, AttributeError, KeyError, IndexError, ShapelyError):
        raise validation_problem(
            [InvalidParam(field_name, "invalid", "De GeoJSON geometrie kon niet gelezen worden.")]
        ) from None
    if geometry.is_empty or not all(map(_finite, geometry.bounds)):
        raise validation_problem([InvalidParam(field_name, "invalid", "De GeoJSON geometrie is leeg.")])
    return geometry


def _finite(number: float) -> bool:
    return number == number and abs(number) != float("inf")


def bounding_box(geometry: BaseGeometry | None) -> tuple[float | None, float | None, float | None, float | None]:
    if geometry is None:
        return (None, None, None, None)
    min_x, min_y, max_x, max_y = geometry.bounds
    return (min_x, min_y, max_x, max_y)


def bbox_within(area: BaseGeometry) -> ColumnElement[bool]:
    """Zaken whose bounding box lies inside the area's bounding box (necessary for being within the area)."""
    min_x, min_y, max_x, max_y = area.bounds
    return and_(Zaak.geo_min_x >= min_x, Zaak.geo_min_y >= min_y, Zaak.geo_max_x <= max_x, Zaak.geo_max_y <= max_y)


def ids_within(session: Session, area: BaseGeometry, conditions: Sequence[ColumnElement[bool]]) -> list[int]:
    """Ids of the zaken (matching ``conditions``) whose geometry lies within ``area``."""
    prepared = prep(area)
    query = select(Zaak.id, Zaak.zaakgeometrie).where(bbox_within(area), *conditions)
    matches = []
    for row in session.execute(query):
        try:
            geometry = shape(row.zaakgeometrie)
        except (ValueError, TypeError, AttributeError, KeyError):
            continue
        if prepared.contains(geometry) or area.covers(geometry):
            matches.append(row.id)
    return matches
