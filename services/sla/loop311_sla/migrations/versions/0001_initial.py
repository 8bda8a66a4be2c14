"""SLA policies and clocks (the policies themselves are imported: config/demo).

Revision ID: 0001
"""
import sqlalchemy as sa
from alembic import op

from loop311_shared.tables import messaging_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None



def upgrade() -> None:
    for table in messaging_tables(sa.MetaData()):
        table.create(op.get_bind())
    op.create_table(
        "policies",
        sa.Column("service_code", sa.String(64), primary_key=True),
        sa.Column("resolve_within_hours", sa.Integer, nullable=False),
    )
    op.create_table(
        "clocks",
        sa.Column("request_id", sa.String(64), primary_key=True),
        sa.Column("service_code", sa.String(64), nullable=False),
        sa.Column("department_code", sa.String(32), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
    )


def downgrade() -> None:
    for name in ("clocks", "policies", "inbox", "outbox"):
        op.drop_table(name)
