"""Small named validators for municipality data; each error carries a code for ``invalidParams``."""

from __future__ import annotations

import re

from pydantic_core import PydanticCustomError

from tenant_runtime.core.tenancy import SLUG_PATTERN

_DIGITS = re.compile(r"^\d+$")
RESERVED_SLUGS = frozenset({"api", "www", "admin", "static", "t", "beheer", "healthz", "readyz", "metrics"})


def FieldError(code: str, reason: str) -> PydanticCustomError:  # noqa: N802 - reads as an exception class
    """A validation error whose pydantic type is the ZGW-style ``code`` (it becomes invalidParams.code)."""
    return PydanticCustomError(code, reason.replace("{", "(").replace("}", ")"))


def validate_gemeentecode(value: str) -> str:
    """CBS gemeentecode: exactly four digits (e.g. 0344 for Utrecht)."""
    if len(value) != 4 or not _DIGITS.match(value):
        raise FieldError("invalid-gemeentecode", "De CBS-gemeentecode bestaat uit precies 4 cijfers.")
    return value


def elfproef(value: str) -> bool:
    """The 11-test of RSIN/BSN: weights 9..2 for the first eight digits and -1 for the last."""
    total = sum(int(d) * w for d, w in zip(value[:8], range(9, 1, -1), strict=True)) - int(value[8])
    return total % 11 == 0


def validate_rsin(value: str) -> str:
    if len(value) != 9 or not _DIGITS.match(value):
        raise FieldError("invalid-length", "Een RSIN bestaat uit precies 9 cijfers.")
    if not elfproef(value):
        raise FieldError("invalid-rsin", "Het RSIN voldoet niet aan de elfproef.")
    return value


def validate_oin(value: str) -> str:
    """Organisatie-identificatienummer: 20 digits (empty: not given)."""
    if value and (len(value) != 20 or not _DIGITS.match(value)):
        raise FieldError("invalid-oin", "Een OIN bestaat uit precies 20 cijfers.")
    return value


def validate_slug(value: str) -> str:
    if not SLUG_PATTERN.match(value):
        raise FieldError(
            "invalid-slug", "Alleen kleine letters, cijfers en koppeltekens (niet aan begin of eind), max. 63 tekens."
        )
    if value in RESERVED_SLUGS:
        raise FieldError("reserved-slug", f"'{value}' is gereserveerd.")
    return value


def slug_from_name(name: str) -> str:
    """A slug proposal from a municipality name ("Gemeente 's-Hertogenbosch" → "s-hertogenbosch")."""
    base = re.sub(r"^gemeente\s+", "", name.strip().lower())
    base = re.sub(r"[^a-z0-9]+", "-", base).strip("-")
    return base[:63].strip("-")
