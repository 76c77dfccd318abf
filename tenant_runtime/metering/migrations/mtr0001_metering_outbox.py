"""metering: the durable outbox of usage records (open rows accumulate, sealed rows are shipped)

Revision ID: mtr0001
Revises:
Create Date: 2026-12-01 07:40:55.087853
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "mtr0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("metering",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "metering_outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("hour", sa.DateTime(timezone=True), nullable=False),
        sa.Column("meter", sa.String(length=20), nullable=False),
        sa.Column("component", sa.String(length=32), nullable=False),
        sa.Column("operation", sa.String(length=8), nullable=False),
        sa.Column("client_id", sa.String(length=255), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=True),
        sa.Column("sealed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("shipped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_metering_outbox")),
        sa.UniqueConstraint("event_id", name=op.f("uq_metering_outbox_event_id")),
    )
    with op.batch_alter_table("metering_outbox", schema=None) as batch_op:
        batch_op.create_index("ix_metering_outbox_unshipped", ["shipped_at", "id"], unique=False)
        batch_op.create_index(
            "uq_metering_outbox_open",
            ["hour", "meter", "component", "operation", "client_id"],
            unique=True,
            sqlite_where=sa.text("event_id IS NULL"),
            postgresql_where=sa.text("event_id IS NULL"),
        )


def downgrade() -> None:
    with op.batch_alter_table("metering_outbox", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_metering_outbox_open",
            sqlite_where=sa.text("event_id IS NULL"),
            postgresql_where=sa.text("event_id IS NULL"),
        )
        batch_op.drop_index("ix_metering_outbox_unshipped")

    op.drop_table("metering_outbox")
