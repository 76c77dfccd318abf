"""Bringing a tenant database to exactly a release's schema heads on real PostgreSQL: up along a release's own
branch, back down to the previous release's heads, and what an irreversible migration failing half-way leaves."""

from __future__ import annotations

import pytest
from alembic.util import CommandError
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError

from tenant_runtime.db.migrate import database_heads
from tenant_runtime.tenants import service
from tests.fixtures.releases import IRREVERSIBLE, REVERSIBLE


def _tables(url: str) -> set[str]:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))
        names = {row[0] for row in rows}
    engine.dispose()
    return names


def test_up_to_a_release_and_back(postgres_url: str) -> None:
    service.migrate_tenant_database(postgres_url)
    package = service.schema_heads()
    newer = service.schema_heads([REVERSIBLE])
    assert newer == package | {"flt0001"}
    assert service.tenant_schema_is_current(postgres_url, package)

    service.migrate_tenant_to(postgres_url, newer, [REVERSIBLE])
    assert "flt0001" in database_heads(postgres_url) and "fleettest_release_note" in _tables(postgres_url)
    assert service.tenant_schema_is_current(postgres_url, newer, [REVERSIBLE])
    assert not service.tenant_schema_is_current(postgres_url, package, [REVERSIBLE])
    assert not service.tenant_schema_is_current(postgres_url)  # the package alone does not know flt0001
    assert service.migrate_tenant_to(postgres_url, newer, [REVERSIBLE]) == database_heads(postgres_url)  # again

    service.migrate_tenant_to(postgres_url, package, [REVERSIBLE])
    assert "fleettest_release_note" not in _tables(postgres_url)
    assert service.tenant_schema_is_current(postgres_url, package) and service.tenant_schema_is_current(postgres_url)


def test_irreversible_migration_failing_half_way(postgres_url: str) -> None:
    service.migrate_tenant_database(postgres_url)
    engine = create_engine(postgres_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as connection:
        for domein in ("AAA", "BBB"):
            connection.execute(
                text("INSERT INTO catalogi_catalogus (uuid, domein, rsin, contactpersoon_beheer_naam, naam, "
                     "contactpersoon_beheer_telefoonnummer, contactpersoon_beheer_emailadres) "
                     "VALUES (gen_random_uuid(), :d, '002220647', 'Mevr. de Vries', 'Catalogus', '', '')"),
                {"d": domein},
            )  # fmt: skip
    target = service.schema_heads([IRREVERSIBLE])
    with pytest.raises(IntegrityError):
        service.migrate_tenant_to(postgres_url, target, [IRREVERSIBLE])
    # fli0001 committed (one transaction per migration), fli0002 did not: data changed, no way down.
    assert "fli0001" in database_heads(postgres_url) and "fli0002" not in database_heads(postgres_url)
    with engine.connect() as connection:
        names = {
            row[0] for row in connection.execute(text("SELECT contactpersoon_beheer_naam FROM catalogi_catalogus"))
        }
    assert names == {"MEVR. DE VRIES"}
    with pytest.raises(RuntimeError, match="irreversible"):
        service.migrate_tenant_to(postgres_url, service.schema_heads(), [IRREVERSIBLE])
    engine.dispose()
    with pytest.raises(CommandError):  # heads these scripts do not define
        service.migrate_tenant_to(postgres_url, {"nope0001"}, [IRREVERSIBLE])
