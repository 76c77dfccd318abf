"""zaken: sequence of generated zaak identificaties (PostgreSQL; see tenant_runtime/core/identificatie.py)

Revision ID: zrc0003
Revises: zrc0002
Create Date: 2026-12-01 10:00:00
"""

from collections.abc import Sequence

from alembic import op

from tenant_runtime.core.identificatie import ZAKEN_SEQUENCE, create_sequence_sql

revision: str = "zrc0003"
down_revision: str | Sequence[str] | None = "zrc0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(create_sequence_sql(ZAKEN_SEQUENCE, "zaken_zaak", "ZAAK"))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP SEQUENCE IF EXISTS {ZAKEN_SEQUENCE}")
