"""besluiten: besluiten and besluitinformatieobjecten

Revision ID: brc0001
Revises:
Create Date: 2026-11-25 06:17:24.557537
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "brc0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("besluiten",)
depends_on: str | Sequence[str] | None = ("zrc0001", "drc0001")


def upgrade() -> None:
    op.create_table(
        "besluiten_besluit",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.Uuid(), nullable=False),
        sa.Column("identificatie", sa.String(length=50), nullable=False),
        sa.Column("verantwoordelijke_organisatie", sa.String(length=9), nullable=False),
        sa.Column("besluittype_id", sa.Integer(), nullable=True),
        sa.Column("besluittype_url", sa.String(length=200), nullable=False),
        sa.Column("zaak_id", sa.Integer(), nullable=True),
        sa.Column("zaak_url", sa.String(length=200), nullable=False),
        sa.Column("datum", sa.Date(), nullable=False),
        sa.Column("toelichting", sa.Text(), nullable=False),
        sa.Column("bestuursorgaan", sa.String(length=50), nullable=False),
        sa.Column("ingangsdatum", sa.Date(), nullable=False),
        sa.Column("vervaldatum", sa.Date(), nullable=True),
        sa.Column("vervalreden", sa.String(length=30), nullable=False),
        sa.Column("publicatiedatum", sa.Date(), nullable=True),
        sa.Column("verzenddatum", sa.Date(), nullable=True),
        sa.Column("uiterlijke_reactiedatum", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "(besluittype_id IS NULL) <> (besluittype_url = '')",
            name=op.f("ck_besluiten_besluit_besluittype_local_or_url"),
        ),
        sa.CheckConstraint("zaak_id IS NULL OR zaak_url = ''", name=op.f("ck_besluiten_besluit_zaak_local_or_url")),
        sa.ForeignKeyConstraint(
            ["besluittype_id"],
            ["catalogi_besluittype.id"],
            name=op.f("fk_besluiten_besluit_besluittype_id_catalogi_besluittype"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["zaak_id"], ["zaken_zaak.id"], name=op.f("fk_besluiten_besluit_zaak_id_zaken_zaak"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_besluiten_besluit")),
        sa.UniqueConstraint("uuid", name=op.f("uq_besluiten_besluit_uuid")),
        sa.UniqueConstraint(
            "verantwoordelijke_organisatie",
            "identificatie",
            name=op.f("uq_besluiten_besluit_verantwoordelijke_organisatie"),
        ),
    )
    with op.batch_alter_table("besluiten_besluit", schema=None) as batch_op:
        batch_op.create_index("ix_besluiten_besluit_besluittype", ["besluittype_id", "id"], unique=False)
        batch_op.create_index("ix_besluiten_besluit_besluittype_url", ["besluittype_url", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_besluiten_besluit_zaak_id"), ["zaak_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_besluiten_besluit_zaak_url"), ["zaak_url"], unique=False)

    op.create_table(
        "besluiten_besluitinformatieobject",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.Uuid(), nullable=False),
        sa.Column("besluit_id", sa.Integer(), nullable=False),
        sa.Column("informatieobject_id", sa.Integer(), nullable=True),
        sa.Column("informatieobject_url", sa.String(length=1000), nullable=False),
        sa.CheckConstraint(
            "(informatieobject_id IS NULL) <> (informatieobject_url = '')",
            name=op.f("ck_besluiten_besluitinformatieobject_informatieobject_local_or_url"),
        ),
        sa.ForeignKeyConstraint(
            ["besluit_id"],
            ["besluiten_besluit.id"],
            name=op.f("fk_besluiten_besluitinformatieobject_besluit_id_besluiten_besluit"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["informatieobject_id"],
            ["documenten_informatieobject.id"],
            name=op.f("fk_besluiten_besluitinformatieobject_informatieobject_id_documenten_informatieobject"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_besluiten_besluitinformatieobject")),
        sa.UniqueConstraint(
            "besluit_id", "informatieobject_id", name=op.f("uq_besluiten_besluitinformatieobject_besluit_id")
        ),
        sa.UniqueConstraint("uuid", name=op.f("uq_besluiten_besluitinformatieobject_uuid")),
    )
    with op.batch_alter_table("besluiten_besluitinformatieobject", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_besluiten_besluitinformatieobject_besluit_id"), ["besluit_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_besluiten_besluitinformatieobject_informatieobject_id"),
            ["informatieobject_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_besluiten_besluitinformatieobject_informatieobject_url"),
            ["informatieobject_url"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("besluiten_besluitinformatieobject", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_besluiten_besluitinformatieobject_informatieobject_url"))
        batch_op.drop_index(batch_op.f("ix_besluiten_besluitinformatieobject_informatieobject_id"))
        batch_op.drop_index(batch_op.f("ix_besluiten_besluitinformatieobject_besluit_id"))

    op.drop_table("besluiten_besluitinformatieobject")
    with op.batch_alter_table("besluiten_besluit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_besluiten_besluit_zaak_url"))
        batch_op.drop_index(batch_op.f("ix_besluiten_besluit_zaak_id"))
        batch_op.drop_index("ix_besluiten_besluit_besluittype_url")
        batch_op.drop_index("ix_besluiten_besluit_besluittype")

    op.drop_table("besluiten_besluit")
