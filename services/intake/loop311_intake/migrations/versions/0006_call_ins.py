"""Dispatcher call-ins: a priority on every request, a callback preference on contacts.

Revision ID: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("service_requests") as table:
        table.add_column(sa.Column("priority", sa.String(16), nullable=False,
                                   server_default="normal"))
    with op.batch_alter_table("contacts") as table:
        table.add_column(sa.Column("callback", sa.String(16)))


def downgrade() -> None:
    with op.batch_alter_table("contacts") as table:
        table.drop_column("callback")
    with op.batch_alter_table("service_requests") as table:
        table.drop_column("priority")
