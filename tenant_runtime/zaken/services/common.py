"""Helpers every Zaken service uses: lookups by uuid (404) and references to zaken of this tenant."""

from __future__ import annotations

from typing import Any, TypeVar
from uuid import UUID

from sqlalchemy import ColumnElement, Select, false, select
from sqlalchemy.orm import Session

from tenant_runtime.core.auth import Client
from tenant_runtime.core.problems import InvalidParam, Problem, validation_problem
from tenant_runtime.core.urls import TenantUrls
from tenant_runtime.zaken.access import zaak_access
from tenant_runtime.zaken.events import WriteContext
from tenant_runtime.zaken.models import Zaak
from tenant_runtime.zaken.scopes import SCOPE_ZAKEN_ALLES_LEZEN

M = TypeVar("M")


def not_found() -> Problem:
    return Problem(404, "Niet gevonden.", code="not_found")


def parse_uuid(raw: str) -> UUID:
    try:
        return UUID(raw)
    except ValueError:
        raise not_found() from None


def get_or_404(session: Session, model: type[M], raw_uuid: str) -> M:
    column: Any = model.uuid  # type: ignore[attr-defined]
    obj: M | None = session.scalars(select(model).where(column == parse_uuid(raw_uuid))).first()
    if obj is None:
        raise not_found()
    return obj


def local_zaak(session: Session, urls: TenantUrls, url: str, field_name: str = "zaak") -> Zaak:
    """The zaak of this tenant a URL points to, or a 400 ``bad-url`` naming ``field_name``."""
    ref = urls.parse_local(url)
    if ref is None or (ref.component, ref.resource) != ("zaken", "zaken"):
        raise validation_problem([InvalidParam(field_name, "bad-url", "De URL verwijst niet naar een zaak.")])
    zaak = session.scalar(select(Zaak).where(Zaak.uuid == ref.uuid))
    if zaak is None:
        raise validation_problem(
            [InvalidParam(field_name, "bad-url", "De URL verwijst naar een zaak die niet bestaat.")]
        )
    return zaak


def invalid(name: str, code: str, reason: str) -> Problem:
    return validation_problem([InvalidParam(name, code, reason)])


def changed(old: Any, new: Any) -> bool:
    return bool(old != new)


def readable(session: Session, client: Client, urls: TenantUrls, model: type[Any]) -> Select[Any]:
    """``SELECT model`` limited to rows of zaken the client may read (zrc-006), for the sub-resource lists."""
    query = select(model).join(Zaak, Zaak.id == model.zaak_id)
    clause = zaak_access(client, urls, [SCOPE_ZAKEN_ALLES_LEZEN]).clause(session)
    return query.where(clause) if clause is not None else query


def zaak_condition(urls: TenantUrls, model: type[Any], value: str) -> ColumnElement[bool]:
    """``?zaak=<url>`` on a sub-resource list: a URL that is no zaak of this tenant matches nothing."""
    ref = urls.parse_local(value)
    if ref is None or (ref.component, ref.resource) != ("zaken", "zaken"):
        return false()
    return model.zaak_id == select(Zaak.id).where(Zaak.uuid == ref.uuid).scalar_subquery()  # type: ignore[no-any-return]


def type_condition(
    urls: TenantUrls, local_column: Any, url_column: Any, type_model: type[Any], value: str
) -> ColumnElement[bool]:
    """``?statustype=<url>`` and the like: a local type by id, a remote one by URL."""
    ref = urls.parse_local(value)
    if ref is not None:
        return local_column == select(type_model.id).where(type_model.uuid == ref.uuid).scalar_subquery()  # type: ignore[no-any-return]
    return url_column == value  # type: ignore[no-any-return]


def ctx_for(client: Client, urls: TenantUrls, toelichting: str = "") -> WriteContext:
    return WriteContext(client, urls, toelichting)
