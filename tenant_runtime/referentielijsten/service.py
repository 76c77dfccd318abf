"""Reading the reference lists, and resolving Selectielijst URLs without network access.

A Selectielijst URL (``selectielijstProcestype``, ``selectielijstklasse``, ``resultaattypeomschrijving``) is
answered from the shipped data when it points at this runtime's own ``/referentielijsten/api/v1`` or at the
configured Selectielijst API root (``ZGW_RUNTIME_SELECTIELIJST_API_ROOT``, e.g. the public VNG service whose
data we ship); any other URL is fetched through the core resolver, which only reaches configured external roots.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from tenant_runtime.core.problems import Problem
from tenant_runtime.core.resolver import ResolveError, Resolver
from tenant_runtime.core.urls import TenantUrls
from tenant_runtime.referentielijsten.data import RESOURCES, dataset, find

API_PATH = "/referentielijsten/api/v1"
COMPONENT = "referentielijsten"
_END = re.compile(r"/(?P<resource>[a-z]+)/(?P<uuid>[0-9a-fA-F-]{36})/?$")
_TAIL = re.compile(r"^/?(?P<resource>[a-z]+)/(?P<uuid>[0-9a-fA-F-]{36})/?$")


def api_root(urls: TenantUrls) -> str:
    return urls.api_root(COMPONENT)


def serialize(urls: TenantUrls, resource: str, item: dict[str, Any]) -> dict[str, Any]:
    """An item with its bare UUIDs turned into absolute URLs under this runtime's API."""
    root = api_root(urls)
    body = dict(item)
    body["url"] = f"{root}/{resource}/{item['url']}"
    if resource == "resultaten":
        body["procesType"] = f"{root}/procestypen/{item['procesType']}"
    return body


def get(resource: str, identifier: str) -> dict[str, Any]:
    item = find(resource, identifier)
    if item is None:
        raise Problem(404, "Niet gevonden.", code="not_found")
    return item


def procestypen(jaar: str | None) -> list[dict[str, Any]]:
    items = dataset("procestypen").items
    if jaar is None or jaar == "":
        return list(items)
    return [item for item in items if str(item.get("jaar")) == jaar.strip()]


def resultaten(proces_type_uuid: str | None) -> list[dict[str, Any]]:
    items = dataset("resultaten").items
    if proces_type_uuid is None:
        return list(items)
    return [item for item in items if str(item["procesType"]).lower() == proces_type_uuid.lower()]


def uuid_from_url(url: str, resource: str) -> str | None:
    """The UUID in ``.../<resource>/<uuid>``, or None."""
    match = _END.search(url)
    if match is None or match.group("resource") != resource:
        return None
    return match.group("uuid").lower()


@dataclass(frozen=True, slots=True)
class Selectielijst:
    """Resolves Selectielijst URLs for one request (local data first, configured remotes otherwise)."""

    urls: TenantUrls
    resolver: Resolver
    configured_root: str

    def roots(self) -> tuple[str, ...]:
        own = api_root(self.urls) + "/"
        configured = self.configured_root.strip()
        if not configured:
            return (own,)
        if configured.startswith("/"):
            configured = self.urls.base_url + configured
        return (own, configured.rstrip("/") + "/")

    def is_local(self, url: str) -> bool:
        return url.startswith(self.roots())

    def resolve(self, url: str, resource: str) -> dict[str, Any]:
        """The item ``url`` points to (with absolute URLs as the URL's own API has them); ResolveError if none."""
        if resource not in RESOURCES:
            raise KeyError(resource)
        for root in self.roots():
            if url.startswith(root):
                rest = url[len(root) :]
                match = _TAIL.match(rest)
                if match is None or match.group("resource") != resource:
                    raise ResolveError("bad-url", f"De URL verwijst niet naar een {resource} resource.")
                item = find(resource, match.group("uuid"))
                if item is None:
                    raise ResolveError("bad-url", "De URL verwijst naar een object dat niet bestaat.")
                body = dict(item)
                body["url"] = url
                if resource == "resultaten":
                    body["procesType"] = f"{root}procestypen/{item['procesType']}"
                return body
        document = self.resolver.fetch(url)
        if "url" not in document:
            raise ResolveError("invalid-resource", f"De URL verwijst niet naar een geldig {resource} object.")
        return document

    def same_procestype(self, a: str, b: str) -> bool:
        """Whether two procestype URLs name the same procestype (the shipped data is served under several roots)."""
        if a == b:
            return True
        if self.is_local(a) and self.is_local(b):
            return uuid_from_url(a, "procestypen") == uuid_from_url(b, "procestypen") is not None
        return False


def dataset_items(resource: str) -> list[dict[str, Any]]:
    return list(dataset(resource).items)
