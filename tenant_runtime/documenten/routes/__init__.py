"""The Documenten API 1.4.2 (``/documenten/api/v1``), one module per resource."""

from __future__ import annotations

from fastapi import APIRouter

from tenant_runtime.documenten.routes import bestandsdelen, enkelvoudiginformatieobjecten

router = APIRouter(prefix="/documenten/api/v1")
router.include_router(enkelvoudiginformatieobjecten.router)
router.include_router(bestandsdelen.router)
