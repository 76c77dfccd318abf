"""The Documenten API 1.4.2 (``/documenten/api/v1``), one module per resource."""

from __future__ import annotations

from fastapi import APIRouter

from tenant_runtime.documenten.routes import (
    bestandsdelen,
    enkelvoudiginformatieobjecten,
    gebruiksrechten,
    objectinformatieobjecten,
    verzendingen,
)

router = APIRouter(prefix="/documenten/api/v1")
for module in (enkelvoudiginformatieobjecten, bestandsdelen, gebruiksrechten, objectinformatieobjecten, verzendingen):
    router.include_router(module.router)
