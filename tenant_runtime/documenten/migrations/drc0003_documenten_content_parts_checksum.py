"""documenten: checksum of content an object store assembled from bestandsdelen (composite SHA-256, part size)

Revision ID: drc0003
Revises: drc0002
Create Date: 2026-12-01 11:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "drc0003"
down_revision: str | Sequence[str] | None = "drc0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "documenten_informatieobject_versie"


def upgrade() -> None:
    with op.batch_alter_table(TABLE) as batch:
        batch.add_column(sa.Column("content_parts_sha256", sa.String(length=64), nullable=False, server_default=""))
        batch.add_column(sa.Column("content_part_size", sa.BigInteger(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table(TABLE) as batch:
        batch.drop_column("content_part_size")
        batch.drop_column("content_parts_sha256")
