"""audit trail and notifications outbox

Revision ID: core0002
Revises: core0001
Create Date: 2026-11-24 06:33:24.110609
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "core0002"
down_revision: str | Sequence[str] | None = "core0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audittrail",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.Uuid(), nullable=False),
        sa.Column("bron", sa.String(length=10), nullable=False),
        sa.Column("applicatie_id", sa.String(length=100), nullable=False),
        sa.Column("applicatie_weergave", sa.String(length=200), nullable=False),
        sa.Column("gebruikers_id", sa.String(length=255), nullable=False),
        sa.Column("gebruikers_weergave", sa.String(length=255), nullable=False),
        sa.Column("actie", sa.String(length=50), nullable=False),
        sa.Column("actie_weergave", sa.String(length=200), nullable=False),
        sa.Column("resultaat", sa.Integer(), nullable=False),
        sa.Column("hoofd_object", sa.String(length=1000), nullable=False),
        sa.Column("hoofd_object_uuid", sa.Uuid(), nullable=False),
        sa.Column("resource", sa.String(length=50), nullable=False),
        sa.Column("resource_url", sa.String(length=1000), nullable=False),
        sa.Column("resource_weergave", sa.String(length=200), nullable=False),
        sa.Column("toelichting", sa.Text(), nullable=False),
        sa.Column("aanmaakdatum", sa.DateTime(timezone=True), nullable=False),
        sa.Column("oud", sa.JSON(), nullable=True),
        sa.Column("nieuw", sa.JSON(), nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audittrail")),
        sa.UniqueConstraint("uuid", name=op.f("uq_audittrail_uuid")),
    )
    with op.batch_alter_table("audittrail", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audittrail_hoofd_object_uuid"), ["hoofd_object_uuid"], unique=False)

    op.create_table(
        "notificaties_outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.Uuid(), nullable=False),
        sa.Column("kanaal", sa.String(length=50), nullable=False),
        sa.Column("hoofd_object", sa.String(length=1000), nullable=False),
        sa.Column("resource", sa.String(length=100), nullable=False),
        sa.Column("resource_url", sa.String(length=1000), nullable=False),
        sa.Column("actie", sa.String(length=100), nullable=False),
        sa.Column("aanmaakdatum", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kenmerken", sa.JSON(), nullable=False),
        sa.Column("dispatched_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notificaties_outbox")),
        sa.UniqueConstraint("uuid", name=op.f("uq_notificaties_outbox_uuid")),
    )
    with op.batch_alter_table("notificaties_outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notificaties_outbox_dispatched_at"), ["dispatched_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_notificaties_outbox_kanaal"), ["kanaal"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("notificaties_outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notificaties_outbox_kanaal"))
        batch_op.drop_index(batch_op.f("ix_notificaties_outbox_dispatched_at"))

    op.drop_table("notificaties_outbox")
    with op.batch_alter_table("audittrail", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audittrail_hoofd_object_uuid"))

    op.drop_table("audittrail")
