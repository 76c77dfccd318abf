"""Small named validators for municipality data; each error carries a code for ``invalidParams``."""

from __future__ import annotations

import re
from decimal import Decimal

from pydantic_core import PydanticCustomError

from controlplane.drivers.interfaces import Sizing
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


_CPU = re.compile(r"^(\d+(\.\d{1,3})?|\d+m)$")
_MEMORY = re.compile(r"^\d+(Ki|Mi|Gi|Ti|k|M|G|T)?$")


def validate_cpu_quantity(value: str) -> str:
    """A Kubernetes CPU quantity: cores ("2", "0.5") or millicores ("250m")."""
    if not _CPU.match(value) or _quantity(value) <= 0:
        raise FieldError("invalid-cpu", "Een CPU-hoeveelheid zoals '250m', '1' of '1.5'.")
    return value


def validate_memory_quantity(value: str) -> str:
    """A Kubernetes memory quantity in bytes with an optional unit ("512Mi", "4Gi")."""
    if not _MEMORY.match(value) or _quantity(value) <= 0:
        raise FieldError("invalid-memory", "Een geheugenhoeveelheid zoals '256Mi' of '4Gi'.")
    return value


def _quantity(value: str) -> Decimal:
    from kubernetes.utils import parse_quantity

    return Decimal(parse_quantity(value))  # type: ignore[no-untyped-call]


def sizing_problems(sizing: Sizing) -> list[tuple[str, str, str]]:
    """(field, code, reason) for a plan sizing a dedicated runtime cannot run with: a request above its limit,
    or a quota without room for the API replicas plus one pod of a rolling update and one migrations Job."""
    problems = []
    pods = sizing.api_replicas + 2
    for kind, request, limit, quota in (
        ("cpu", sizing.cpu_request, sizing.cpu_limit, sizing.quota_cpu),
        ("memory", sizing.memory_request, sizing.memory_limit, sizing.quota_memory),
    ):
        if _quantity(request) > _quantity(limit):
            problems.append((f"{kind}_request", "request-above-limit", f"De request is groter dan de limit ({limit})."))
        if _quantity(quota) < pods * _quantity(limit):
            problems.append(
                (f"quota_{kind}", "quota-too-small", f"Minstens {pods} × de limit ({limit}): replica's, een extra "
                 "pod tijdens een update en de migratiejob.")
            )  # fmt: skip
    if sizing.quota_pods < pods:
        problems.append(("quota_pods", "quota-too-small", f"Minstens {pods} pods (replica's + update + migratie)."))
    return problems


def slug_from_name(name: str) -> str:
    """A slug proposal from a municipality name ("Gemeente 's-Hertogenbosch" → "s-hertogenbosch")."""
    base = re.sub(r"^gemeente\s+", "", name.strip().lower())
    base = re.sub(r"[^a-z0-9]+", "-", base).strip("-")
    return base[:63].strip("-")
