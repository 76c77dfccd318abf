"""The Zaken API 1.5.1 router (``/zaken/api/v1``), one module per group of resources."""

from __future__ import annotations

from fastapi import APIRouter

from tenant_runtime.zaken.routes import besluiten, relaties, rollen, statussen, zaken

router = APIRouter(prefix="/zaken/api/v1")
for _module in (zaken, statussen, rollen, relaties, besluiten):
    router.include_router(_module.router)
