"""FastAPI dependencies as ``Annotated`` aliases, in one place."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from controlplane.accounts.models import User
from controlplane.container import ControlPlane


def get_controlplane(request: Request) -> ControlPlane:
    return request.app.state.controlplane  # type: ignore[no-any-return]


def get_session(cp: Annotated[ControlPlane, Depends(get_controlplane)]) -> Iterator[Session]:
    with cp.sessions() as session:
        yield session


ControlPlaneDep = Annotated[ControlPlane, Depends(get_controlplane)]
SessionDep = Annotated[Session, Depends(get_session)]


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
