"""Login and the landing page of each persona."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select

from controlplane.accounts.models import Role, User
from controlplane.accounts.passwords import verify_password
from controlplane.deps import SessionDep, WebUser, csrf_token
from controlplane.web import backups, finance, notifications, operator, portal, releases
from controlplane.web.forms import CsrfChecked
from controlplane.web.templating import templates

router = APIRouter(tags=["web"], include_in_schema=False)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> Response:
    return templates.TemplateResponse(
        request, "login.html", {"error": None, "email": "", "csrf_token": csrf_token(request)}
    )


@router.post("/login", response_class=HTMLResponse, dependencies=[CsrfChecked])
def login(
    request: Request, session: SessionDep, email: Annotated[str, Form()], password: Annotated[str, Form()]
) -> Response:
    user = session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None or not user.is_active or not verify_password(user.password_hash, password):
        return templates.TemplateResponse(
            request,
            "login.html",
            {"error": "Onbekend e-mailadres of onjuist wachtwoord.", "email": email, "csrf_token": csrf_token(request)},
            status_code=401,
        )
    request.session.clear()
    request.session["user_id"] = str(user.id)
    csrf_token(request)  # a fresh token for the new session
    return RedirectResponse("/", status_code=303)


@router.post("/logout", dependencies=[CsrfChecked])
def logout(request: Request) -> Response:
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/", response_class=HTMLResponse)
def home(user: WebUser) -> Response:
    if user.role is Role.MUNICIPALITY_ADMIN:
        return RedirectResponse(f"/portal/{user.tenant_id}", status_code=303)
    return RedirectResponse("/fleet", status_code=303)


ROUTERS = (
    router, operator.router, portal.router, finance.router, backups.router, releases.router, notifications.router,
)  # fmt: skip
