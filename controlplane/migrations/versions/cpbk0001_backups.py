"""backups, restores, restore drills, exports, backup policies per plan, tenant data keys

Revision ID: cpbk0001
Revises: cp0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "cpbk0001"
down_revision: str | Sequence[str] | None = "cp0002"
branch_labels: str | Sequence[str] | None = ("backups",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "backup_policies",
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("interval_hours", sa.Integer(), nullable=False),
        sa.Column("keep_daily", sa.Integer(), nullable=False),
        sa.Column("keep_weekly", sa.Integer(), nullable=False),
        sa.Column("keep_monthly", sa.Integer(), nullable=False),
        sa.Column("drills_enabled", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plans.id"], name=op.f("fk_backup_policies_plan_id_plans"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("plan_id", name=op.f("pk_backup_policies")),
    )
    op.create_table(
        "tenant_backup_keys",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("wrapped_key", sa.Text(), nullable=False),
        sa.Column("platform_key_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_tenant_backup_keys_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_tenant_backup_keys")),
    )
    op.create_table(
        "backups",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("scheduled", "on_demand", "system", name="backupkind", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "running",
                "succeeded",
                "failed",
                "deleted",
                name="backupstatus",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("job_id", sa.Uuid(), nullable=True),
        sa.Column("requested_by", sa.String(length=254), nullable=False),
        sa.Column("target", sa.String(length=500), nullable=False),
        sa.Column("prefix", sa.String(length=500), nullable=False),
        sa.Column("stored_bytes", sa.BigInteger(), nullable=False),
        sa.Column("database_bytes", sa.BigInteger(), nullable=False),
        sa.Column("documents_count", sa.Integer(), nullable=False),
        sa.Column("documents_bytes", sa.BigInteger(), nullable=False),
        sa.Column("runtime_version", sa.String(length=40), nullable=False),
        sa.Column("schema_heads", sa.JSON(), nullable=False),
        sa.Column("record_counts", sa.JSON(), nullable=False),
        sa.Column("manifest", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("snapshot_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], name=op.f("fk_backups_job_id_jobs")),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_backups_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_backups")),
        sa.UniqueConstraint("tenant_id", "key", name="uq_backups_tenant_key"),
    )
    op.create_index(op.f("ix_backups_created_at"), "backups", ["created_at"], unique=False)
    op.create_index(op.f("ix_backups_job_id"), "backups", ["job_id"], unique=False)
    op.create_index(op.f("ix_backups_status"), "backups", ["status"], unique=False)
    op.create_index(op.f("ix_backups_tenant_id"), "backups", ["tenant_id"], unique=False)
    op.create_table(
        "exports",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("job_id", sa.Uuid(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "pending", "running", "ready", "failed", "expired", name="exportstatus", native_enum=False, length=20
            ),
            nullable=False,
        ),
        sa.Column("requested_by", sa.String(length=254), nullable=False),
        sa.Column("object_key", sa.String(length=500), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("documents_count", sa.Integer(), nullable=False),
        sa.Column("record_counts", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], name=op.f("fk_exports_job_id_jobs")),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_exports_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exports")),
    )
    op.create_index(op.f("ix_exports_created_at"), "exports", ["created_at"], unique=False)
    op.create_index(op.f("ix_exports_job_id"), "exports", ["job_id"], unique=False)
    op.create_index(op.f("ix_exports_status"), "exports", ["status"], unique=False)
    op.create_index(op.f("ix_exports_tenant_id"), "exports", ["tenant_id"], unique=False)
    op.create_table(
        "restore_drills",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("backup_id", sa.Uuid(), nullable=False),
        sa.Column("job_id", sa.Uuid(), nullable=True),
        sa.Column("scratch_slug", sa.String(length=63), nullable=False),
        sa.Column(
            "status",
            sa.Enum("pending", "running", "succeeded", "failed", name="runstatus", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("expected_counts", sa.JSON(), nullable=False),
        sa.Column("actual_counts", sa.JSON(), nullable=False),
        sa.Column("checks", sa.JSON(), nullable=False),
        sa.Column("rto_seconds", sa.Float(), nullable=True),
        sa.Column("rpo_seconds", sa.Float(), nullable=True),
        sa.Column("cleaned_up", sa.Boolean(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["backup_id"], ["backups.id"], name=op.f("fk_restore_drills_backup_id_backups")),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], name=op.f("fk_restore_drills_job_id_jobs")),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_restore_drills_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_restore_drills")),
    )
    op.create_index(op.f("ix_restore_drills_backup_id"), "restore_drills", ["backup_id"], unique=False)
    op.create_index(op.f("ix_restore_drills_created_at"), "restore_drills", ["created_at"], unique=False)
    op.create_index(op.f("ix_restore_drills_job_id"), "restore_drills", ["job_id"], unique=False)
    op.create_index(op.f("ix_restore_drills_status"), "restore_drills", ["status"], unique=False)
    op.create_index(op.f("ix_restore_drills_tenant_id"), "restore_drills", ["tenant_id"], unique=False)
    op.create_table(
        "restores",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("backup_id", sa.Uuid(), nullable=False),
        sa.Column("source_tenant_id", sa.Uuid(), nullable=False),
        sa.Column("target_tenant_id", sa.Uuid(), nullable=False),
        sa.Column(
            "mode", sa.Enum("in_place", "new_tenant", name="restoremode", native_enum=False, length=20), nullable=False
        ),
        sa.Column(
            "status",
            sa.Enum("pending", "running", "succeeded", "failed", name="runstatus", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("job_id", sa.Uuid(), nullable=True),
        sa.Column("requested_by", sa.String(length=254), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("record_counts", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("maintenance_started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("maintenance_ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["backup_id"], ["backups.id"], name=op.f("fk_restores_backup_id_backups")),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], name=op.f("fk_restores_job_id_jobs")),
        sa.ForeignKeyConstraint(
            ["source_tenant_id"], ["tenants.id"], name=op.f("fk_restores_source_tenant_id_tenants")
        ),
        sa.ForeignKeyConstraint(
            ["target_tenant_id"], ["tenants.id"], name=op.f("fk_restores_target_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_restores")),
    )
    op.create_index(op.f("ix_restores_backup_id"), "restores", ["backup_id"], unique=False)
    op.create_index(op.f("ix_restores_job_id"), "restores", ["job_id"], unique=False)
    op.create_index(op.f("ix_restores_source_tenant_id"), "restores", ["source_tenant_id"], unique=False)
    op.create_index(op.f("ix_restores_status"), "restores", ["status"], unique=False)
    op.create_index(op.f("ix_restores_target_tenant_id"), "restores", ["target_tenant_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_restores_target_tenant_id"), table_name="restores")
    op.drop_index(op.f("ix_restores_status"), table_name="restores")
    op.drop_index(op.f("ix_restores_source_tenant_id"), table_name="restores")
    op.drop_index(op.f("ix_restores_job_id"), table_name="restores")
    op.drop_index(op.f("ix_restores_backup_id"), table_name="restores")
    op.drop_table("restores")
    op.drop_index(op.f("ix_restore_drills_tenant_id"), table_name="restore_drills")
    op.drop_index(op.f("ix_restore_drills_status"), table_name="restore_drills")
    op.drop_index(op.f("ix_restore_drills_job_id"), table_name="restore_drills")
    op.drop_index(op.f("ix_restore_drills_created_at"), table_name="restore_drills")
    op.drop_index(op.f("ix_restore_drills_backup_id"), table_name="restore_drills")
    op.drop_table("restore_drills")
    op.drop_index(op.f("ix_exports_tenant_id"), table_name="exports")
    op.drop_index(op.f("ix_exports_status"), table_name="exports")
    op.drop_index(op.f("ix_exports_job_id"), table_name="exports")
    op.drop_index(op.f("ix_exports_created_at"), table_name="exports")
    op.drop_table("exports")
    op.drop_index(op.f("ix_backups_tenant_id"), table_name="backups")
    op.drop_index(op.f("ix_backups_status"), table_name="backups")
    op.drop_index(op.f("ix_backups_job_id"), table_name="backups")
    op.drop_index(op.f("ix_backups_created_at"), table_name="backups")
    op.drop_table("backups")
    op.drop_table("tenant_backup_keys")
    op.drop_table("backup_policies")
