"""besluiten: sequence of generated besluit identificaties (PostgreSQL; see tenant_runtime/core/identificatie.py)

Revision ID: brc0002
Revises: brc0001
Create Date: 2026-12-01 10:00:00
"""

from collections.abc import Sequence

from alembic import op

from tenant_runtime.core.identificatie import BESLUITEN_SEQUENCE, create_sequence_sql

revision: str = "brc0002"
down_revision: str | Sequence[str] | None = "brc0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(create_sequence_sql(BESLUITEN_SEQUENCE, "besluiten_besluit", "BESLUIT"))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP SEQUENCE IF EXISTS {BESLUITEN_SEQUENCE}")
