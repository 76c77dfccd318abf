"""Managing applications and their credentials outside the Autorisaties API: used by the ``zgwcloud runtime``
CLI and by the control plane when it pushes a municipality's credentials into its tenant database."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import jwt
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from tenant_runtime.autorisaties.models import Applicatie, Autorisatie, ClientCredential
from tenant_runtime.core.auth import find_applicatie


@dataclass(frozen=True)
class AutorisatieSpec:
    component: str
    scopes: list[str]
    zaaktype: str = ""
    informatieobjecttype: str = ""
    besluittype: str = ""
    max_vertrouwelijkheidaanduiding: str = ""


@dataclass(frozen=True)
class ApplicationSpec:
    client_id: str
    label: str
    heeft_alle_autorisaties: bool = False
    autorisaties: list[AutorisatieSpec] = field(default_factory=list)


def generate_secret() -> str:
    return secrets.token_urlsafe(32)


def upsert_application(session: Session, spec: ApplicationSpec) -> Applicatie:
    """Create the application owning ``spec.client_id`` or replace its label and autorisaties."""
    applicatie = find_applicatie(session, spec.client_id)
    if applicatie is None:
        applicatie = Applicatie(client_ids=[spec.client_id], label=spec.label)
        session.add(applicatie)
    applicatie.label = spec.label
    applicatie.heeft_alle_autorisaties = spec.heeft_alle_autorisaties
    applicatie.autorisaties = [
        Autorisatie(
            component=a.component,
            scopes=list(a.scopes),
            zaaktype=a.zaaktype,
            informatieobjecttype=a.informatieobjecttype,
            besluittype=a.besluittype,
            max_vertrouwelijkheidaanduiding=a.max_vertrouwelijkheidaanduiding,
        )
        for a in spec.autorisaties
    ]
    session.flush()
    return applicatie


def add_credential(session: Session, client_id: str, secret: str, expires_at: datetime | None = None) -> None:
    session.add(
        ClientCredential(client_id=client_id, secret=secret, created_at=datetime.now(UTC), expires_at=expires_at)
    )


def expire_credentials(session: Session, client_id: str, at: datetime, keep_secret: str | None = None) -> None:
    """Let every secret of ``client_id`` (except ``keep_secret``) stop working at ``at`` (rotation overlap)."""
    for credential in session.scalars(select(ClientCredential).where(ClientCredential.client_id == client_id)):
        if credential.secret != keep_secret:
            credential.expires_at = at


def revoke_client(session: Session, client_id: str) -> None:
    """Remove every secret of ``client_id`` and drop it from its application."""
    session.execute(delete(ClientCredential).where(ClientCredential.client_id == client_id))
    applicatie = find_applicatie(session, client_id)
    if applicatie is not None:
        remaining = [c for c in applicatie.client_ids if c != client_id]
        if remaining:
            applicatie.client_ids = remaining
        else:
            session.delete(applicatie)


def make_jwt(
    client_id: str, secret: str, *, user_id: str = "", user_representation: str = "", issued_at: float | None = None
) -> str:
    """A ZGW JWT as a client application would make it (HS256; client_id, iss, iat, user claims)."""
    claims = {
        "client_id": client_id,
        "iss": client_id,
        "iat": int(issued_at if issued_at is not None else time.time()),
        "user_id": user_id,
        "user_representation": user_representation,
    }
    return jwt.encode(claims, secret, algorithm="HS256")
