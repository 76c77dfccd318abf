"""releases, tenant releases, upgrade campaigns and tenant upgrades

Revision ID: cprl0001
Revises: cp0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "cprl0001"
down_revision: str | Sequence[str] | None = "cp0002"
branch_labels: str | Sequence[str] | None = ("releases",)
depends_on: str | Sequence[str] | None = None


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=20)


def upgrade() -> None:
    op.create_table(
        "releases",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("image", sa.String(length=500), nullable=False),
        sa.Column("package_version", sa.String(length=40), nullable=False),
        sa.Column("pool", sa.String(length=63), nullable=False),
        sa.Column("schema_heads", sa.JSON(), nullable=False),
        sa.Column("migration_paths", sa.JSON(), nullable=False),
        sa.Column("reversible", sa.Boolean(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("status", _enum("releasestatus", "draft", "available", "withdrawn"), nullable=False),
        sa.Column("created_by", sa.String(length=254), nullable=False),
        sa.Column("available_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_releases")),
        sa.UniqueConstraint("version", name=op.f("uq_releases_version")),
    )
    op.create_table(
        "tenant_releases",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("release_id", sa.Uuid(), nullable=False),
        sa.Column("previous_release_id", sa.Uuid(), nullable=True),
        sa.Column("pinned_release_id", sa.Uuid(), nullable=True),
        sa.Column("pinned_by", sa.String(length=254), nullable=False),
        sa.Column("pin_reason", sa.String(length=500), nullable=False),
        sa.Column("pinned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_tenant_releases_tenant_id_tenants")),
        sa.ForeignKeyConstraint(["release_id"], ["releases.id"], name=op.f("fk_tenant_releases_release_id_releases")),
        sa.ForeignKeyConstraint(
            ["previous_release_id"], ["releases.id"], name=op.f("fk_tenant_releases_previous_release_id_releases")
        ),
        sa.ForeignKeyConstraint(
            ["pinned_release_id"], ["releases.id"], name=op.f("fk_tenant_releases_pinned_release_id_releases")
        ),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_tenant_releases")),
    )
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("release_id", sa.Uuid(), nullable=False),
        sa.Column("selection", sa.JSON(), nullable=False),
        sa.Column("wave_size", sa.Integer(), nullable=False),
        sa.Column("wave_pause_seconds", sa.Integer(), nullable=False),
        sa.Column("failure_policy", _enum("failurepolicy", "continue", "halt"), nullable=False),
        sa.Column("ignore_maintenance_windows", sa.Boolean(), nullable=False),
        sa.Column(
            "status",
            _enum("campaignstatus", "running", "paused", "halted", "completed", "cancelled"),
            nullable=False,
        ),
        sa.Column("current_wave", sa.Integer(), nullable=False),
        sa.Column("next_wave_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("halt_reason", sa.Text(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=255), nullable=True),
        sa.Column("request_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=254), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["release_id"], ["releases.id"], name=op.f("fk_campaigns_release_id_releases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_campaigns_idempotency_key")),
    )
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_campaigns_release_id"), ["release_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_campaigns_status"), ["status"], unique=False)
    op.create_table(
        "tenant_upgrades",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("canary", sa.Boolean(), nullable=False),
        sa.Column("wave", sa.Integer(), nullable=True),
        sa.Column(
            "status",
            _enum("upgradestatus", "pending", "running", "upgraded", "rolled_back", "failed", "skipped"),
            nullable=False,
        ),
        sa.Column("from_release_id", sa.Uuid(), nullable=True),
        sa.Column("to_release_id", sa.Uuid(), nullable=False),
        sa.Column("job_id", sa.Uuid(), nullable=True),
        sa.Column("backup_id", sa.Uuid(), nullable=True),
        sa.Column("failed_step", sa.String(length=63), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("gate", sa.JSON(), nullable=False),
        sa.Column("maintenance_started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("maintenance_seconds", sa.Float(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_tenant_upgrades_campaign_id_campaigns")
        ),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_tenant_upgrades_tenant_id_tenants")),
        sa.ForeignKeyConstraint(
            ["from_release_id"], ["releases.id"], name=op.f("fk_tenant_upgrades_from_release_id_releases")
        ),
        sa.ForeignKeyConstraint(
            ["to_release_id"], ["releases.id"], name=op.f("fk_tenant_upgrades_to_release_id_releases")
        ),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], name=op.f("fk_tenant_upgrades_job_id_jobs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenant_upgrades")),
        sa.UniqueConstraint("campaign_id", "tenant_id", name=op.f("uq_tenant_upgrades_campaign_id")),
    )
    with op.batch_alter_table("tenant_upgrades", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tenant_upgrades_campaign_id"), ["campaign_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_tenant_upgrades_job_id"), ["job_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_tenant_upgrades_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_tenant_upgrades_tenant_id"), ["tenant_id"], unique=False)


def downgrade() -> None:
    op.drop_table("tenant_upgrades")
    op.drop_table("campaigns")
    op.drop_table("tenant_releases")
    op.drop_table("releases")
