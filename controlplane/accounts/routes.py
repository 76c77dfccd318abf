"""``/api/v1/me``, ``/api/v1/users`` (operators) and ``/api/v1/tokens`` (one's own API tokens)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response
from sqlalchemy import select

from controlplane.accounts import service
from controlplane.accounts.models import ApiToken, User
from controlplane.accounts.schemas import (
    TokenCreate,
    TokenCreated,
    TokenOut,
    UserCreate,
    UserList,
    UserOut,
    UserUpdate,
)
from controlplane.accounts.tokens import tokens_of
from controlplane.deps import ControlPlaneDep, CurrentActor, OperatorActor, SessionDep
from tenant_runtime.core.problems import Problem

router = APIRouter(prefix="/api/v1", tags=["users"])


def _user(session: SessionDep, user_id: uuid.UUID | None) -> User:
    user = session.get(User, user_id) if user_id else None
    if user is None:
        raise Problem(404, "Gebruiker niet gevonden.", code="not_found")
    return user


@router.get("/me", response_model=UserOut)
def me(actor: CurrentActor, session: SessionDep) -> User:
    return _user(session, actor.user_id)


@router.get("/users", response_model=UserList)
def list_users(_actor: OperatorActor, session: SessionDep, tenant_id: uuid.UUID | None = None) -> UserList:
    statement = select(User).order_by(User.email)
    if tenant_id is not None:
        statement = statement.where(User.tenant_id == tenant_id)
    users = [UserOut.model_validate(u) for u in session.scalars(statement)]
    return UserList(count=len(users), results=users)


@router.post("/users", response_model=UserOut, status_code=201)
def create_user(data: UserCreate, response: Response, actor: OperatorActor, session: SessionDep) -> User:
    user = service.create_user(session, actor, data)
    session.commit()
    response.headers["Location"] = f"/api/v1/users/{user.id}"
    return user


@router.get("/users/{user_id}", response_model=UserOut)
def get_user(user_id: uuid.UUID, _actor: OperatorActor, session: SessionDep) -> User:
    return _user(session, user_id)


@router.patch("/users/{user_id}", response_model=UserOut)
def update_user(user_id: uuid.UUID, data: UserUpdate, actor: OperatorActor, session: SessionDep) -> User:
    user = service.update_user(session, actor, _user(session, user_id), data)
    session.commit()
    return user


@router.get("/tokens", response_model=list[TokenOut])
def list_tokens(actor: CurrentActor, session: SessionDep) -> list[ApiToken]:
    return tokens_of(session, _user(session, actor.user_id).id)


@router.post("/tokens", response_model=TokenCreated, status_code=201)
def create_token(data: TokenCreate, response: Response, actor: CurrentActor, session: SessionDep) -> TokenCreated:
    token, plain = service.issue_token(session, actor, _user(session, actor.user_id), data)
    session.commit()
    response.headers["Cache-Control"] = "no-store"
    return TokenCreated(token=TokenOut.model_validate(token), secret=plain)


@router.delete("/tokens/{token_id}", status_code=204)
def revoke_token(token_id: uuid.UUID, actor: CurrentActor, cp: ControlPlaneDep, session: SessionDep) -> Response:
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != actor.user_id:
        raise Problem(404, "Token niet gevonden.", code="not_found")
    service.revoke_token(session, actor, token, cp.clock.now())
    session.commit()
    return Response(status_code=204)
