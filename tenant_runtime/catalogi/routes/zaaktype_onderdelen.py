"""The sub-types of a zaaktype: statustypen, roltypen, resultaattypen, eigenschappen, zaakobjecttypen and
zaaktype-informatieobjecttypen."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter

from tenant_runtime.catalogi import serializers
from tenant_runtime.catalogi.models import (
    Eigenschap,
    ResultaatType,
    RolType,
    StatusType,
    ZaakObjectType,
    ZaakTypeInformatieObjectType,
)
from tenant_runtime.catalogi.routes.common import Resource, register
from tenant_runtime.catalogi.schemas import (
    EigenschapIn,
    ResultaatTypeIn,
    RolTypeIn,
    StatusTypeIn,
    ZaakObjectTypeIn,
    ZaakTypeInformatieObjectTypeIn,
)
from tenant_runtime.catalogi.services import resultaattype, subtypes
from tenant_runtime.catalogi.services.common import Ctx

SUB_FILTERS = ("zaaktype", "zaaktypeIdentificatie", "status", "datumGeldigheid")


def _create(write: Callable[[Ctx, Any, Any], Any]) -> Callable[[Ctx, Any], Any]:
    return lambda ctx, data: write(ctx, None, data)


def _update(write: Callable[[Ctx, Any, Any], Any]) -> Callable[[Ctx, Any, Any, set[str] | None], Any]:
    return lambda ctx, obj, data, _keys: write(ctx, obj, data)


def _sub(
    path: str,
    model: type[Any],
    schema: Any,
    serialize: Callable[[serializers.Out, Any], dict[str, Any]],
    state: Callable[[Ctx, Any], dict[str, Any]],
    write: Callable[[Ctx, Any, Any], Any],
    query: Any,
    filters: tuple[str, ...] = SUB_FILTERS,
    list_moment: str | None = "datumGeldigheid",
) -> Resource:
    return Resource(
        path=path,
        model=model,
        schema=schema,
        serialize=serialize,
        state=state,
        create=_create(write),
        update=_update(write),
        delete=subtypes.delete,
        query=query,
        filters=filters,
        list_moment=list_moment,
    )


RESOURCES = (
    _sub(
        "statustypen",
        StatusType,
        StatusTypeIn,
        serializers.statustype,
        subtypes.statustype_state,
        subtypes.write_statustype,
        subtypes.statustype_query,
    ),
    _sub(
        "roltypen",
        RolType,
        RolTypeIn,
        serializers.roltype,
        subtypes.roltype_state,
        subtypes.write_roltype,
        subtypes.roltype_query,
        filters=(*SUB_FILTERS, "omschrijvingGeneriek"),
    ),
    _sub(
        "resultaattypen",
        ResultaatType,
        ResultaatTypeIn,
        serializers.resultaattype,
        resultaattype.state,
        resultaattype.write,
        resultaattype.list_query,
        filters=("zaaktype", "zaaktype_identificatie", "status", "datum_geldigheid"),
        list_moment="datum_geldigheid",
    ),
    _sub(
        "eigenschappen",
        Eigenschap,
        EigenschapIn,
        serializers.eigenschap,
        subtypes.eigenschap_state,
        subtypes.write_eigenschap,
        subtypes.eigenschap_query,
    ),
    _sub(
        "zaakobjecttypen",
        ZaakObjectType,
        ZaakObjectTypeIn,
        serializers.zaakobjecttype,
        subtypes.zaakobjecttype_state,
        subtypes.write_zaakobjecttype,
        subtypes.zaakobjecttype_query,
        filters=(
            "anderObjecttype",
            "catalogus",
            "datumBeginGeldigheid",
            "datumEindeGeldigheid",
            "datumGeldigheid",
            "objecttype",
            "relatieOmschrijving",
            "zaaktype",
            "zaaktypeIdentificatie",
        ),
    ),
    _sub(
        "zaaktype-informatieobjecttypen",
        ZaakTypeInformatieObjectType,
        ZaakTypeInformatieObjectTypeIn,
        serializers.zaaktype_informatieobjecttype,
        subtypes.ziot_state,
        subtypes.write_ziot,
        subtypes.ziot_query,
        filters=("zaaktype", "informatieobjecttype", "richting", "status"),
        list_moment=None,
    ),
)


def register_all(router: APIRouter) -> None:
    for resource in RESOURCES:
        register(router, resource)
