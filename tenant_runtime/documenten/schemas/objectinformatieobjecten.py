"""Objectinformatieobjecten: the request model (the serializer lives with the service's ``Relation``)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from tenant_runtime.documenten.schemas.common import RequestModel, Url


class ObjectInformatieObjectIn(RequestModel):
    informatieobject: Annotated[Url, Field(max_length=1000)]
    object: Annotated[Url, Field(min_length=1, max_length=1000)]
    object_type: Literal["besluit", "zaak", "verzoek"]
