"""patient search keys: name tokens and reversed phone digits

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "patient_name_keys",
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("sort_name", sa.String(length=201), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_patient_name_keys_patient_id_patients")
        ),
        sa.PrimaryKeyConstraint("patient_id", "key", name=op.f("pk_patient_name_keys")),
    )
    with op.batch_alter_table("patient_name_keys", schema=None) as batch_op:
        batch_op.create_index(
            "ix_patient_name_keys_lookup",
            ["key", "active", "sort_name", "patient_id"],
            unique=False,
        )

    op.create_table(
        "patient_phone_keys",
        sa.Column("reversed_digits", sa.String(length=20), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_patient_phone_keys_patient_id_patients")
        ),
        sa.PrimaryKeyConstraint(
            "reversed_digits", "patient_id", name=op.f("pk_patient_phone_keys")
        ),
    )
    with op.batch_alter_table("patient_phone_keys", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_patient_phone_keys_patient_id"), ["patient_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("patient_phone_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_patient_phone_keys_patient_id"))
    op.drop_table("patient_phone_keys")
    with op.batch_alter_table("patient_name_keys", schema=None) as batch_op:
        batch_op.drop_index("ix_patient_name_keys_lookup")
    op.drop_table("patient_name_keys")
