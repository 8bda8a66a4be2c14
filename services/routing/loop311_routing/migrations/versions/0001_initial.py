"""Directory, category routes and assignments (the directory itself is imported: config/demo).

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
        "departments",
        sa.Column("code", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
    )
    op.create_table(
        "category_routes",
        sa.Column("jurisdiction_id", sa.String(64), primary_key=True),
        sa.Column("service_code", sa.String(64), primary_key=True),
        sa.Column("department_code", sa.String(32), sa.ForeignKey("departments.code"), nullable=False),
    )
    op.create_table(
        "assignments",
        sa.Column("request_id", sa.String(64), primary_key=True),
        sa.Column("service_code", sa.String(64), nullable=False),
        sa.Column("jurisdiction_id", sa.String(64), nullable=False),
        sa.Column("department_code", sa.String(32), sa.ForeignKey("departments.code"), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    for name in ("assignments", "category_routes", "departments", "inbox", "outbox"):
        op.drop_table(name)
