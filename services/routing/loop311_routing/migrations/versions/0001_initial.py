"""Directory, category routes and assignments, seeded with Boston's departments.

Revision ID: 0001
"""
import sqlalchemy as sa
from alembic import op

from loop311_shared.tables import messaging_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Department codes and category routes follow the City of Boston's 311 data
# (type -> department, see ../shared/data/README.md).
DEPARTMENTS = [
    ("PWDx", "Public Works Department"),
    ("BTDT", "Transportation Department"),
    ("PROP", "Property Management"),
    ("ISD", "Inspectional Services"),
    ("PARK", "Parks & Recreation"),
    ("GEN_", "Mayor's 24 Hour Hotline"),
]
ROUTES = [
    ("pothole", "PWDx"), ("streetlight", "PWDx"), ("missed_trash", "PWDx"),
    ("bulk_item", "PWDx"), ("sidewalk", "PWDx"), ("dead_animal", "PWDx"),
    ("street_cleaning", "PWDx"), ("graffiti", "PROP"), ("parking", "BTDT"),
    ("abandoned_vehicle", "BTDT"), ("traffic_signal", "BTDT"), ("rodent", "ISD"),
    ("housing", "ISD"), ("tree", "PARK"), ("needle_pickup", "GEN_"),
]


def upgrade() -> None:
    for table in messaging_tables(sa.MetaData()):
        table.create(op.get_bind())
    departments = op.create_table(
        "departments",
        sa.Column("code", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
    )
    routes = op.create_table(
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
    op.bulk_insert(departments, [{"code": code, "name": name} for code, name in DEPARTMENTS])
    op.bulk_insert(routes, [
        {"jurisdiction_id": "city", "service_code": code, "department_code": department}
        for code, department in ROUTES
    ])


def downgrade() -> None:
    for name in ("assignments", "category_routes", "departments", "inbox", "outbox"):
        op.drop_table(name)
