"""The control-plane database: declarative base, engine and session factory."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import overload

from sqlalchemy import DateTime, Dialect, Engine, MetaData, TypeDecorator
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from tenant_runtime.db.base import NAMING_CONVENTION
from tenant_runtime.db.engines import build_engine


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


@overload
def aware(moment: datetime) -> datetime: ...
@overload
def aware(moment: None) -> None: ...
def aware(moment: datetime | None) -> datetime | None:
    """A moment as an aware datetime; a naive one (SQLite hands those back, or a client sent one) is UTC."""
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


class UtcDateTime(TypeDecorator[datetime]):
    """``UtcDateTime()`` that always reads back aware datetimes, on SQLite too (the embedded default),
    so moments compare the same whichever database the control plane runs on."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:  # noqa: ARG002
        return aware(value)


def make_engine(url: str) -> Engine:
    return build_engine(url, pool_size=5, max_overflow=10)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    with factory.begin() as session:
        yield session
