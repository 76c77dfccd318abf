"""usage ledger (append-only) and runtime service accounts

Revision ID: cpus0001
Revises: cp0002
Create Date: 2026-11-26 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "cpus0001"
down_revision: str | Sequence[str] | None = "cp0002"
branch_labels: str | Sequence[str] | None = ("usage",)
depends_on: str | Sequence[str] | None = None

# Frozen copies of the allowed values as of this revision.
METERS = ("api_calls", "stored_bytes", "zaken", "documenten", "active_client")
COMPONENTS = ("zaken", "documenten", "catalogi", "besluiten", "autorisaties", "notificaties", "referentielijsten")


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    op.create_table(
        "usage_ledger",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("meter", sa.String(length=20), nullable=False),
        sa.Column("component", sa.String(length=32), nullable=False),
        sa.Column("operation", sa.String(length=8), nullable=False),
        sa.Column("client_id", sa.String(length=255), nullable=False),
        sa.Column("hour", sa.DateTime(timezone=True), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("corrects_event_id", sa.Uuid(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(length=254), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(_in("meter", METERS), name=op.f("ck_usage_ledger_meter")),
        sa.CheckConstraint("kind IN ('usage', 'correction')", name=op.f("ck_usage_ledger_kind")),
        sa.CheckConstraint("operation IN ('', 'read', 'write')", name=op.f("ck_usage_ledger_operation")),
        sa.CheckConstraint(_in("component", ("", *COMPONENTS)), name=op.f("ck_usage_ledger_component")),
        sa.CheckConstraint(
            "(kind = 'correction') = (corrects_event_id IS NOT NULL)", name=op.f("ck_usage_ledger_correction_target")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_usage_ledger_tenant_id_tenants"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_usage_ledger")),
        sa.UniqueConstraint("event_id", name=op.f("uq_usage_ledger_event_id")),
    )
    with op.batch_alter_table("usage_ledger", schema=None) as batch_op:
        batch_op.create_index("ix_usage_ledger_tenant_hour", ["tenant_id", "hour"], unique=False)
        batch_op.create_index(batch_op.f("ix_usage_ledger_corrects_event_id"), ["corrects_event_id"], unique=False)

    op.create_table(
        "usage_runtime_accounts",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_usage_runtime_accounts_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_usage_runtime_accounts_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_usage_runtime_accounts")),
    )

    if op.get_bind().dialect.name == "postgresql":
        # The ledger is append-only: the database itself refuses UPDATE, DELETE and TRUNCATE.
        op.execute(
            """
            CREATE FUNCTION usage_ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'usage_ledger is append-only; record a correction instead';
            END $$;
            """
        )
        op.execute(
            "CREATE TRIGGER usage_ledger_append_only BEFORE UPDATE OR DELETE ON usage_ledger "
            "FOR EACH ROW EXECUTE FUNCTION usage_ledger_append_only()"
        )
        op.execute(
            "CREATE TRIGGER usage_ledger_no_truncate BEFORE TRUNCATE ON usage_ledger "
            "FOR EACH STATEMENT EXECUTE FUNCTION usage_ledger_append_only()"
        )
    else:
        op.execute(
            "CREATE TRIGGER usage_ledger_no_update BEFORE UPDATE ON usage_ledger "
            "BEGIN SELECT RAISE(ABORT, 'usage_ledger is append-only'); END"
        )
        op.execute(
            "CREATE TRIGGER usage_ledger_no_delete BEFORE DELETE ON usage_ledger "
            "BEGIN SELECT RAISE(ABORT, 'usage_ledger is append-only'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER usage_ledger_no_truncate ON usage_ledger")
        op.execute("DROP TRIGGER usage_ledger_append_only ON usage_ledger")
        op.execute("DROP FUNCTION usage_ledger_append_only()")
    else:
        op.execute("DROP TRIGGER usage_ledger_no_update")
        op.execute("DROP TRIGGER usage_ledger_no_delete")
    op.drop_table("usage_runtime_accounts")
    with op.batch_alter_table("usage_ledger", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_usage_ledger_corrects_event_id"))
        batch_op.drop_index("ix_usage_ledger_tenant_hour")
    op.drop_table("usage_ledger")
