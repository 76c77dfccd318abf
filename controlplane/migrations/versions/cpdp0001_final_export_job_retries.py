"""deprovisioning: the tenant's final export is an export record (was a local file path); retry idempotency keys

Revision ID: cpdp0001
Revises: cp0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "cpdp0001"
down_revision: str | Sequence[str] | None = "cp0002"
branch_labels: str | Sequence[str] | None = ("deprovisioning",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("final_export_id", sa.Uuid(), nullable=True))
        batch_op.drop_column("export_path")
    op.create_table(
        "job_retries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("job_id", sa.Uuid(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=255), nullable=False),
        sa.Column("request_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=254), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], name=op.f("fk_job_retries_job_id_jobs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_retries")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_job_retries_idempotency_key")),
    )
    with op.batch_alter_table("job_retries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_job_retries_job_id"), ["job_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("job_retries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_job_retries_job_id"))
    op.drop_table("job_retries")
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("export_path", sa.String(length=1000), nullable=False, server_default=""))
        batch_op.drop_column("final_export_id")
