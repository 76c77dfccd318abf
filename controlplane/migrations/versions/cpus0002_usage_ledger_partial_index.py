"""usage ledger: the index of corrections only covers corrections (faster bulk ingestion)

Revision ID: cpus0002
Revises: cpus0001
Create Date: 2026-12-01 08:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "cpus0002"
down_revision: str | Sequence[str] | None = "cpus0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CORRECTIONS = sa.text("corrects_event_id IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table("usage_ledger", schema=None) as batch_op:
        batch_op.drop_index("ix_usage_ledger_corrects_event_id")
        batch_op.create_index(
            "ix_usage_ledger_corrections",
            ["corrects_event_id"],
            unique=False,
            postgresql_where=CORRECTIONS,
            sqlite_where=CORRECTIONS,
        )


def downgrade() -> None:
    with op.batch_alter_table("usage_ledger", schema=None) as batch_op:
        batch_op.drop_index("ix_usage_ledger_corrections", postgresql_where=CORRECTIONS, sqlite_where=CORRECTIONS)
        batch_op.create_index("ix_usage_ledger_corrects_event_id", ["corrects_event_id"], unique=False)
