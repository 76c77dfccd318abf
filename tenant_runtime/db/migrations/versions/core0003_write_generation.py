"""write generation: the sequence list-count caches are keyed by (see tenant_runtime/core/counts.py)

Revision ID: core0003
Revises: core0002
Create Date: 2026-12-01 11:20:00
"""

from collections.abc import Sequence

from alembic import op

from tenant_runtime.core.counts import GENERATION_SEQUENCE

revision: str = "core0003"
down_revision: str | Sequence[str] | None = "core0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"CREATE SEQUENCE IF NOT EXISTS {GENERATION_SEQUENCE}")
        op.execute(f"SELECT nextval('{GENERATION_SEQUENCE}')")  # called once: its last value is never NULL


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP SEQUENCE IF EXISTS {GENERATION_SEQUENCE}")
