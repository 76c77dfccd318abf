"""Numbers of generated identificaties: drawn from the component's PostgreSQL sequence, which starts above every
generated-looking identificatie already in the table (a database from before the sequence, or restored)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tenant_runtime.core.identificatie import ZAKEN_SEQUENCE, create_sequence_sql, next_number
from tests.tenant_runtime.conftest import ZgwTenant


def test_sequence_starts_above_the_identificaties_in_use(alpha: ZgwTenant) -> None:
    with alpha.session() as session, session.begin():
        session.execute(text(f"DROP SEQUENCE {ZAKEN_SEQUENCE}"))  # as before migration zrc0003
        session.execute(text("CREATE TEMPORARY TABLE zaken_zaak (identificatie varchar(40))"))
        session.execute(
            text("INSERT INTO zaken_zaak VALUES ('ZAAK-2021-0000000500'), ('ZAAK-X-99999'), ('ZAAK-2025-00000000007')")
        )
        session.execute(text(create_sequence_sql(ZAKEN_SEQUENCE, "zaken_zaak", "ZAAK")))
        assert next_number(session, ZAKEN_SEQUENCE, lambda: pytest.fail("PostgreSQL uses its sequence")) == 501
        assert next_number(session, ZAKEN_SEQUENCE, lambda: 0) == 502


def test_unknown_sequence_is_refused(alpha: ZgwTenant) -> None:
    with alpha.session() as session, pytest.raises(ValueError, match="unknown identificatie sequence"):
        next_number(session, "zaken_zaak_id_seq", lambda: 0)
