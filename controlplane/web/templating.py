"""The Jinja2 environment of the web UI."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from tenant_runtime.core.problems import Problem

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"


def _csrf(request: Request) -> dict[str, Any]:
    from controlplane.deps import csrf_token

    return {"csrf_token": csrf_token(request)} if "session" in request.scope else {}


templates = Jinja2Templates(directory=TEMPLATES_DIR, context_processors=[_csrf])


def error_page(request: Request, problem: Problem) -> Response:
    """A web page for a problem raised while serving the UI (the API answers problem+json instead)."""
    return templates.TemplateResponse(
        request,
        "error.html",
        {"problem": problem, "user": None},
        status_code=problem.status,
        headers=problem.headers or None,
    )
