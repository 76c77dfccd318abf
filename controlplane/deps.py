"""FastAPI dependencies as ``Annotated`` aliases, in one place."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from controlplane.accounts import tokens
from controlplane.accounts.actors import Actor
from controlplane.accounts.models import Role, User
from controlplane.container import ControlPlane
from tenant_runtime.core.problems import Problem

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_SESSION_KEY = "csrf_token"


def get_controlplane(request: Request) -> ControlPlane:
    return request.app.state.controlplane  # type: ignore[no-any-return]


def get_session(cp: Annotated[ControlPlane, Depends(get_controlplane)]) -> Iterator[Session]:
    with cp.sessions() as session:
        yield session


ControlPlaneDep = Annotated[ControlPlane, Depends(get_controlplane)]
SessionDep = Annotated[Session, Depends(get_session)]


def csrf_token(request: Request) -> str:
    """The session's CSRF token (created on first use); forms post it back, API calls with a cookie send it."""
    token = request.session.get(CSRF_SESSION_KEY)
    if not token:
        token = secrets.token_urlsafe(32)
        request.session[CSRF_SESSION_KEY] = token
    return str(token)


def csrf_valid(request: Request, submitted: str | None) -> bool:
    expected = request.session.get(CSRF_SESSION_KEY)
    return bool(expected and submitted and secrets.compare_digest(str(expected), submitted))


def request_id(request: Request) -> str:
    return request.headers.get("x-request-id") or str(uuid.uuid4())


class LoginRequired(Exception):
    """Raised by the web UI when no user is logged in; answered with a redirect to /login."""


def current_web_user(request: Request, session: SessionDep) -> User:
    try:
        user_id = uuid.UUID(str(request.session.get("user_id")))
    except ValueError:
        raise LoginRequired from None
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        raise LoginRequired
    return user


WebUser = Annotated[User, Depends(current_web_user)]


def _unauthenticated(detail: str) -> Problem:
    return Problem(401, detail, code="not_authenticated", headers={"WWW-Authenticate": "Bearer"})


bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="ApiToken",
    description="An API token (`zgwcp_...`, POST /api/v1/tokens or `zgwcloud create-token`). A logged-in web "
    "session works too; writes then need the session's CSRF token in `X-CSRF-Token`.",
)


def current_actor(
    request: Request,
    _documented: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    session: SessionDep,
    cp: ControlPlaneDep,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
    x_csrf_token: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Actor:
    """The caller of an API endpoint: a bearer API token, or the web session (then unsafe methods need the
    session's CSRF token in ``X-CSRF-Token``)."""
    rid = request_id(request)
    if authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise _unauthenticated("Verwacht 'Authorization: Bearer <API-token>'.")
        user = tokens.authenticate(session, token.strip(), cp.clock.now())
        if user is None:
            raise _unauthenticated("Onbekend, verlopen of ingetrokken API-token.")
        session.commit()  # records last_used_at
        return Actor.for_user(user, "token", rid)
    raw = request.session.get("user_id") if "session" in request.scope else None
    if raw:
        try:
            user = session.get(User, uuid.UUID(str(raw)))
        except ValueError:
            user = None
        if user is not None and user.is_active:
            if request.method not in SAFE_METHODS and not csrf_valid(request, x_csrf_token):
                raise Problem(403, "CSRF-token ontbreekt of is ongeldig (X-CSRF-Token).", code="csrf_failed")
            return Actor.for_user(user, "session", rid)
    raise _unauthenticated("Authenticatie vereist: API-token (Bearer) of ingelogde sessie.")


CurrentActor = Annotated[Actor, Depends(current_actor)]


def require_roles(*roles: Role) -> Callable[[Actor], Actor]:
    def check(actor: CurrentActor) -> Actor:
        if actor.role not in roles:
            raise Problem(403, "Uw rol mag deze actie niet uitvoeren.", code="permission_denied")
        return actor

    return check


OperatorActor = Annotated[Actor, Depends(require_roles(Role.OPERATOR))]
ManagerActor = Annotated[Actor, Depends(require_roles(Role.OPERATOR, Role.MUNICIPALITY_ADMIN))]
FinanceActor = Annotated[Actor, Depends(require_roles(Role.OPERATOR, Role.FINANCE))]  # reads every tenant
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="Repeat a POST that starts work with the same key: you get the same job, no duplicate.",
    ),
]
