"""Routes of the Catalogi API 1.3.1 (``/catalogi/api/v1``): one module per resource group."""

from __future__ import annotations

from fastapi import APIRouter

from tenant_runtime.catalogi.routes import catalogussen, typen, zaaktype_onderdelen

router = APIRouter(prefix="/catalogi/api/v1", tags=["catalogi"])
router.include_router(catalogussen.router)
typen.register_all(router)
zaaktype_onderdelen.register_all(router)

__all__ = ["router"]
