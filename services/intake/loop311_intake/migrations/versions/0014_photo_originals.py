"""Photos: the original as it came, kept beside the public copy when configured.

Revision ID: 0014
"""
import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("media") as table:
        table.add_column(sa.Column("original", sa.LargeBinary))
        table.add_column(sa.Column("original_type", sa.String(100)))


def downgrade() -> None:
    with op.batch_alter_table("media") as table:
        table.drop_column("original_type")
        table.drop_column("original")
