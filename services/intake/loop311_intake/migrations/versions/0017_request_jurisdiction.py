"""The jurisdiction a report was filed under (Open311's jurisdiction_id; null: the
platform's), so a correction of its category teaches that jurisdiction's model.

Revision ID: 0017
"""
import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("service_requests") as table:
        table.add_column(sa.Column("filed_in", sa.String(64)))


def downgrade() -> None:
    with op.batch_alter_table("service_requests") as table:
        table.drop_column("filed_in")
