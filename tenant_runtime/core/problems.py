"""ZGW error bodies (``application/problem+json``) as the standard's ``Fout``/``ValidatieFout`` schemas."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from starlette.responses import JSONResponse

PROBLEM_CONTENT_TYPE = "application/problem+json"

# Default (code, title) per HTTP status, following the reference implementation's wording.
_DEFAULTS: dict[int, tuple[str, str]] = {
    400: ("invalid", "Invalid input."),
    401: ("not_authenticated", "Authenticatiegegevens zijn niet opgegeven."),
    403: ("permission_denied", "Je hebt geen toestemming om deze actie uit te voeren."),
    404: ("not_found", "Niet gevonden."),
    405: ("method_not_allowed", "Methode niet toegestaan."),
    406: ("not_acceptable", "Kan niet voldoen aan de opgegeven Accept header."),
    409: ("conflict", "Conflict."),
    410: ("gone", "Deze resource is verwijderd."),
    412: ("precondition_failed", "Precondition failed."),
    415: ("unsupported_media_type", "Niet ondersteund mediatype."),
    429: ("throttled", "Te veel verzoeken."),
    500: ("error", "Er is een serverfout opgetreden."),
    503: ("service_unavailable", "Service tijdelijk niet beschikbaar."),
}


@dataclass(frozen=True, slots=True)
class InvalidParam:
    name: str
    code: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "code": self.code, "reason": self.reason}


@dataclass(slots=True)
class Problem(Exception):
    """An error that leaves the API as a ZGW problem body. Raise it from services and routes."""

    status: int
    detail: str
    code: str = ""
    title: str = ""
    invalid_params: list[InvalidParam] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        default_code, default_title = _DEFAULTS.get(self.status, ("error", "Fout."))
        self.code = self.code or default_code
        self.title = self.title or default_title

    def body(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": f"https://zgw-cloud.nl/fouten/{self.code}/",
            "code": self.code,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "instance": instance or f"urn:uuid:{uuid.uuid4()}",
        }
        if self.status == 400 or self.invalid_params:
            body["invalidParams"] = [p.as_dict() for p in self.invalid_params]
        return body

    def response(self, instance: str | None = None) -> JSONResponse:
        return JSONResponse(
            self.body(instance),
            status_code=self.status,
            media_type=PROBLEM_CONTENT_TYPE,
            headers=self.headers or None,
        )


def validation_problem(params: list[InvalidParam], detail: str = "") -> Problem:
    return Problem(
        400,
        detail or "; ".join(f"{p.name}: {p.reason}" for p in params) or "Invalid input.",
        code="invalid",
        title="Invalid input.",
        invalid_params=params,
    )
