"""Shared pieces of the Documenten API routes: dependencies, query-parameter checks, ETag responses."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlsplit
from uuid import UUID

from fastapi import Depends, Request
from starlette.responses import Response

from tenant_runtime.core.auth import Client
from tenant_runtime.core.deps import CurrentTenant, ResolverDep, RuntimeDep, SessionDep, UrlsDep, require_scopes
from tenant_runtime.core.problems import InvalidParam, validation_problem
from tenant_runtime.core.urls import TenantUrls
from tenant_runtime.documenten.expand import Expander
from tenant_runtime.documenten.scopes import (
    COMPONENT,
    SCOPE_DOCUMENTEN_AANMAKEN,
    SCOPE_DOCUMENTEN_BIJWERKEN,
    SCOPE_DOCUMENTEN_LEZEN,
    SCOPE_DOCUMENTEN_LOCK,
    SCOPE_DOCUMENTEN_VERWIJDEREN,
    SCOPES_BESTANDSDEEL,
    SCOPES_UNLOCK,
)
from tenant_runtime.documenten.services.context import WriteContext
from tenant_runtime.storage import ContentStorage, storage_for


def get_storage(runtime: RuntimeDep, tenant: CurrentTenant) -> ContentStorage:
    return storage_for(runtime.settings, tenant.slug)


StorageDep = Annotated[ContentStorage, Depends(get_storage)]


# Clients holding the scopes an operation needs (per informatieobjecttype checks follow in the services).
Reader = Annotated[Client, Depends(require_scopes(COMPONENT, SCOPE_DOCUMENTEN_LEZEN))]
Creator = Annotated[Client, Depends(require_scopes(COMPONENT, SCOPE_DOCUMENTEN_AANMAKEN))]
Updater = Annotated[Client, Depends(require_scopes(COMPONENT, SCOPE_DOCUMENTEN_BIJWERKEN))]
Deleter = Annotated[Client, Depends(require_scopes(COMPONENT, SCOPE_DOCUMENTEN_VERWIJDEREN))]
Locker = Annotated[Client, Depends(require_scopes(COMPONENT, SCOPE_DOCUMENTEN_LOCK))]
Unlocker = Annotated[Client, Depends(require_scopes(COMPONENT, *SCOPES_UNLOCK, any_of=True))]
Uploader = Annotated[Client, Depends(require_scopes(COMPONENT, *SCOPES_BESTANDSDEEL, any_of=True))]


def get_expander(request: Request, session: SessionDep, urls: UrlsDep, resolver: ResolverDep) -> Expander:
    return Expander(session, urls, resolver, request.state.client)


ExpanderDep = Annotated[Expander, Depends(get_expander)]


def write_context(
    request: Request, urls: UrlsDep, resolver: ResolverDep, storage: StorageDep, runtime: RuntimeDep
) -> WriteContext:
    client: Client = request.state.client
    return WriteContext(
        client=client,
        urls=urls,
        resolver=resolver,
        storage=storage,
        part_size=runtime.settings.document_part_size,
        toelichting=request.headers.get("x-audit-toelichting", "")[:1000],
        request_id=request.headers.get("x-nlx-logrecord-id", "")[:64],
    )


def only_params(request: Request, allowed: Iterable[str]) -> None:
    unknown = sorted(set(request.query_params) - set(allowed))
    if unknown:
        raise validation_problem(
            [InvalidParam("nonFieldErrors", "unknown-parameters", f"Onbekende query parameters: {', '.join(unknown)}")]
        )


def url_param(request: Request, name: str) -> str | None:
    value = request.query_params.get(name)
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(value) > 1000:
        raise validation_problem([InvalidParam(name, "invalid", "Voer een geldige URL in.")])
    return value


def local_uuid(urls: TenantUrls, url: str, component: str, resource: str) -> UUID | None:
    """The uuid of a same-tenant resource URL, else None (a filter on it matches nothing)."""
    ref = urls.parse_local(url)
    if ref is None or (ref.component, ref.resource) != (component, resource):
        return None
    return ref.uuid


def int_param(request: Request, name: str) -> int | None:
    value = request.query_params.get(name)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise validation_problem([InvalidParam(name, "invalid", "Een geheel getal is vereist.")]) from None


def datetime_param(request: Request, name: str) -> datetime | None:
    value = request.query_params.get(name)
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise validation_problem(
            [InvalidParam(name, "invalid", "Een datumtijd in ISO 8601-formaat is vereist.")]
        ) from None


def etag_response(request: Request, data: dict[str, Any]) -> Response:
    """A resource with its ETag (computed on its JSON); 304 for a matching If-None-Match; no body for HEAD."""
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    etag = f'"{hashlib.md5(body, usedforsecurity=False).hexdigest()}"'
    wanted = request.headers.get("if-none-match")
    if wanted and (wanted.strip() == "*" or etag in (v.strip() for v in wanted.split(","))):
        return Response(status_code=304, headers={"ETag": etag})
    if request.method == "HEAD":
        return Response(status_code=200, headers={"ETag": etag}, media_type="application/json")
    return Response(body, media_type="application/json", headers={"ETag": etag})
