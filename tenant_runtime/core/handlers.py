"""Every error leaves the runtime as ``application/problem+json``: validation errors with ``invalidParams``
carrying ZGW codes, unknown routes, wrong methods, and (logged, never leaked) unexpected failures."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from tenant_runtime.core.problems import InvalidParam, Problem, validation_problem
from tenant_runtime.logging import get_logger

log = get_logger(__name__)

# pydantic error type → ZGW (DRF-style) validation code
PYDANTIC_CODES = {
    "missing": "required",
    "string_too_long": "max_length",
    "string_too_short": "min_length",
    "too_long": "max_length",
    "too_short": "min_length",
    "enum": "invalid_choice",
    "literal_error": "invalid_choice",
    "url_parsing": "invalid",
    "url_type": "invalid",
    "url_scheme": "invalid",
    "date_parsing": "invalid",
    "date_from_datetime_parsing": "invalid",
    "datetime_parsing": "invalid",
    "datetime_from_date_parsing": "invalid",
    "int_parsing": "invalid",
    "decimal_parsing": "invalid",
    "bool_parsing": "invalid",
    "json_invalid": "parse_error",
    "list_type": "not_a_list",
    "dict_type": "invalid",
    "model_attributes_type": "invalid",
    "none_required": "invalid",
    "uuid_parsing": "invalid",
    "greater_than_equal": "min_value",
    "less_than_equal": "max_value",
    "greater_than": "min_value",
    "less_than": "max_value",
    "string_pattern_mismatch": "invalid",
    "string_type": "invalid",
    "int_type": "invalid",
    "bool_type": "invalid",
}
NULL_TYPES = {
    "string_type",
    "int_type",
    "bool_type",
    "dict_type",
    "list_type",
    "model_attributes_type",
    "date_type",
    "datetime_type",
    "url_type",
    "uuid_type",
    "decimal_type",
    "float_type",
}


def invalid_params_from(errors: list[Any]) -> list[InvalidParam]:
    params = []
    for error in errors:
        loc = [str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path", "header")]
        name = ".".join(loc) or "nonFieldErrors"
        kind = str(error.get("type", "invalid"))
        code = PYDANTIC_CODES.get(kind, kind)
        if kind in NULL_TYPES and error.get("input", ...) is None:
            code = "null"
        reason = str(error.get("msg", "Ongeldige waarde."))
        if reason.startswith("Value error, "):
            reason = reason[len("Value error, ") :]
        params.append(InvalidParam(name, code, reason))
    return params


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(_request: Request, exc: Problem) -> Response:
        return exc.response()

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> Response:
        return validation_problem(invalid_params_from(list(exc.errors()))).response()

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> Response:
        detail = exc.detail if isinstance(exc.detail, str) else "Fout."
        return Problem(exc.status_code, detail, headers=dict(exc.headers or {})).response()

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, _exc: Exception) -> Response:
        log.exception("unhandled_error", path=request.url.path, method=request.method)
        return Problem(500, "Er is een onverwachte fout opgetreden.").response()
