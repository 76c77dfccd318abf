"""Numbers of generated identificaties (``ZAAK-2026-0000000042``, ``BESLUIT-…``, ``DOCUMENT-…``).

The number must be unique per organisation (zrc-002, brc-002; the Documenten API likewise). Taking "the highest
in use + 1" makes concurrent creates draw the same number: each then waits on the unique index for the other's
commit, fails and tries again, and under load most attempts collide. On PostgreSQL the number is therefore drawn
from the component's sequence: ``nextval`` never waits for, and is never rolled back by, another transaction, so
concurrent creates get different numbers at once (gaps after a rollback are fine; the numbers keep rising across
years and organisations). SQLite, the embedded default, has one writer at a time: there it stays the highest + 1.
A client may still have used the drawn identificatie itself; the callers' unique-constraint retry covers that.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from sqlalchemy import text
from sqlalchemy.orm import Session

# Sequence per component, created by its migration (zrc0003, brc0002, drc0002) on PostgreSQL.
ZAKEN_SEQUENCE: Final = "zaken_identificatie_seq"
BESLUITEN_SEQUENCE: Final = "besluiten_identificatie_seq"
DOCUMENTEN_SEQUENCE: Final = "documenten_identificatie_seq"
SEQUENCES: Final = frozenset({ZAKEN_SEQUENCE, BESLUITEN_SEQUENCE, DOCUMENTEN_SEQUENCE})


def next_number(session: Session, sequence: str, highest_in_use: Callable[[], int]) -> int:
    """A number for a new identificatie: the sequence's next value on PostgreSQL, else ``highest_in_use() + 1``."""
    if sequence not in SEQUENCES:
        raise ValueError(f"unknown identificatie sequence {sequence!r}")
    if session.get_bind().dialect.name == "postgresql":
        return int(session.execute(text(f"SELECT nextval('{sequence}')")).scalar_one())
    return highest_in_use() + 1


def create_sequence_sql(sequence: str, table: str, prefix: str, digits: int = 10) -> str:
    """PostgreSQL DDL for a migration: the sequence, starting above every generated-looking identificatie in
    ``table`` (so databases created before the sequence, or restored from such a backup, never draw a taken one)."""
    pattern = f"^{prefix}-[0-9]{{4}}-[0-9]{{{digits}}}$"
    highest = f"SELECT COALESCE(MAX(CAST(RIGHT(identificatie, {digits}) AS bigint)), 0) + 1 INTO start FROM {table}"  # noqa: S608 - constants
    return (
        f"DO $$ DECLARE start bigint; BEGIN {highest} WHERE identificatie ~ '{pattern}'; "
        f"EXECUTE 'CREATE SEQUENCE IF NOT EXISTS {sequence} START ' || start; END $$"
    )
