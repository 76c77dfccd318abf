"""Routes: the Referentielijsten & Selectielijst API 0.6.0 (``/referentielijsten/api/v1``), read-only and
public (reference lists need no autorisatie), served from the shipped data."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request

from tenant_runtime.core.deps import UrlsDep
from tenant_runtime.core.pagination import DEFAULT_PAGE_SIZE, page_number, page_url
from tenant_runtime.core.problems import InvalidParam, Problem, validation_problem
from tenant_runtime.referentielijsten import service

router = APIRouter(prefix=service.API_PATH, tags=["referentielijsten"])


@router.get("/procestypen", response_model=None)
def procestypen_list(urls: UrlsDep, jaar: str | None = None) -> list[dict[str, Any]]:
    return [service.serialize(urls, "procestypen", item) for item in service.procestypen(jaar)]


@router.get("/procestypen/{uuid}", response_model=None)
def procestype_read(uuid: UUID, urls: UrlsDep) -> dict[str, Any]:
    return service.serialize(urls, "procestypen", service.get("procestypen", str(uuid)))


@router.get("/resultaten", response_model=None)
def resultaten_list(request: Request, urls: UrlsDep, proces_type: str | None = None) -> dict[str, Any]:
    proces_type_uuid = None
    if proces_type is not None:
        proces_type_uuid = service.uuid_from_url(proces_type, "procestypen")
        if proces_type_uuid is None:
            raise validation_problem(
                [InvalidParam("procesType", "invalid", "Voer een geldige URL naar een procestype in.")]
            )
    items = service.resultaten(proces_type_uuid)
    page = page_number(request.query_params.get("page"))
    last_page = max(1, -(-len(items) // DEFAULT_PAGE_SIZE))
    if page > last_page:
        raise Problem(404, "Ongeldige pagina.", code="not_found")
    chunk = items[(page - 1) * DEFAULT_PAGE_SIZE : page * DEFAULT_PAGE_SIZE]
    return {
        "count": len(items),
        "next": page_url(request, urls.base_url, page + 1 if page < last_page else None),
        "previous": page_url(request, urls.base_url, page - 1 if page > 1 else None),
        "results": [service.serialize(urls, "resultaten", item) for item in chunk],
    }


@router.get("/resultaten/{uuid}", response_model=None)
def resultaat_read(uuid: UUID, urls: UrlsDep) -> dict[str, Any]:
    return service.serialize(urls, "resultaten", service.get("resultaten", str(uuid)))


@router.get("/resultaattypeomschrijvingen", response_model=None)
def resultaattypeomschrijvingen_list(urls: UrlsDep) -> list[dict[str, Any]]:
    items = service.dataset_items("resultaattypeomschrijvingen")
    return [service.serialize(urls, "resultaattypeomschrijvingen", item) for item in items]


@router.get("/resultaattypeomschrijvingen/{uuid}", response_model=None)
def resultaattypeomschrijving_read(uuid: UUID, urls: UrlsDep) -> dict[str, Any]:
    item = service.get("resultaattypeomschrijvingen", str(uuid))
    return service.serialize(urls, "resultaattypeomschrijvingen", item)
