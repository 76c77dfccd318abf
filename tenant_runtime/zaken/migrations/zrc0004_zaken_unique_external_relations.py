"""zaken: a zaak may have several local zaakinformatieobjecten and zaakbesluiten

The unique constraints on (zaak, informatieobject_url) and (zaak, besluit_url) also covered the local relations,
whose URL is empty, so a zaak could hold only one local document and one local besluit (the second insert failed).
They become partial unique indexes over external URLs only; local relations stay unique by their foreign key.

Revision ID: zrc0004
Revises: zrc0003
Create Date: 2026-12-01 11:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "zrc0004"
down_revision: str | Sequence[str] | None = "zrc0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RELATIONS = (
    ("zaken_zaakinformatieobject", "informatieobject_url", "uq_zaken_zaakinformatieobject_url"),
    ("zaken_zaakbesluit", "besluit_url", "uq_zaken_zaakbesluit_url"),
)


def upgrade() -> None:
    for table, column, name in RELATIONS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(name, type_="unique")
        external = sa.text(f"{column} <> ''")
        op.create_index(name, table, ["zaak_id", column], unique=True, sqlite_where=external, postgresql_where=external)


def downgrade() -> None:
    for table, column, name in RELATIONS:
        op.drop_index(name, table_name=table)
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_unique_constraint(name, ["zaak_id", column])
