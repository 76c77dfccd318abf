"""tenant database root revision: records the schema generation every component branch starts from

Revision ID: core0001
Revises:
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "core0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("core",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Key/value facts about this tenant database (e.g. which tenant it belongs to), checked by drivers.
    op.create_table(
        "tenant_meta",
        sa.Column("key", sa.String(63), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_tenant_meta")),
    )


def downgrade() -> None:
    op.drop_table("tenant_meta")
