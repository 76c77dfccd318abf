"""Query filters of the Zaken API list endpoints (and the body of ``POST /zaken/_zoek``), as SQL conditions.

Values come from the query string (``__in`` lists comma separated) or from a JSON body (lists as lists); a value
that cannot be parsed is a 400 with the parameter's name. Unknown parameters are ignored, as in the reference.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Select, or_, select
from sqlalchemy.orm import InstrumentedAttribute

from tenant_runtime.catalogi.models import ZaakType
from tenant_runtime.core.problems import InvalidParam, validation_problem
from tenant_runtime.core.urls import TenantUrls
from tenant_runtime.core.vertrouwelijkheid import Vertrouwelijkheid
from tenant_runtime.zaken.models import Rol, Zaak

ARCHIEFNOMINATIE = ("blijvend_bewaren", "vernietigen")
ARCHIEFSTATUS = ("nog_te_archiveren", "gearchiveerd", "gearchiveerd_procestermijn_onbekend", "overgedragen")
BETROKKENE_TYPES = (
    "natuurlijk_persoon",
    "niet_natuurlijk_persoon",
    "vestiging",
    "organisatorische_eenheid",
    "medewerker",
)
OMSCHRIJVING_GENERIEK = (
    "adviseur",
    "behandelaar",
    "belanghebbende",
    "beslisser",
    "initiator",
    "klantcontacter",
    "zaakcoordinator",
    "mede_initiator",
)
ORDERING = {
    "startdatum": Zaak.startdatum,
    "einddatum": Zaak.einddatum,
    "publicatiedatum": Zaak.publicatiedatum,
    "archiefactiedatum": Zaak.archiefactiedatum,
    "registratiedatum": Zaak.registratiedatum,
    "identificatie": Zaak.identificatie,
}

# Filters on betrokkeneIdentificatie of a rol: query name suffix → (betrokkeneType, column).
ROL_IDENTIFICATIE = {
    "natuurlijkPersoon__inpBsn": ("natuurlijk_persoon", Rol.inp_bsn),
    "natuurlijkPersoon__anpIdentificatie": ("natuurlijk_persoon", Rol.anp_identificatie),
    "natuurlijkPersoon__inpA_nummer": ("natuurlijk_persoon", Rol.inp_a_nummer),
    "nietNatuurlijkPersoon__innNnpId": ("niet_natuurlijk_persoon", Rol.inn_nnp_id),
    "nietNatuurlijkPersoon__annIdentificatie": ("niet_natuurlijk_persoon", Rol.ann_identificatie),
    "vestiging__vestigingsNummer": ("vestiging", Rol.vestigings_nummer),
    "organisatorischeEenheid__identificatie": ("organisatorische_eenheid", Rol.identificatie),
    "medewerker__identificatie": ("medewerker", Rol.identificatie),
}


def _invalid(name: str, reason: str, code: str = "invalid") -> Exception:
    return validation_problem([InvalidParam(name, code, reason)])


def _text(name: str, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _invalid(name, "Geef een tekstwaarde op.")
    return str(value)


def _list(name: str, value: Any) -> list[str]:
    if isinstance(value, str):
        return [v for v in value.split(",") if v != ""]
    if isinstance(value, list):
        return [_text(name, v) for v in value]
    raise _invalid(name, "Geef een lijst op.")


def _date(name: str, value: Any) -> date:
    text = _text(name, value)
    try:
        return date.fromisoformat(text)
    except ValueError:
        try:
            return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
        except ValueError:
            raise _invalid(name, "Geef een geldige datum op (JJJJ-MM-DD).") from None


def _bool(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = _text(name, value).lower()
    if text in ("true", "1"):
        return True
    if text in ("false", "0"):
        return False
    raise _invalid(name, "Geef true of false op.")


def _choice(name: str, value: Any, choices: tuple[str, ...]) -> str:
    text = _text(name, value)
    if text not in choices:
        raise _invalid(name, f"Kies één van: {', '.join(choices)}.", "invalid_choice")
    return text


def zaaktype_condition(urls: TenantUrls, url: str) -> ColumnElement[bool]:
    ref = urls.parse_local(url)
    if ref is not None and ref.component == "catalogi" and ref.resource == "zaaktypen":
        return Zaak.zaaktype_id == select(ZaakType.id).where(ZaakType.uuid == ref.uuid).scalar_subquery()
    return Zaak.zaaktype_url == url


def _date_filters(column: InstrumentedAttribute[Any], base: str) -> dict[str, Callable[[Any], ColumnElement[bool]]]:
    return {
        base: lambda v: column == _date(base, v),
        f"{base}__gt": lambda v: column > _date(f"{base}__gt", v),
        f"{base}__gte": lambda v: column >= _date(f"{base}__gte", v),
        f"{base}__lt": lambda v: column < _date(f"{base}__lt", v),
        f"{base}__lte": lambda v: column <= _date(f"{base}__lte", v),
        f"{base}__isnull": lambda v: column.is_(None) if _bool(f"{base}__isnull", v) else column.is_not(None),
    }


def _uuids(name: str, value: Any) -> list[UUID]:
    try:
        return [UUID(v) for v in _list(name, value)]
    except ValueError:
        raise _invalid(name, "Geef geldige UUIDs op.") from None


def rol_conditions(prefix: str, params: Mapping[str, Any]) -> list[ColumnElement[bool]]:
    """Conditions on ``Rol`` from ``<prefix>betrokkeneType``, ``<prefix>betrokkene``, ... parameters."""
    conditions: list[ColumnElement[bool]] = []
    for name, value in params.items():
        if not name.startswith(prefix) or value is None:
            continue
        key = name[len(prefix) :]
        if key == "betrokkeneType":
            conditions.append(Rol.betrokkene_type == _choice(name, value, BETROKKENE_TYPES))
        elif key == "betrokkene":
            conditions.append(Rol.betrokkene == _text(name, value))
        elif key == "omschrijvingGeneriek":
            conditions.append(Rol.omschrijving_generiek == _choice(name, value, OMSCHRIJVING_GENERIEK))
        elif (
            key.startswith("betrokkeneIdentificatie__") and key[len("betrokkeneIdentificatie__") :] in ROL_IDENTIFICATIE
        ):
            betrokkene_type, column = ROL_IDENTIFICATIE[key[len("betrokkeneIdentificatie__") :]]
            conditions += [Rol.betrokkene_type == betrokkene_type, column == _text(name, value)]
    return conditions


def zaak_conditions(urls: TenantUrls, params: Mapping[str, Any]) -> list[ColumnElement[bool]]:
    """SQL conditions for the zaak list filters present in ``params``."""
    simple: dict[str, Callable[[Any], ColumnElement[bool]]] = {
        "identificatie": lambda v: Zaak.identificatie == _text("identificatie", v),
        "bronorganisatie": lambda v: Zaak.bronorganisatie == _text("bronorganisatie", v),
        "bronorganisatie__in": lambda v: Zaak.bronorganisatie.in_(_list("bronorganisatie__in", v)),
        "zaaktype": lambda v: zaaktype_condition(urls, _text("zaaktype", v)),
        "archiefnominatie": lambda v: Zaak.archiefnominatie == _choice("archiefnominatie", v, ARCHIEFNOMINATIE),
        "archiefnominatie__in": lambda v: Zaak.archiefnominatie.in_(
            [_choice("archiefnominatie__in", x, ARCHIEFNOMINATIE) for x in _list("archiefnominatie__in", v)]
        ),
        "archiefstatus": lambda v: Zaak.archiefstatus == _choice("archiefstatus", v, ARCHIEFSTATUS),
        "archiefstatus__in": lambda v: Zaak.archiefstatus.in_(
            [_choice("archiefstatus__in", x, ARCHIEFSTATUS) for x in _list("archiefstatus__in", v)]
        ),
        "maximaleVertrouwelijkheidaanduiding": lambda v: Zaak.vertrouwelijkheidaanduiding.in_(
            Vertrouwelijkheid.up_to(
                _choice("maximaleVertrouwelijkheidaanduiding", v, tuple(x.value for x in Vertrouwelijkheid))
            )
        ),
        "uuid__in": lambda v: Zaak.uuid.in_(_uuids("uuid__in", v)),
    }
    for column, base in (
        (Zaak.startdatum, "startdatum"),
        (Zaak.registratiedatum, "registratiedatum"),
        (Zaak.einddatum, "einddatum"),
        (Zaak.einddatum_gepland, "einddatumGepland"),
        (Zaak.uiterlijke_einddatum_afdoening, "uiterlijkeEinddatumAfdoening"),
        (Zaak.archiefactiedatum, "archiefactiedatum"),
    ):
        simple.update(_date_filters(column, base))
    conditions = [build(params[name]) for name, build in simple.items() if params.get(name) is not None]
    if params.get("zaaktype__in") is not None:
        conditions.append(or_(*[zaaktype_condition(urls, u) for u in _list("zaaktype__in", params["zaaktype__in"])]))
    rol = rol_conditions("rol__", params)
    if rol:
        conditions.append(Zaak.id.in_(select(Rol.zaak_id).where(*rol)))
    return conditions


def ordering(raw: Any, name: str = "ordering") -> list[Any]:
    """ORDER BY terms from ``ordering`` (comma separated, ``-`` for descending); the id breaks ties."""
    terms: list[Any] = []
    if raw is not None and raw != "":
        for item in _list(name, raw):
            field = item.removeprefix("-")
            if field not in ORDERING:
                raise _invalid(name, f"Onbekend sorteerveld '{item}'.", "invalid_choice")
            terms.append(ORDERING[field].desc() if item.startswith("-") else ORDERING[field].asc())
    terms.append(Zaak.id.desc())
    return terms


def apply(query: Select[Any], conditions: list[ColumnElement[bool]]) -> Select[Any]:
    return query.where(*conditions) if conditions else query
