"""Helpers for database URLs: driver normalisation and safe display."""

from __future__ import annotations

from sqlalchemy.engine import URL, make_url


def normalise_url(url: str | URL) -> URL:
    """Use psycopg 3 for PostgreSQL URLs whatever driver the caller named."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() != "psycopg":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def display_url(url: str | URL) -> str:
    """The URL with its password masked, for logs and error messages."""
    return make_url(url).render_as_string(hide_password=True)
