"""Users and their API tokens."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from controlplane.accounts.actors import Actor
from controlplane.accounts.models import ApiToken, Role, User
from controlplane.accounts.passwords import hash_password
from controlplane.accounts.schemas import TokenCreate, UserCreate, UserUpdate
from controlplane.accounts.tokens import create_token
from controlplane.audit import service as audit
from controlplane.tenants.models import Tenant
from tenant_runtime.core.problems import InvalidParam, Problem, validation_problem

USER_FIELDS = ("email", "name", "role", "tenant_id", "is_active")


def create_user(session: Session, actor: Actor, data: UserCreate) -> User:
    problems = []
    if session.scalar(select(User.id).where(func.lower(User.email) == data.email.lower())) is not None:
        problems.append(InvalidParam("email", "unique", "Er bestaat al een gebruiker met dit e-mailadres."))
    if data.role is Role.MUNICIPALITY_ADMIN:
        if data.tenant_id is None:
            problems.append(InvalidParam("tenant_id", "required", "Een gemeentebeheerder hoort bij een gemeente."))
        elif session.get(Tenant, data.tenant_id) is None:
            problems.append(InvalidParam("tenant_id", "does_not_exist", "Onbekende gemeente."))
    elif data.tenant_id is not None:
        problems.append(InvalidParam("tenant_id", "not_allowed", "Alleen gemeentebeheerders horen bij een gemeente."))
    if problems:
        raise validation_problem(problems)
    user = User(
        email=data.email.lower(),
        name=data.name,
        password_hash=hash_password(data.password),
        role=data.role,
        tenant_id=data.tenant_id,
    )
    session.add(user)
    session.flush()
    audit.record(
        session, actor, "user.created", target_type="user", target_id=user.email, tenant_id=user.tenant_id,
        after=audit.snapshot(user, USER_FIELDS),
    )  # fmt: skip
    return user


def update_user(session: Session, actor: Actor, user: User, data: UserUpdate) -> User:
    if user.id == actor.user_id and data.is_active is False:
        raise Problem(409, "U kunt uzelf niet deactiveren.", code="self-deactivation")
    before: dict[str, Any] = audit.snapshot(user, USER_FIELDS)
    if data.name is not None:
        user.name = data.name
    if data.password is not None:
        user.password_hash = hash_password(data.password)
    if data.is_active is not None:
        user.is_active = data.is_active
    session.flush()
    after = {**audit.snapshot(user, USER_FIELDS), "password_changed": data.password is not None}
    audit.record(
        session, actor, "user.updated", target_type="user", target_id=user.email, tenant_id=user.tenant_id,
        before=before, after=after,
    )  # fmt: skip
    return user


def issue_token(session: Session, actor: Actor, user: User, data: TokenCreate) -> tuple[ApiToken, str]:
    token, plain = create_token(session, user, data.name, data.expires_at)
    audit.record(
        session, actor, "token.created", target_type="token", target_id=token.id, tenant_id=user.tenant_id,
        after={"name": token.name, "prefix": token.prefix, "user": user.email},
    )  # fmt: skip
    return token, plain


def revoke_token(session: Session, actor: Actor, token: ApiToken, now: Any) -> None:
    if token.revoked_at is None:
        token.revoked_at = now
        audit.record(
            session, actor, "token.revoked", target_type="token", target_id=token.id,
            tenant_id=token.user.tenant_id, after={"name": token.name, "prefix": token.prefix},
        )  # fmt: skip
