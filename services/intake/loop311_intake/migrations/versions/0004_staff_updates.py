"""Staff status changes and comments: status notes, resolution, note visibility.

Revision ID: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("service_requests") as table:
        table.add_column(sa.Column("status_notes", sa.Text))
        table.add_column(sa.Column("resolution", sa.String(32)))
    with op.batch_alter_table("request_notes") as table:
        table.add_column(sa.Column("visibility", sa.String(16), nullable=False,
                                   server_default="public"))
        table.add_column(sa.Column("author", sa.String(100)))


def downgrade() -> None:
    with op.batch_alter_table("request_notes") as table:
        table.drop_column("author")
        table.drop_column("visibility")
    with op.batch_alter_table("service_requests") as table:
        table.drop_column("resolution")
        table.drop_column("status_notes")
