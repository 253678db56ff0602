"""emergency access grants (break the glass)

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

import emr.models.base

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "emergency_access",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("granted_at", emr.models.base.UTCDateTime(), nullable=False),
        sa.Column("expires_at", emr.models.base.UTCDateTime(), nullable=False),
        sa.Column("reviewed_by", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", emr.models.base.UTCDateTime(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", emr.models.base.UTCDateTime(), nullable=False),
        sa.Column("updated_at", emr.models.base.UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_emergency_access_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_emergency_access_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by"], ["users.id"], name=op.f("fk_emergency_access_reviewed_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"], ["users.id"], name=op.f("fk_emergency_access_updated_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_emergency_access_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emergency_access")),
    )
    op.create_index(
        "ix_emergency_access_user_patient", "emergency_access", ["user_id", "patient_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_emergency_access_user_patient", table_name="emergency_access")
    op.drop_table("emergency_access")
