"""Each API serves its official OpenAPI document at the standard path ``/<api>/api/v1/schema/openapi.yaml``."""

from __future__ import annotations

import json

from fastapi import APIRouter
from fastapi.responses import Response

from tenant_runtime.core.problems import Problem
from tenant_runtime.openapi import SPECS, spec_document, spec_text

router = APIRouter(tags=["openapi"], include_in_schema=False)


def _known(component: str) -> str:
    if component not in SPECS:
        raise Problem(404, f"Onbekende API '{component}'.")
    return component


@router.get("/{component}/api/v1/schema/openapi.yaml")
def openapi_yaml(component: str) -> Response:
    return Response(spec_text(_known(component)), media_type="application/vnd.oai.openapi; charset=utf-8")


@router.get("/{component}/api/v1/schema/openapi.json")
def openapi_json(component: str) -> Response:
    return Response(json.dumps(spec_document(_known(component))), media_type="application/vnd.oai.openapi+json")
