"""Absolute URLs for resources, and recognising URLs that point into the same tenant.

Resources reference each other by absolute URL. The runtime emits URLs under the request's base (scheme and host
from ``ZGW_RUNTIME_PUBLIC_URL`` or ``X-Forwarded-*``/Host, plus the ``/t/<slug>`` prefix when routed by path).
A URL counts as same-tenant when its path is ``[/t/<slug>]/<component>/api/v1/<resource>/<uuid>`` and it addresses
this tenant by path prefix, host name, or the request's own host; such references are resolved locally.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.requests import Request

_RESOURCE_PATH = re.compile(
    r"^(?:/t/(?P<slug>[a-z0-9-]+))?/(?P<component>[a-z]+)/api/v1/(?P<resource>[a-z_-]+(?:/[^/]+)*?)/(?P<uuid>[0-9a-fA-F-]{36})/?$"
)


@dataclass(frozen=True, slots=True)
class ResourceRef:
    component: str
    resource: str
    uuid: uuid.UUID


def request_base_url(request: Request, public_url: str = "") -> str:
    """scheme://host[:port][/t/<slug>] for this request, honouring a proxy's X-Forwarded-* headers."""
    root_path = str(request.scope.get("root_path", ""))
    if public_url:
        return public_url.rstrip("/") + root_path
    headers = request.headers
    scheme = headers.get("x-forwarded-proto", "").split(",")[0].strip() or request.url.scheme
    host = headers.get("x-forwarded-host", "").split(",")[0].strip() or headers.get("host") or request.url.netloc
    prefix = headers.get("x-forwarded-prefix", "").rstrip("/")
    return f"{scheme}://{host}{prefix}{root_path}"


class TenantUrls:
    """URL building and same-tenant recognition for one request."""

    def __init__(self, base_url: str, slug: str, base_domain: str, pinned: bool) -> None:
        self.base_url = base_url.rstrip("/")
        self.slug = slug
        self._base_host = urlsplit(self.base_url).netloc.lower()
        self._tenant_host = f"{slug}.{base_domain}".lower()
        self._pinned = pinned

    def api_root(self, component: str) -> str:
        return f"{self.base_url}/{component}/api/v1"

    def resource(self, component: str, resource: str, identifier: uuid.UUID | str) -> str:
        return f"{self.base_url}/{component}/api/v1/{resource}/{identifier}"

    def parse_local(self, url: str) -> ResourceRef | None:
        """The resource a URL points to when it is inside this tenant, else None."""
        try:
            parts = urlsplit(url)
        except ValueError:
            return None
        if parts.scheme not in ("http", "https"):
            return None
        path = parts.path
        prefix = urlsplit(self.base_url).path
        host = parts.netloc.lower()
        # Paths below a proxy prefix: strip the part of our own base path that precedes /t/<slug>.
        outer = prefix.split("/t/")[0] if "/t/" in prefix else prefix
        if outer and path.startswith(outer + "/"):
            path = path[len(outer) :]
        match = _RESOURCE_PATH.match(path)
        if match is None:
            return None
        slug = match.group("slug")
        if slug is not None:
            if slug != self.slug:
                return None
        elif (
            not (self._pinned and host == self._base_host)
            and host not in (self._tenant_host,)
            and not (host == self._base_host and not self._base_has_prefix())
        ):
            return None
        try:
            identifier = uuid.UUID(match.group("uuid"))
        except ValueError:
            return None
        return ResourceRef(match.group("component"), match.group("resource"), identifier)

    def _base_has_prefix(self) -> bool:
        return "/t/" in urlsplit(self.base_url).path
