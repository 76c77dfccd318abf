"""Turning a resource URL into an object: same-tenant URLs are resolved directly in the tenant database,
other URLs are fetched over HTTP with timeouts and cached for the request.

Components register a loader for each resource other components may reference, e.g. the Catalogi API
registers ``("catalogi", "zaaktypen")``. A same-tenant URL whose resource has no loader, or whose object does
not exist, is a validation error with code ``bad-url``; a remote URL that does not answer 200 with JSON is
``bad-url`` too, and one that answers with the wrong shape ``invalid-resource``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import httpx
from sqlalchemy.orm import Session

from tenant_runtime.autorisaties.admin import make_jwt
from tenant_runtime.config import ExternalApiCredential
from tenant_runtime.core.problems import InvalidParam
from tenant_runtime.core.urls import TenantUrls

LocalLoader = Callable[[Session, UUID], Any | None]
_LOCAL_LOADERS: dict[tuple[str, str], LocalLoader] = {}

REMOTE_TIMEOUT = httpx.Timeout(5.0, connect=2.0)


def external_headers(url: str, credentials: Mapping[str, ExternalApiCredential]) -> dict[str, str]:
    """Headers of a request to an external ZGW API: JSON, and a fresh JWT where a credential covers ``url``."""
    headers = {"Accept": "application/json"}
    roots = [root for root in credentials if url.startswith(root.rstrip("/") + "/") or url == root.rstrip("/")]
    if roots:
        credential = credentials[max(roots, key=len)]
        token = make_jwt(credential.client_id, credential.secret.get_secret_value(), user_representation="zgw-cloud")
        headers["Authorization"] = f"Bearer {token}"
    return headers


def register_local(component: str, resource: str, loader: LocalLoader) -> None:
    """Make ``<component>/api/v1/<resource>/<uuid>`` URLs of this tenant resolvable without HTTP."""
    _LOCAL_LOADERS[(component, resource)] = loader


class ResolveError(Exception):
    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason

    def param(self, name: str) -> InvalidParam:
        return InvalidParam(name, self.code, self.reason)


@dataclass(frozen=True, slots=True)
class Resolved:
    """Either a local ORM object, or the JSON document of a remote resource."""

    url: str
    local: Any | None = None
    remote: dict[str, Any] | None = None

    @property
    def is_local(self) -> bool:
        return self.local is not None


class Resolver:
    """Per-request resolver (its remote cache lives as long as the request).

    Only URLs below one of ``external_api_roots`` are fetched: the runtime never sends requests to hosts an
    operator did not configure (no server-side request forgery through reference fields).
    """

    def __init__(
        self,
        session: Session,
        urls: TenantUrls,
        http: httpx.Client | None = None,
        external_api_roots: Sequence[str] = (),
        external_api_credentials: Mapping[str, ExternalApiCredential] | None = None,
    ) -> None:
        self.session = session
        self.urls = urls
        self._http = http
        self._roots = tuple(root if root.endswith("/") else root + "/" for root in external_api_roots)
        self._credentials = external_api_credentials or {}
        self._remote_cache: dict[str, dict[str, Any]] = {}

    def is_local(self, url: str) -> bool:
        return self.urls.parse_local(url) is not None

    def may_fetch(self, url: str) -> bool:
        """Whether ``url`` lies below a configured external API root."""
        return bool(self._roots) and url.startswith(self._roots)

    def request_headers(self, url: str) -> dict[str, str]:
        return external_headers(url, self._credentials)

    def resolve(
        self, url: str, component: str, resource: str, check: Callable[[dict[str, Any]], bool] | None = None
    ) -> Resolved:
        """Resolve ``url`` that must point at a ``component``/``resource`` object."""
        ref = self.urls.parse_local(url)
        if ref is not None:
            if (ref.component, ref.resource) != (component, resource):
                raise ResolveError("bad-url", f"De URL verwijst niet naar een {resource} resource.")
            loader = _LOCAL_LOADERS.get((component, resource))
            obj = loader(self.session, ref.uuid) if loader else None
            if obj is None:
                raise ResolveError("bad-url", "De URL verwijst naar een object dat niet bestaat.")
            return Resolved(url=url, local=obj)
        document = self.fetch(url)
        if check is not None and not check(document):
            raise ResolveError("invalid-resource", f"De URL verwijst niet naar een geldig {resource} object.")
        return Resolved(url=url, remote=document)

    def fetch(self, url: str) -> dict[str, Any]:
        if url in self._remote_cache:
            return self._remote_cache[url]
        if not self.may_fetch(url):
            raise ResolveError("bad-url", "De URL hoort niet bij deze omgeving of bij een geconfigureerde externe API.")
        http = self._http or httpx.Client(timeout=REMOTE_TIMEOUT, follow_redirects=False)
        try:
            response = http.get(url, headers=self.request_headers(url))
        except httpx.HTTPError as exc:
            raise ResolveError("bad-url", f"De URL kon niet opgehaald worden: {type(exc).__name__}.") from None
        finally:
            if self._http is None:
                http.close()
        if response.status_code != 200:
            raise ResolveError("bad-url", f"De URL gaf status {response.status_code}.")
        try:
            document = response.json()
        except ValueError:
            raise ResolveError("invalid-resource", "De URL gaf geen JSON.") from None
        if not isinstance(document, dict):
            raise ResolveError("invalid-resource", "De URL gaf geen JSON object.")
        self._remote_cache[url] = document
        return document
