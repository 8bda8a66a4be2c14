"""sla's copy of what routing's directory says about escalation chains and populations.

Revision ID: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "department_chains",
        sa.Column("code", sa.String(32), primary_key=True),
        sa.Column("jurisdiction_id", sa.String(64)),
        sa.Column("supervisor", sa.String(64)),
        sa.Column("head", sa.String(64)),
        sa.Column("directory_version", sa.Integer, nullable=False),
    )
    op.create_table(
        "populations",
        sa.Column("jurisdiction_id", sa.String(64), primary_key=True),
        sa.Column("population", sa.Integer),
        sa.Column("directory_version", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("populations")
    op.drop_table("department_chains")
