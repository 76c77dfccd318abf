"""notificaties: kanalen (seeded with the runtime's own), abonnementen, deliveries and the delivery log

Revision ID: nrc0001
Revises:
Create Date: 2026-11-24 06:56:38.034915
"""

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "nrc0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("notificaties",)
depends_on: str | Sequence[str] | None = None


# The kanalen of the runtime's own APIs with the kenmerken their documents list (a frozen copy of
# tenant_runtime.notificaties.kanalen.STANDARD_KANALEN as of this revision).
_DOCS = "https://vng-realisatie.github.io/gemma-zaken/standaard"
KANALEN: tuple[tuple[str, list[str], str], ...] = (
    ("zaken", ["bronorganisatie", "zaaktype", "vertrouwelijkheidaanduiding"], f"{_DOCS}/zaken/"),
    ("documenten", ["bronorganisatie", "informatieobjecttype", "vertrouwelijkheidaanduiding"], f"{_DOCS}/documenten/"),
    ("besluiten", ["verantwoordelijke_organisatie", "besluittype"], f"{_DOCS}/besluiten/"),
    ("zaaktypen", ["catalogus"], f"{_DOCS}/catalogi/"),
    ("informatieobjecttypen", ["catalogus"], f"{_DOCS}/catalogi/"),
    ("besluittypen", ["catalogus"], f"{_DOCS}/catalogi/"),
    ("autorisaties", [], f"{_DOCS}/autorisaties/"),
)


def upgrade() -> None:
    op.create_table(
        "notificaties_abonnement",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.Uuid(), nullable=False),
        sa.Column("callback_url", sa.String(length=200), nullable=False),
        sa.Column("auth", sa.String(length=1000), nullable=False),
        sa.Column("client_id", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("circuit_opens", sa.Integer(), nullable=False),
        sa.Column("circuit_open_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sender_lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sender_lease_token", sa.Uuid(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notificaties_abonnement")),
        sa.UniqueConstraint("uuid", name=op.f("uq_notificaties_abonnement_uuid")),
    )
    op.create_table(
        "notificaties_kanaal",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.Uuid(), nullable=False),
        sa.Column("naam", sa.String(length=50), nullable=False),
        sa.Column("documentatie_link", sa.String(length=200), nullable=False),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notificaties_kanaal")),
        sa.UniqueConstraint("naam", name=op.f("uq_notificaties_kanaal_naam")),
        sa.UniqueConstraint("uuid", name=op.f("uq_notificaties_kanaal_uuid")),
    )
    kanaal = sa.table(
        "notificaties_kanaal",
        sa.column("uuid", sa.Uuid()),
        sa.column("naam", sa.String()),
        sa.column("documentatie_link", sa.String()),
        sa.column("filters", sa.JSON()),
    )
    op.bulk_insert(
        kanaal,
        [{"uuid": uuid.uuid4(), "naam": n, "documentatie_link": d, "filters": f} for n, f, d in KANALEN],
    )
    op.create_table(
        "notificaties_abonnement_kanaal",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("abonnement_id", sa.Integer(), nullable=False),
        sa.Column("kanaal_id", sa.Integer(), nullable=False),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["abonnement_id"],
            ["notificaties_abonnement.id"],
            name=op.f("fk_notificaties_abonnement_kanaal_abonnement_id_notificaties_abonnement"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["kanaal_id"],
            ["notificaties_kanaal.id"],
            name=op.f("fk_notificaties_abonnement_kanaal_kanaal_id_notificaties_kanaal"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notificaties_abonnement_kanaal")),
    )
    with op.batch_alter_table("notificaties_abonnement_kanaal", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notificaties_abonnement_kanaal_abonnement_id"), ["abonnement_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_notificaties_abonnement_kanaal_kanaal_id"), ["kanaal_id"], unique=False)

    op.create_table(
        "notificaties_delivery",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.Uuid(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("abonnement_id", sa.Integer(), nullable=False),
        sa.Column("hoofd_object", sa.String(length=1000), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("leased_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_token", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dead_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("resends", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["abonnement_id"],
            ["notificaties_abonnement.id"],
            name=op.f("fk_notificaties_delivery_abonnement_id_notificaties_abonnement"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notificaties_delivery")),
        sa.UniqueConstraint("message_id", "abonnement_id", name="uq_notificaties_delivery_message_abonnement"),
        sa.UniqueConstraint("uuid", name=op.f("uq_notificaties_delivery_uuid")),
    )
    with op.batch_alter_table("notificaties_delivery", schema=None) as batch_op:
        batch_op.create_index(
            "ix_notificaties_delivery_due", ["abonnement_id", "status", "next_attempt_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_notificaties_delivery_message_id"), ["message_id"], unique=False)
        batch_op.create_index(
            "ix_notificaties_delivery_order", ["abonnement_id", "status", "hoofd_object"], unique=False
        )
        batch_op.create_index("ix_notificaties_delivery_queue", ["abonnement_id", "status", "id"], unique=False)

    op.create_table(
        "notificaties_delivery_attempt",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.Column("abonnement_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("success", sa.Boolean(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["abonnement_id"],
            ["notificaties_abonnement.id"],
            name=op.f("fk_notificaties_delivery_attempt_abonnement_id_notificaties_abonnement"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["notificaties_delivery.id"],
            name=op.f("fk_notificaties_delivery_attempt_delivery_id_notificaties_delivery"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notificaties_delivery_attempt")),
    )
    with op.batch_alter_table("notificaties_delivery_attempt", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notificaties_delivery_attempt_abonnement_id"), ["abonnement_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_notificaties_delivery_attempt_delivery_id"), ["delivery_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("notificaties_delivery_attempt", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notificaties_delivery_attempt_delivery_id"))
        batch_op.drop_index(batch_op.f("ix_notificaties_delivery_attempt_abonnement_id"))

    op.drop_table("notificaties_delivery_attempt")
    with op.batch_alter_table("notificaties_delivery", schema=None) as batch_op:
        batch_op.drop_index("ix_notificaties_delivery_queue")
        batch_op.drop_index("ix_notificaties_delivery_order")
        batch_op.drop_index(batch_op.f("ix_notificaties_delivery_message_id"))
        batch_op.drop_index("ix_notificaties_delivery_due")

    op.drop_table("notificaties_delivery")
    with op.batch_alter_table("notificaties_abonnement_kanaal", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notificaties_abonnement_kanaal_kanaal_id"))
        batch_op.drop_index(batch_op.f("ix_notificaties_abonnement_kanaal_abonnement_id"))

    op.drop_table("notificaties_abonnement_kanaal")
    op.drop_table("notificaties_kanaal")
    op.drop_table("notificaties_abonnement")
