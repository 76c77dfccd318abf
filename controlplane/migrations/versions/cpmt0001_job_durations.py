"""metrics: the duration histogram of succeeded jobs kept per kind (a scrape no longer reads every job)

Revision ID: cpmt0001
Revises: cp0002
Create Date: 2026-12-02 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "cpmt0001"
down_revision: str | Sequence[str] | None = "cp0002"
branch_labels: str | Sequence[str] | None = ("metrics",)
depends_on: str | Sequence[str] | None = None

BUCKETS = (1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0)  # jobs.models.DURATION_BUCKETS at this revision


def upgrade() -> None:
    table = op.create_table(
        "job_durations",
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("sum_seconds", sa.Float(), nullable=False),
        sa.Column("buckets", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("kind", name=op.f("pk_job_durations")),
    )
    # The jobs that succeeded before this revision, counted once.
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        seconds = "EXTRACT(EPOCH FROM finished_at - started_at)"
    else:
        seconds = "(julianday(finished_at) - julianday(started_at)) * 86400.0"
    rows = bind.execute(
        sa.text(
            f"SELECT kind, {seconds} FROM jobs WHERE status = 'succeeded' "  # noqa: S608 - constants only
            "AND started_at IS NOT NULL AND finished_at IS NOT NULL"
        )
    )
    buckets: dict[str, list[int]] = {}
    totals: dict[str, float] = {}
    jobs: dict[str, int] = {}
    for kind, value in rows:
        duration = float(value)
        counts = buckets.setdefault(kind, [0] * len(BUCKETS))
        buckets[kind] = [n + (duration <= bound) for n, bound in zip(counts, BUCKETS, strict=True)]
        totals[kind] = totals.get(kind, 0.0) + duration
        jobs[kind] = jobs.get(kind, 0) + 1
    if buckets:
        op.bulk_insert(
            table,
            [{"kind": k, "count": jobs[k], "sum_seconds": totals[k], "buckets": c} for k, c in buckets.items()],
        )


def downgrade() -> None:
    op.drop_table("job_durations")
