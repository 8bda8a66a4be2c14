"""The audit trail of reassignments and transfers.

Revision ID: 0004
"""
import sqlalchemy as sa
from alembic import op

from loop311_shared.tables import BigId

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "assignment_moves",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("request_id", sa.String(64), nullable=False, index=True),
        sa.Column("moved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("moved_by", sa.String(100), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("from_service_code", sa.String(64)),
        sa.Column("from_jurisdiction_id", sa.String(64)),
        sa.Column("from_department_code", sa.String(32)),
        sa.Column("from_assignee_id", sa.String(64)),
        sa.Column("to_service_code", sa.String(64), nullable=False),
        sa.Column("to_jurisdiction_id", sa.String(64), nullable=False),
        sa.Column("to_department_code", sa.String(32), nullable=False),
        sa.Column("to_assignee_id", sa.String(64)),
    )


def downgrade() -> None:
    op.drop_table("assignment_moves")
