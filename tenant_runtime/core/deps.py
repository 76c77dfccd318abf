"""FastAPI dependencies of the ZGW APIs as ``Annotated`` aliases: tenant, database session, client, URLs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from tenant_runtime.container import Runtime
from tenant_runtime.core.auth import Client
from tenant_runtime.core.problems import Problem
from tenant_runtime.core.resolver import Resolver
from tenant_runtime.core.urls import TenantUrls, request_base_url
from tenant_runtime.registry.repository import TenantInfo


def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime  # type: ignore[no-any-return]


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_tenant(request: Request) -> TenantInfo:
    tenant: TenantInfo | None = getattr(request.state, "tenant", None)
    if tenant is None:
        raise Problem(
            404, "Geen tenant: gebruik /t/<gemeente>/... of de host naam van de gemeente.", code="tenant_not_found"
        )
    return tenant


CurrentTenant = Annotated[TenantInfo, Depends(get_tenant)]


def get_engine(runtime: RuntimeDep, tenant: CurrentTenant) -> Engine:
    return runtime.engines.get(tenant.database_url)


TenantEngine = Annotated[Engine, Depends(get_engine)]


def get_session(engine: TenantEngine) -> Iterator[Session]:
    """A session on the tenant's own database. Services commit their writes; anything else is rolled back."""
    with Session(engine, expire_on_commit=False) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def get_urls(request: Request, runtime: RuntimeDep, tenant: CurrentTenant) -> TenantUrls:
    settings = runtime.settings
    return TenantUrls(
        request_base_url(request, settings.public_url),
        tenant.slug,
        settings.base_domain,
        pinned=bool(settings.pinned_tenant),
    )


UrlsDep = Annotated[TenantUrls, Depends(get_urls)]


def get_client(request: Request, runtime: RuntimeDep, tenant: CurrentTenant, engine: TenantEngine) -> Client:
    client = runtime.clients.authenticate(tenant.slug, engine, request.headers.get("authorization"))
    request.state.client = client
    return client


CurrentClient = Annotated[Client, Depends(get_client)]


def require_scopes(component: str, *scopes: str, any_of: bool = False) -> Callable[..., Client]:
    """A dependency that authenticates and demands ``scopes`` on ``component`` (all of them, or any)."""

    def dependency(client: CurrentClient) -> Client:
        allowed = client.has_any_scope(component, scopes) if any_of else client.has_scopes(component, scopes)
        if not allowed:
            raise Problem(403, "Je hebt geen toestemming om deze actie uit te voeren.", code="permission_denied")
        return client

    return dependency


def get_resolver(session: SessionDep, urls: UrlsDep, runtime: RuntimeDep) -> Resolver:
    settings = runtime.settings
    return Resolver(
        session,
        urls,
        external_api_roots=settings.external_api_roots,
        external_api_credentials=settings.external_api_credentials,
    )


ResolverDep = Annotated[Resolver, Depends(get_resolver)]
