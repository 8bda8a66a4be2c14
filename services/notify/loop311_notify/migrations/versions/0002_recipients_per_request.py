"""Recipients know the request they wrote about, so followers are confirmed too.

Revision ID: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("recipients") as table:
        table.add_column(sa.Column("request_id", sa.String(64)))
        table.create_index("ix_recipients_request_id", ["request_id"])


def downgrade() -> None:
    with op.batch_alter_table("recipients") as table:
        table.drop_index("ix_recipients_request_id")
        table.drop_column("request_id")
