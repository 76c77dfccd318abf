"""Catalogi resources of this tenant as the Catalogi API shows them (for ``expand``), via its serializers."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from tenant_runtime.core.urls import TenantUrls

# URL resource name → name of the serializer function in tenant_runtime.catalogi.serializers
SERIALIZERS = {
    "catalogussen": "catalogus",
    "zaaktypen": "zaaktype",
    "statustypen": "statustype",
    "roltypen": "roltype",
    "resultaattypen": "resultaattype",
    "eigenschappen": "eigenschap",
    "zaakobjecttypen": "zaakobjecttype",
    "zaaktype-informatieobjecttypen": "zaaktype_informatieobjecttype",
    "informatieobjecttypen": "informatieobjecttype",
    "besluittypen": "besluittype",
}


def local_document(session: Session, urls: TenantUrls, resource: str, obj: Any) -> dict[str, Any]:
    from tenant_runtime.catalogi import serializers

    serialize = getattr(serializers, SERIALIZERS[resource])
    document: dict[str, Any] = serialize(serializers.Out(session, urls), obj)
    return document
