"""Shared field types and helpers of the Zaken API request models."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from dateutil.relativedelta import relativedelta
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from tenant_runtime.core.problems import InvalidParam, validation_problem


def _absolute_url(value: str) -> str:
    try:
        parts = urlsplit(value)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in value):
        raise PydanticCustomError("url_parsing", "Voer een geldige URL in.")
    return value


def _rsin(value: str) -> str:
    """An RSIN: 9 digits passing the elfproef."""
    if not re.fullmatch(r"\d{9}", value):
        raise PydanticCustomError("invalid", "Een RSIN bestaat uit precies 9 cijfers.")
    total = sum(int(d) * w for d, w in zip(value[:8], range(9, 1, -1), strict=True)) - int(value[8])
    if total % 11 != 0:
        raise PydanticCustomError("invalid", "Onjuist RSIN (elfproef).")
    return value


_DURATION = re.compile(
    r"^P(?!$)(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?$"
)


def parse_duration(value: str) -> relativedelta:
    match = _DURATION.match(value)
    if match is None:
        raise ValueError(f"geen ISO-8601 duur: {value!r}")
    parts = {k: int(v) for k, v in match.groupdict().items() if v}
    return relativedelta(
        years=parts.get("years", 0),
        months=parts.get("months", 0),
        weeks=parts.get("weeks", 0),
        days=parts.get("days", 0),
        hours=parts.get("hours", 0),
        minutes=parts.get("minutes", 0),
        seconds=parts.get("seconds", 0),
    )


def _duration(value: str) -> str:
    if _DURATION.match(value) is None:
        raise PydanticCustomError("invalid", "Geef een duur op in ISO-8601 formaat, bijvoorbeeld P30D.")
    return value


Url = Annotated[str, Field(max_length=1000), AfterValidator(_absolute_url)]
OptionalUrl = Annotated[str, Field(max_length=1000), AfterValidator(lambda v: v and _absolute_url(v))]
Rsin = Annotated[str, Field(max_length=9), AfterValidator(_rsin)]
Duration = Annotated[str, AfterValidator(_duration)]

VertrouwelijkheidLiteral = Literal[
    "openbaar",
    "beperkt_openbaar",
    "intern",
    "zaakvertrouwelijk",
    "vertrouwelijk",
    "confidentieel",
    "geheim",
    "zeer_geheim",
]


class ZgwModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


def require(data: BaseModel, *fields: str) -> None:
    """Fields a create or full update must carry (PATCH models have every field optional)."""
    missing = [name for name in fields if getattr(data, name) is None]
    if missing:
        raise validation_problem([InvalidParam(to_camel(name), "required", "Dit veld is vereist.") for name in missing])


def given(data: BaseModel, name: str) -> bool:
    return name in data.model_fields_set


def iso_date(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def iso_datetime(value: datetime | None) -> str | None:
    if value is None:
        return None
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat().replace("+00:00", "Z")


def dump(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(by_alias=True, mode="json", exclude_unset=True)
