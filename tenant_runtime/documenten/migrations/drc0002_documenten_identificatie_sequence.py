"""documenten: sequence of generated document identificaties (PostgreSQL; see tenant_runtime/core/identificatie.py)

Revision ID: drc0002
Revises: drc0001
Create Date: 2026-12-01 10:00:00
"""

from collections.abc import Sequence

from alembic import op

from tenant_runtime.core.identificatie import DOCUMENTEN_SEQUENCE, create_sequence_sql

revision: str = "drc0002"
down_revision: str | Sequence[str] | None = "drc0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(create_sequence_sql(DOCUMENTEN_SEQUENCE, "documenten_informatieobject_versie", "DOCUMENT"))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP SEQUENCE IF EXISTS {DOCUMENTEN_SEQUENCE}")
