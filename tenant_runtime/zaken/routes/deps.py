"""Dependencies shared by the Zaken API routes: scope checks per operation and the write context."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from tenant_runtime.core.auth import Client
from tenant_runtime.core.deps import CurrentClient, UrlsDep, require_scopes
from tenant_runtime.zaken.events import WriteContext
from tenant_runtime.zaken.http import audit_toelichting, negotiate_crs
from tenant_runtime.zaken.scopes import (
    COMPONENT,
    SCOPE_AUDITTRAILS_LEZEN,
    SCOPE_ZAKEN_ALLES_LEZEN,
    SCOPE_ZAKEN_ALLES_VERWIJDEREN,
    SCOPE_ZAKEN_BIJWERKEN,
    SCOPE_ZAKEN_CREATE,
    SCOPES_RELATED_CREATE,
    SCOPES_RELATED_DELETE,
    SCOPES_STATUS_CREATE,
    SCOPES_UPDATE,
)

Reader = Annotated[Client, Depends(require_scopes(COMPONENT, SCOPE_ZAKEN_ALLES_LEZEN))]
Creator = Annotated[Client, Depends(require_scopes(COMPONENT, SCOPE_ZAKEN_CREATE))]
Updater = Annotated[Client, Depends(require_scopes(COMPONENT, *SCOPES_UPDATE, any_of=True))]
Bijwerker = Annotated[Client, Depends(require_scopes(COMPONENT, SCOPE_ZAKEN_BIJWERKEN))]
Deleter = Annotated[Client, Depends(require_scopes(COMPONENT, SCOPE_ZAKEN_ALLES_VERWIJDEREN))]
StatusCreator = Annotated[Client, Depends(require_scopes(COMPONENT, *SCOPES_STATUS_CREATE, any_of=True))]
RelatedCreator = Annotated[Client, Depends(require_scopes(COMPONENT, *SCOPES_RELATED_CREATE, any_of=True))]
RelatedDeleter = Annotated[Client, Depends(require_scopes(COMPONENT, *SCOPES_RELATED_DELETE, any_of=True))]
AuditReader = Annotated[Client, Depends(require_scopes(COMPONENT, SCOPE_AUDITTRAILS_LEZEN))]


def crs(request: Request) -> None:
    negotiate_crs(request)


Crs = Annotated[None, Depends(crs)]


def write_context(request: Request, urls: UrlsDep, client: CurrentClient) -> WriteContext:
    return WriteContext(client, urls, audit_toelichting(request))


Ctx = Annotated[WriteContext, Depends(write_context)]
