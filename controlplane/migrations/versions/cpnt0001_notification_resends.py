"""notification resends (manual resends of a tenant's notifications, with their Idempotency-Key)

Revision ID: cpnt0001
Revises: cp0002
Create Date: 2026-12-01 11:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "cpnt0001"
down_revision: str | Sequence[str] | None = "cp0002"
branch_labels: str | Sequence[str] | None = ("notifications",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notification_resends",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("delivery_uuid", sa.Uuid(), nullable=False),
        sa.Column("actor", sa.String(length=255), nullable=False),
        sa.Column("idempotency_key", sa.String(length=255), nullable=True),
        sa.Column("request_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_notification_resends_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_resends")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_notification_resends_idempotency_key")),
    )
    op.create_index(op.f("ix_notification_resends_tenant_id"), "notification_resends", ["tenant_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_notification_resends_tenant_id"), table_name="notification_resends")
    op.drop_table("notification_resends")
