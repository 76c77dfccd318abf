"""The ``expand`` parameter of the zaak list, detail and _zoek (Zaken API 1.5, ``expand_paden.md``).

``expand=status.statustype,deelzaken.zaaktype`` adds an ``_expand`` object to each zaak holding the expanded
resources, nested the same way (every field on a path is expanded). Only Zaken API resources and Catalogi types
can be expanded (zrc-025); an unknown field is an error (zrc-027). Zaken the client may not read are left out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tenant_runtime.core.auth import Client
from tenant_runtime.core.problems import InvalidParam, Problem
from tenant_runtime.core.resolver import ResolveError, Resolver
from tenant_runtime.zaken.access import zaak_access
from tenant_runtime.zaken.models import (
    Resultaat,
    Rol,
    Status,
    Zaak,
    ZaakEigenschap,
    ZaakInformatieObject,
    ZaakObject,
)
from tenant_runtime.zaken.scopes import SCOPE_ZAKEN_ALLES_LEZEN

CATALOGI = "catalogi"

# resource kind → expandable field → (target kind, is a list)
GRAPH: dict[str, dict[str, tuple[str, bool]]] = {
    "zaak": {
        "zaaktype": (CATALOGI, False),
        "hoofdzaak": ("zaak", False),
        "deelzaken": ("zaak", True),
        "relevanteAndereZaken": ("zaak", True),
        "eigenschappen": ("zaakeigenschap", True),
        "rollen": ("rol", True),
        "status": ("status", False),
        "zaakinformatieobjecten": ("zaakinformatieobject", True),
        "zaakobjecten": ("zaakobject", True),
        "resultaat": ("resultaat", False),
    },
    "zaakeigenschap": {"eigenschap": (CATALOGI, False)},
    "rol": {"roltype": (CATALOGI, False), "statussen": ("status", True)},
    "status": {
        "statustype": (CATALOGI, False),
        "gezetdoor": ("rol", False),
        "zaakinformatieobjecten": ("zaakinformatieobject", True),
    },
    "zaakinformatieobject": {"status": ("status", False)},
    "zaakobject": {"zaakobjecttype": (CATALOGI, False)},
    "resultaat": {"resultaattype": (CATALOGI, False), "resultaattypen": (CATALOGI, False)},
    CATALOGI: {},
}

Tree = dict[str, "Tree"]


def parse_expand(raw: str | None, error_status: int) -> Tree:
    """The expand paths as a tree; an invalid path is a 400 (lists) or 404 (detail) problem."""
    tree: Tree = {}
    if not raw:
        return tree
    for path in raw.split(","):
        path = path.strip()
        if not path:
            continue
        kind, node = "zaak", tree
        for field in path.split("."):
            target = GRAPH[kind].get(field)
            if target is None:
                reason = f"'{path}' is geen geldig expand-pad: '{field}' kan niet geëxpandeerd worden."
                raise Problem(
                    error_status,
                    reason,
                    code="invalid-expand" if error_status == 400 else "not_found",
                    invalid_params=[InvalidParam("expand", "invalid-expand", reason)],
                )
            kind = target[0]
            node = node.setdefault(field, {})
    return tree


@dataclass
class Expander:
    session: Session
    resolver: Resolver
    client: Client

    def __post_init__(self) -> None:
        self.urls = self.resolver.urls
        self._access = zaak_access(self.client, self.urls, [SCOPE_ZAKEN_ALLES_LEZEN])

    # -- entry point -------------------------------------------------------------------------------------------

    def expand_zaken(self, zaken: list[Zaak], bodies: list[dict[str, Any]], tree: Tree) -> None:
        for zaak, body in zip(zaken, bodies, strict=True):
            self._expand("zaak", zaak, body, tree)

    # -- generic walk ------------------------------------------------------------------------------------------

    def _expand(self, kind: str, obj: Any, body: dict[str, Any], tree: Tree) -> None:
        if not tree or kind == CATALOGI:
            return
        expanded: dict[str, Any] = {}
        for field, subtree in tree.items():
            target, many = GRAPH[kind][field]
            value = self._related(kind, obj, field, body)
            if many:
                items = []
                for item in value:
                    item_body = self._serialize(target, item)
                    if item_body is not None:
                        self._expand(target, item, item_body, subtree)
                        items.append(item_body)
                expanded[field] = items
            else:
                item_body = self._serialize(target, value) if value is not None else None
                if item_body is not None:
                    self._expand(target, value, item_body, subtree)
                expanded[field] = item_body
        body["_expand"] = expanded

    def _related(self, kind: str, obj: Any, field: str, body: dict[str, Any]) -> Any:
        s = self.session
        if kind == "zaak":
            zaak: Zaak = obj
            loaders: dict[str, Callable[[], Any]] = {
                "zaaktype": lambda: body.get("zaaktype"),
                "hoofdzaak": lambda: zaak.hoofdzaak,
                "deelzaken": lambda: list(
                    s.scalars(select(Zaak).where(Zaak.hoofdzaak_id == zaak.id).order_by(Zaak.id))
                ),
                "relevanteAndereZaken": lambda: self._relevante(zaak),
                "eigenschappen": lambda: self._children(ZaakEigenschap, zaak),
                "rollen": lambda: self._children(Rol, zaak),
                "status": lambda: s.scalar(
                    select(Status)
                    .where(Status.zaak_id == zaak.id)
                    .order_by(Status.datum_status_gezet.desc(), Status.id.desc())
                    .limit(1)
                ),
                "zaakinformatieobjecten": lambda: self._children(ZaakInformatieObject, zaak),
                "zaakobjecten": lambda: self._children(ZaakObject, zaak),
                "resultaat": lambda: s.scalar(select(Resultaat).where(Resultaat.zaak_id == zaak.id)),
            }
            return loaders[field]()
        if kind == "rol" and field == "statussen":
            return list(s.scalars(select(Status).where(Status.gezetdoor_id == obj.id).order_by(Status.id)))
        if kind == "status" and field == "gezetdoor":
            return obj.gezetdoor
        if kind == "status" and field == "zaakinformatieobjecten":
            return list(
                s.scalars(
                    select(ZaakInformatieObject)
                    .where(ZaakInformatieObject.status_id == obj.id)
                    .order_by(ZaakInformatieObject.id)
                )
            )
        if kind == "zaakinformatieobject" and field == "status":
            return obj.status
        # A Catalogi type: its URL is in the resource's own body.
        key = "resultaattype" if field == "resultaattypen" else field
        return body.get(key) or None

    def _children(self, model: type[Any], zaak: Zaak) -> list[Any]:
        return list(self.session.scalars(select(model).where(model.zaak_id == zaak.id).order_by(model.id)))

    def _relevante(self, zaak: Zaak) -> list[Any]:
        found = []
        for relatie in zaak.relevante_andere_zaken or []:
            ref = self.urls.parse_local(relatie.get("url", ""))
            if ref is not None and (ref.component, ref.resource) == ("zaken", "zaken"):
                other = self.session.scalar(select(Zaak).where(Zaak.uuid == ref.uuid))
                if other is not None:
                    found.append(other)
        return found

    # -- serializing -------------------------------------------------------------------------------------------

    def _serialize(self, kind: str, obj: Any) -> dict[str, Any] | None:
        from tenant_runtime.zaken.schemas.relaties import serialize_zaakeigenschap, serialize_zio
        from tenant_runtime.zaken.schemas.rol import serialize_rol, serialize_zaakobject
        from tenant_runtime.zaken.schemas.status import serialize_resultaat
        from tenant_runtime.zaken.schemas.zaak import serialize_zaken
        from tenant_runtime.zaken.services.statussen import serialize_statussen

        if kind == CATALOGI:
            return self._catalogi_document(obj)
        if kind == "zaak":
            if not self._access.allows(obj):
                return None
            return serialize_zaken(self.session, self.urls, [obj])[0]
        serializers: dict[str, Callable[[Any], dict[str, Any]]] = {
            "status": lambda o: serialize_statussen(self.session, self.urls, [o])[0],
            "rol": lambda o: serialize_rol(self.urls, o),
            "zaakobject": lambda o: serialize_zaakobject(self.urls, o),
            "zaakinformatieobject": lambda o: serialize_zio(self.urls, o),
            "zaakeigenschap": lambda o: serialize_zaakeigenschap(self.urls, o),
            "resultaat": lambda o: serialize_resultaat(self.urls, o),
        }
        return serializers[kind](obj)

    def _catalogi_document(self, url: str) -> dict[str, Any] | None:
        """The Catalogi resource behind a type URL: this tenant's Catalogi API or a configured remote one."""
        from tenant_runtime.zaken.catalogi_documents import SERIALIZERS, local_document

        ref = self.urls.parse_local(url)
        try:
            if ref is None:
                return self.resolver.fetch(url)
            if ref.component != "catalogi" or ref.resource not in SERIALIZERS:
                return None
            found = self.resolver.resolve(url, "catalogi", ref.resource)
        except ResolveError:
            return None
        return local_document(self.session, self.urls, ref.resource, found.local)
