"""JWT authentication (ZGW "JWT-Claims") and the autorisaties a client holds.

A client sends ``Authorization: Bearer <JWT>`` signed HS256 with its shared secret; the ``client_id`` claim
names the client. The secret and the client's application (with its autorisaties) are read from the tenant's
own database and cached briefly per tenant.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import jwt
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from tenant_runtime.autorisaties.models import Applicatie, ClientCredential
from tenant_runtime.core.problems import Problem
from tenant_runtime.core.vertrouwelijkheid import Vertrouwelijkheid

JWT_LEEWAY_SECONDS = 60
# Tokens carry no expiry claim in the standard; like the reference implementation we bound their age by `iat`.
JWT_MAX_AGE_SECONDS = 3600 * 24


@dataclass(frozen=True, slots=True)
class Grant:
    """One autorisatie: scopes on a component, optionally limited to a type and a confidentiality level."""

    component: str
    scopes: frozenset[str]
    zaaktype: str = ""
    informatieobjecttype: str = ""
    besluittype: str = ""
    max_vertrouwelijkheidaanduiding: str = ""

    @property
    def type_url(self) -> str:
        return self.zaaktype or self.informatieobjecttype or self.besluittype


@dataclass(frozen=True, slots=True)
class Client:
    """The authenticated application behind a request."""

    client_id: str
    applicatie_uuid: str = ""
    label: str = ""
    heeft_alle_autorisaties: bool = False
    grants: tuple[Grant, ...] = ()
    user_id: str = ""
    user_representation: str = ""
    claims: dict[str, object] = field(default_factory=dict, compare=False, hash=False)

    def has_scopes(self, component: str, scopes: Iterable[str]) -> bool:
        """Whether any autorisatie on ``component`` holds all ``scopes``."""
        if self.heeft_alle_autorisaties:
            return True
        needed = set(scopes)
        return any(g.component == component and needed <= g.scopes for g in self.grants)

    def has_any_scope(self, component: str, scopes: Iterable[str]) -> bool:
        if self.heeft_alle_autorisaties:
            return True
        wanted = set(scopes)
        return any(g.component == component and wanted & g.scopes for g in self.grants)

    def type_grants(self, component: str, scopes: Iterable[str]) -> dict[str, str]:
        """Type URL → maximum vertrouwelijkheid, for the autorisaties on ``component`` holding ``scopes``.

        Meaningless when ``heeft_alle_autorisaties`` (callers check that first)."""
        needed = set(scopes)
        allowed: dict[str, str] = {}
        for grant in self.grants:
            if grant.component != component or not needed <= grant.scopes or not grant.type_url:
                continue
            current = allowed.get(grant.type_url)
            maximum = grant.max_vertrouwelijkheidaanduiding or Vertrouwelijkheid.zeer_geheim.value
            if current is None or Vertrouwelijkheid(maximum).level > Vertrouwelijkheid(current).level:
                allowed[grant.type_url] = maximum
        return allowed

    def may_access(self, component: str, scopes: Iterable[str], type_url: str, vertrouwelijkheid: str | None) -> bool:
        """Whether the client may apply ``scopes`` to one object of ``type_url`` at ``vertrouwelijkheid``."""
        if self.heeft_alle_autorisaties:
            return True
        maximum = self.type_grants(component, scopes).get(type_url)
        if maximum is None:
            return False
        return vertrouwelijkheid is None or Vertrouwelijkheid(maximum).allows(vertrouwelijkheid)


def _forbidden(detail: str) -> Problem:
    return Problem(403, detail, code="permission_denied", title="Je hebt geen toestemming om deze actie uit te voeren.")


@dataclass(frozen=True, slots=True)
class _ClientRecord:
    secrets: tuple[str, ...]
    applicatie: Applicatie | None


class ClientStore:
    """Looks up secrets and applications per (tenant, client_id), with a short in-process cache."""

    def __init__(self, cache_seconds: float = 5.0) -> None:
        self._cache_seconds = cache_seconds
        self._cache: dict[tuple[str, str], tuple[float, _ClientRecord]] = {}
        self._lock = threading.Lock()

    def invalidate(self, tenant: str | None = None) -> None:
        with self._lock:
            if tenant is None:
                self._cache.clear()
            else:
                for key in [k for k in self._cache if k[0] == tenant]:
                    del self._cache[key]

    def record(self, tenant: str, engine: Engine, client_id: str) -> _ClientRecord:
        key = (tenant, client_id)
        now = time.monotonic()
        cached = self._cache.get(key)
        if cached is not None and now - cached[0] < self._cache_seconds:
            return cached[1]
        with Session(engine, expire_on_commit=False) as session:
            moment = datetime.now(UTC)
            rows = session.scalars(select(ClientCredential).where(ClientCredential.client_id == client_id))
            secrets = tuple(r.secret for r in rows if r.expires_at is None or _aware(r.expires_at) > moment)
            applicatie = find_applicatie(session, client_id)
            if applicatie is not None:
                _ = list(applicatie.autorisaties)  # load before the session closes
                session.expunge_all()
        record = _ClientRecord(secrets, applicatie)
        with self._lock:
            self._cache[key] = (now, record)
        return record

    def authenticate(self, tenant: str, engine: Engine, authorization: str | None) -> Client:
        """Verify the bearer JWT and return the client with its autorisaties, or raise a 403 problem."""
        if not authorization:
            raise Problem(
                403,
                "Authenticatiegegevens zijn niet opgegeven.",
                code="not_authenticated",
                title="Authenticatiegegevens zijn niet opgegeven.",
            )
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise _forbidden("Ongeldige Authorization header: verwacht 'Bearer <JWT>'.")
        try:
            unverified = jwt.decode(token, options={"verify_signature": False})
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise _forbidden(f"JWT kon niet gelezen worden: {exc}") from None
        if header.get("alg") != "HS256":
            raise _forbidden("JWT moet met HS256 ondertekend zijn.")
        client_id = unverified.get("client_id") or unverified.get("iss")
        if not isinstance(client_id, str) or not client_id:
            raise _forbidden("JWT bevat geen client_id claim.")
        record = self.record(tenant, engine, client_id)
        claims = self._verify(token, record.secrets)
        iat = claims.get("iat")
        if not isinstance(iat, int | float):
            raise _forbidden("JWT bevat geen geldige iat claim.")
        now = time.time()
        if iat > now + JWT_LEEWAY_SECONDS or iat < now - JWT_MAX_AGE_SECONDS:
            raise _forbidden("JWT is verlopen of nog niet geldig (iat).")
        return client_from(record.applicatie, client_id, claims)

    @staticmethod
    def _verify(token: str, secrets: tuple[str, ...]) -> dict[str, object]:
        for secret in secrets:
            try:
                return dict(
                    jwt.decode(
                        token,
                        secret,
                        algorithms=["HS256"],
                        leeway=JWT_LEEWAY_SECONDS,
                        options={"verify_aud": False, "require": []},
                    )
                )
            except jwt.InvalidSignatureError:
                continue
            except jwt.PyJWTError as exc:
                raise _forbidden(f"JWT is ongeldig: {exc}") from None
        raise _forbidden("JWT-handtekening is ongeldig of de client is onbekend.")


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def find_applicatie(session: Session, client_id: str) -> Applicatie | None:
    """The application listing ``client_id`` (client ids are unique across applications)."""
    for applicatie in session.scalars(select(Applicatie)):
        if client_id in (applicatie.client_ids or []):
            return applicatie
    return None


def client_from(applicatie: Applicatie | None, client_id: str, claims: dict[str, object]) -> Client:
    user_id = str(claims.get("user_id") or "")
    representation = str(claims.get("user_representation") or "")
    if applicatie is None:
        # Authenticated but without an application: may not do anything.
        return Client(client_id=client_id, user_id=user_id, user_representation=representation, claims=claims)
    grants = tuple(
        Grant(
            component=a.component,
            scopes=frozenset(a.scopes or ()),
            zaaktype=a.zaaktype or "",
            informatieobjecttype=a.informatieobjecttype or "",
            besluittype=a.besluittype or "",
            max_vertrouwelijkheidaanduiding=a.max_vertrouwelijkheidaanduiding or "",
        )
        for a in applicatie.autorisaties
    )
    return Client(
        client_id=client_id,
        applicatie_uuid=str(applicatie.uuid),
        label=applicatie.label,
        heeft_alle_autorisaties=applicatie.heeft_alle_autorisaties,
        grants=grants,
        user_id=user_id,
        user_representation=representation,
        claims=claims,
    )
