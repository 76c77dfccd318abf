"""List counts cached under the tenant database's write generation: reused while nothing was written, retired by
any committed write (of this process or another), never by a rolled-back one, and bounded by a maximum age."""

from __future__ import annotations

from typing import Any

import psycopg
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from tenant_runtime.catalogi.models import Catalogus
from tenant_runtime.core.counts import CountCache, track_write_generation
from tenant_runtime.db.engines import build_engine
from tests.tenant_runtime.catalogi.factories import api, create_catalogus
from tests.tenant_runtime.conftest import ZgwTenant


def _count(tenant: ZgwTenant, headers: dict[str, str]) -> Any:
    response = tenant.client.get(api(tenant, "catalogussen"), headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["count"]


def _generation(tenant: ZgwTenant) -> int:
    with tenant.session() as session:
        return int(session.scalar(text("SELECT last_value FROM zgw_write_generation")))


def _delete_unannounced(tenant: ZgwTenant, catalogus_url: str) -> None:
    """A delete the generation does not see (plain psycopg, not one of our engines)."""
    with psycopg.connect(tenant.info.database_url.replace("postgresql+psycopg://", "postgresql://")) as connection:
        connection.execute("DELETE FROM catalogi_catalogus WHERE uuid = %s", [catalogus_url.rsplit("/", 1)[1]])


def test_count_is_reused_until_a_write_commits(alpha: ZgwTenant) -> None:
    headers = alpha.superuser()
    first = create_catalogus(alpha, headers, domein="AAA")
    create_catalogus(alpha, headers, domein="BBB")
    assert _count(alpha, headers) == 2

    _delete_unannounced(alpha, first["url"])
    assert _count(alpha, headers) == 2, "the count is reused while the write generation is unchanged"

    create_catalogus(alpha, headers, domein="CCC")  # a committed write retires the entry
    create_catalogus(alpha, headers, domein="DDD")
    assert _count(alpha, headers) == 3


def test_writes_of_another_process_retire_the_count_and_rollbacks_do_not(alpha: ZgwTenant) -> None:
    headers = alpha.superuser()
    create_catalogus(alpha, headers, domein="AAA")
    assert _count(alpha, headers) == 1
    before = _generation(alpha)

    other_process = build_engine(alpha.info.database_url, pooled=False)
    try:
        with other_process.connect() as connection:
            connection.execute(text("DELETE FROM catalogi_catalogus"))
            connection.rollback()
        assert _generation(alpha) == before, "a rolled-back write announces nothing"
        assert _count(alpha, headers) == 1

        with other_process.begin() as connection:
            connection.execute(text("DELETE FROM catalogi_catalogus"))
        assert _generation(alpha) == before + 1
        assert _count(alpha, headers) == 0
    finally:
        other_process.dispose()


def test_entries_expire_after_the_maximum_age(alpha: ZgwTenant) -> None:
    headers = alpha.superuser()
    catalogus = create_catalogus(alpha, headers, domein="AAA")
    now = [100.0]
    cache = CountCache(max_age_seconds=60, clock=lambda: now[0])
    query = select(Catalogus)
    with alpha.session() as session:
        assert cache.count(session, query) == 1
    _delete_unannounced(alpha, catalogus["url"])
    with alpha.session() as session:
        now[0] += 59
        assert cache.count(session, query) == 1
        now[0] += 2
        assert cache.count(session, query) == 0


def test_disabled_cache_and_other_databases_count_every_time(alpha: ZgwTenant, tmp_path: Any) -> None:
    headers = alpha.superuser()
    catalogus = create_catalogus(alpha, headers, domein="AAA")
    query = select(Catalogus)
    disabled = CountCache(max_age_seconds=0)
    with alpha.session() as session:
        assert disabled.count(session, query) == 1
        _delete_unannounced(alpha, catalogus["url"])
        assert disabled.count(session, query) == 0

    sqlite = build_engine(f"sqlite:///{tmp_path / 'tenant.db'}")
    track_write_generation(sqlite)  # a no-op: SQLite has no sequences and one writer process
    try:
        Catalogus.__table__.create(sqlite)
        with Session(sqlite) as session:
            assert CountCache(max_age_seconds=300).count(session, query) == 0
    finally:
        sqlite.dispose()
