"""What intake's guesser suggested for a request's category, shown in the triage queue.

Revision ID: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("assignments") as table:
        table.add_column(sa.Column("category_suggestions", sa.JSON))


def downgrade() -> None:
    with op.batch_alter_table("assignments") as table:
        table.drop_column("category_suggestions")
