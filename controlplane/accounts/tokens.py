"""API tokens for automation: random, shown once, stored as SHA-256."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from controlplane.accounts.models import ApiToken, User
from controlplane.db import aware

if TYPE_CHECKING:
    from controlplane.config import Settings

TOKEN_PREFIX = "zgwcp_"  # noqa: S105 - a prefix, not a secret


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, user: User, name: str, expires_at: datetime | None = None) -> tuple[ApiToken, str]:
    """A new token for ``user``; returns the row and the plain token (never stored)."""
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, token_hash=hash_token(plain), prefix=plain[:12], expires_at=expires_at)
    session.add(token)
    session.flush()
    return token, plain


def derived_token(secret_key: str, purpose: str) -> str:
    """A token derived from the platform's secret key for ``purpose``: a driver can put it in a tenant's Secret and
    the control plane can register it, each without asking the other (every retry yields the same token)."""
    digest = hmac.new(secret_key.encode(), f"api-token:{purpose}".encode(), "sha256").digest()
    return TOKEN_PREFIX + base64.urlsafe_b64encode(digest).decode().rstrip("=")


def runtime_metering_token(secret_key: str, tenant_slug: str) -> str:
    """The token a dedicated tenant's runtime ships its usage with (in its Secret; registered by the control plane)."""
    return derived_token(secret_key, f"runtime-metering:{tenant_slug}")


def runtime_admin_token(secret_key: str, tenant_slug: str | None = None) -> str:
    """The platform credential of a runtime's ``/beheer`` endpoints (``ZGW_RUNTIME_ADMIN_TOKEN``): a dedicated
    tenant's own runtime (its slug, in its Secret) or, without a slug, the shared runtime."""
    purpose = f"runtime-admin:{tenant_slug}" if tenant_slug else "runtime-admin-shared"
    return hmac.new(secret_key.encode(), purpose.encode(), "sha256").hexdigest()


def shared_runtime_admin_token(settings: Settings) -> str:
    """The shared runtime's admin token: ``ZGW_RUNTIME_ADMIN_TOKEN`` when set, else derived from the secret key."""
    return settings.runtime_admin_token or runtime_admin_token(settings.secret_key)


def ensure_token(session: Session, user: User, name: str, plain: str) -> ApiToken:
    """Register ``plain`` as a token of ``user`` unless it is registered already (idempotent; a revoked one
    stays revoked)."""
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(plain)))
    if token is not None:
        if token.user_id != user.id:
            raise ValueError("the token is registered for another user")
        return token
    token = ApiToken(user_id=user.id, name=name, token_hash=hash_token(plain), prefix=plain[:12])
    session.add(token)
    session.flush()
    return token


def authenticate(session: Session, plain: str, now: datetime) -> User | None:
    """The active user owning a valid token, recording its use; None for unknown, revoked or expired tokens."""
    if not plain.startswith(TOKEN_PREFIX):
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(plain)))
    if token is None or token.revoked_at is not None:
        return None
    if token.expires_at is not None and aware(token.expires_at) <= now:
        return None
    if not token.user.is_active:
        return None
    token.last_used_at = now
    return token.user


def tokens_of(session: Session, user_id: uuid.UUID) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.created_at)))
