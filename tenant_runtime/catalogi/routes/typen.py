"""Zaaktypen, informatieobjecttypen and besluittypen: versioned types with a concept lifecycle and /publish."""

from __future__ import annotations

from fastapi import APIRouter

from tenant_runtime.catalogi import serializers
from tenant_runtime.catalogi.models import BesluitType, InformatieObjectType, ZaakType
from tenant_runtime.catalogi.routes.common import Resource, register, write_scope, zaaktype_read_scope
from tenant_runtime.catalogi.schemas import BesluitTypeIn, InformatieObjectTypeIn, ZaakTypeIn
from tenant_runtime.catalogi.services import besluittype, informatieobjecttype, zaaktype

ZAAKTYPEN = Resource(
    path="zaaktypen",
    model=ZaakType,
    schema=ZaakTypeIn,
    serialize=serializers.zaaktype,
    state=zaaktype.writable_state,
    create=zaaktype.create,
    update=zaaktype.update,
    delete=zaaktype.delete,
    query=zaaktype.list_query,
    filters=("catalogus", "identificatie", "trefwoorden", "status", "datumGeldigheid"),
    create_scope=write_scope,
    read_scope=zaaktype_read_scope,
    delete_status=200,
    publish=zaaktype.publish,
    retrieve_moment=True,
)

INFORMATIEOBJECTTYPEN = Resource(
    path="informatieobjecttypen",
    model=InformatieObjectType,
    schema=InformatieObjectTypeIn,
    serialize=serializers.informatieobjecttype,
    state=informatieobjecttype.writable_state,
    create=informatieobjecttype.create,
    update=informatieobjecttype.update,
    delete=informatieobjecttype.delete,
    query=informatieobjecttype.list_query,
    filters=("catalogus", "status", "datumGeldigheid", "omschrijving"),
    create_scope=write_scope,
    # The 1.3.1 document lists 200 (not 201) for creating an informatieobjecttype.
    create_status=200,
    delete_status=200,
    publish=informatieobjecttype.publish,
)

BESLUITTYPEN = Resource(
    path="besluittypen",
    model=BesluitType,
    schema=BesluitTypeIn,
    serialize=serializers.besluittype,
    state=besluittype.writable_state,
    create=besluittype.create,
    update=besluittype.update,
    delete=besluittype.delete,
    query=besluittype.list_query,
    filters=("catalogus", "zaaktypen", "informatieobjecttypen", "status", "omschrijving", "datumGeldigheid"),
    create_scope=write_scope,
    delete_status=200,
    publish=besluittype.publish,
)


def register_all(router: APIRouter) -> None:
    for resource in (ZAAKTYPEN, INFORMATIEOBJECTTYPEN, BESLUITTYPEN):
        register(router, resource)
