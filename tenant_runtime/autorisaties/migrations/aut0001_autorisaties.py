"""autorisaties: applicaties, autorisaties and client credentials

Revision ID: aut0001
Revises:
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "aut0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("autorisaties",)
depends_on: str | Sequence[str] | None = ("core0001",)


def upgrade() -> None:
    op.create_table(
        "autorisaties_applicatie",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.Uuid(), nullable=False),
        sa.Column("client_ids", sa.JSON(), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("heeft_alle_autorisaties", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_autorisaties_applicatie")),
        sa.UniqueConstraint("uuid", name=op.f("uq_autorisaties_applicatie_uuid")),
    )
    op.create_table(
        "autorisaties_client_credential",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("client_id", sa.String(length=255), nullable=False),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_autorisaties_client_credential")),
    )
    with op.batch_alter_table("autorisaties_client_credential", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_autorisaties_client_credential_client_id"), ["client_id"], unique=False)

    op.create_table(
        "autorisaties_autorisatie",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("applicatie_id", sa.Integer(), nullable=False),
        sa.Column("component", sa.String(length=10), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("zaaktype", sa.String(length=1000), nullable=False),
        sa.Column("informatieobjecttype", sa.String(length=1000), nullable=False),
        sa.Column("besluittype", sa.String(length=1000), nullable=False),
        sa.Column("max_vertrouwelijkheidaanduiding", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["applicatie_id"],
            ["autorisaties_applicatie.id"],
            name=op.f("fk_autorisaties_autorisatie_applicatie_id_autorisaties_applicatie"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_autorisaties_autorisatie")),
    )
    with op.batch_alter_table("autorisaties_autorisatie", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_autorisaties_autorisatie_applicatie_id"), ["applicatie_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("autorisaties_autorisatie", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_autorisaties_autorisatie_applicatie_id"))

    op.drop_table("autorisaties_autorisatie")
    with op.batch_alter_table("autorisaties_client_credential", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_autorisaties_client_credential_client_id"))

    op.drop_table("autorisaties_client_credential")
    op.drop_table("autorisaties_applicatie")
