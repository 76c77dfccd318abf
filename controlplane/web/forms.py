"""Helpers shared by the web pages: CSRF checks on every form post, the acting user, errors for forms."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Form, Request
from pydantic import ValidationError

from controlplane.accounts.actors import Actor
from controlplane.deps import WebUser, csrf_valid, request_id
from tenant_runtime.core.handlers import invalid_params_from
from tenant_runtime.core.problems import InvalidParam, Problem


def check_csrf(request: Request, csrf_token: Annotated[str, Form()] = "") -> None:
    if not csrf_valid(request, csrf_token):
        raise Problem(403, "Het formulier is verlopen of ongeldig (CSRF). Laad de pagina opnieuw.", code="csrf_failed")


CsrfChecked = Depends(check_csrf)


def web_actor(request: Request, user: WebUser) -> Actor:
    return Actor.for_user(user, "session", request_id(request))


WebActor = Annotated[Actor, Depends(web_actor)]


def errors_of(exc: ValidationError | Problem) -> dict[str, str]:
    """Field name → message, for showing next to the form fields."""
    params: list[InvalidParam] = (
        invalid_params_from(list(exc.errors())) if isinstance(exc, ValidationError) else exc.invalid_params
    )
    errors = {p.name.split(".")[0]: p.reason for p in params}
    if isinstance(exc, Problem) and not params:
        errors["_"] = exc.detail
    return errors
