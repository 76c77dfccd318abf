"""Shared request-model building blocks: camelCase aliases, URL and RSIN validators with ZGW codes."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError


class RequestModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


def absolute_url(value: str) -> str:
    """An absolute http(s) URL (code ``invalid``)."""
    try:
        parts = urlsplit(value)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in value):
        raise PydanticCustomError("url_parsing", "Voer een geldige URL in.")
    return value


def rsin(value: str) -> str:
    """A RSIN: nine digits passing the eleven test (code ``invalid``)."""
    if len(value) != 9 or not value.isdigit():
        raise PydanticCustomError("invalid", "Een RSIN bestaat uit 9 cijfers.")
    total = sum(int(digit) * weight for digit, weight in zip(value[:8], range(9, 1, -1), strict=True))
    if (total - int(value[8])) % 11 != 0:
        raise PydanticCustomError("invalid", "Onjuist RSIN (elfproef).")
    return value


Url = Annotated[str, AfterValidator(absolute_url)]
OptionalUrl = Annotated[str, AfterValidator(lambda v: v and absolute_url(v))]
Rsin = Annotated[str, AfterValidator(rsin)]
