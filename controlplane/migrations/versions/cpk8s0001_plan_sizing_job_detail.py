"""plan sizing of dedicated runtimes (replicas, requests/limits, namespace quota) and job step detail

Revision ID: cpk8s0001
Revises: cp0002
Create Date: 2026-12-01 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "cpk8s0001"
down_revision: str | Sequence[str] | None = "cp0002"
branch_labels: str | Sequence[str] | None = ("kubernetes",)
depends_on: str | Sequence[str] | None = None

PLAN_COLUMNS = (
    ("api_replicas", sa.Integer(), "2"),
    ("cpu_request", sa.String(length=20), "250m"),
    ("memory_request", sa.String(length=20), "256Mi"),
    ("cpu_limit", sa.String(length=20), "1"),
    ("memory_limit", sa.String(length=20), "512Mi"),
    ("quota_cpu", sa.String(length=20), "4"),
    ("quota_memory", sa.String(length=20), "4Gi"),
    ("quota_pods", sa.Integer(), "10"),
)


def upgrade() -> None:
    with op.batch_alter_table("plans", schema=None) as batch_op:
        for name, type_, default in PLAN_COLUMNS:
            batch_op.add_column(sa.Column(name, type_, nullable=False, server_default=default))
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("detail", sa.String(length=500), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_column("detail")
    with op.batch_alter_table("plans", schema=None) as batch_op:
        for name, _, _ in reversed(PLAN_COLUMNS):
            batch_op.drop_column(name)
