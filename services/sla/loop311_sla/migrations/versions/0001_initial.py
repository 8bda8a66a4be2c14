"""SLA policies and clocks.

Revision ID: 0001
"""
import sqlalchemy as sa
from alembic import op

from loop311_shared.tables import messaging_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Resolve-within targets in calendar hours: the shortest target the City of Boston's 2022
# sample (../shared/data) set for the matching case type, rounded. bulk_item and
# needle_pickup have no target there; theirs are our own choice.
POLICIES = [
    ("pothole", 24), ("streetlight", 360), ("sidewalk", 24), ("street_cleaning", 24),
    ("missed_trash", 24), ("bulk_item", 168), ("dead_animal", 24), ("graffiti", 1512),
    ("parking", 24), ("abandoned_vehicle", 384), ("traffic_signal", 24), ("rodent", 720),
    ("housing", 2880), ("tree", 168), ("needle_pickup", 4),
]


def upgrade() -> None:
    for table in messaging_tables(sa.MetaData()):
        table.create(op.get_bind())
    policies = op.create_table(
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
    op.bulk_insert(policies, [{"service_code": code, "resolve_within_hours": hours}
                              for code, hours in POLICIES])


def downgrade() -> None:
    for name in ("clocks", "policies", "inbox", "outbox"):
        op.drop_table(name)
