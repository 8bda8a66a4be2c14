"""An index for each sla_started's expected close: a category's backlog in a department,
and what it closed lately, without reading the city's whole history of clocks.

Revision ID: 0006
"""
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_clocks_backlog", "clocks",
                    ["department_code", "service_code", "closed_at"])


def downgrade() -> None:
    op.drop_index("ix_clocks_backlog", table_name="clocks")
