"""Service catalog, contacts and service requests.

Revision ID: 0001
"""
import sqlalchemy as sa
from alembic import op

from loop311_shared.tables import BigId, messaging_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Names follow the City of Boston's 311 case types (see ../shared/data/README.md).
CATALOG = [
    ("pothole", "Request for Pothole Repair", "A pothole in a street or alley", "Streets"),
    ("streetlight", "Street Light Outages", "A street light that is out or flickering", "Streets"),
    ("sidewalk", "Sidewalk Repair", "A broken or unsafe sidewalk", "Streets"),
    ("street_cleaning", "Requests for Street Cleaning", "Litter or debris on a street", "Streets"),
    ("missed_trash", "Missed Trash/Recycling/Yard Waste/Bulk Item", "A missed collection", "Trash"),
    ("bulk_item", "Schedule a Bulk Item Pickup", "Pickup of furniture or appliances", "Trash"),
    ("dead_animal", "Pick up Dead Animal", "A dead animal on a street or sidewalk", "Trash"),
    ("graffiti", "Graffiti Removal", "Graffiti on public or private property", "Property"),
    ("parking", "Parking Enforcement", "An illegally parked vehicle", "Transportation"),
    ("abandoned_vehicle", "Abandoned Vehicles", "A vehicle left unmoved for days", "Transportation"),
    ("traffic_signal", "Traffic Signal Inspection", "A broken or mistimed signal", "Transportation"),
    ("rodent", "Rodent Activity", "Rats or mice seen outdoors", "Health & Housing"),
    ("housing", "Unsatisfactory Living Conditions", "Unsafe or unhealthy housing", "Health & Housing"),
    ("tree", "Tree Maintenance", "A fallen, damaged or overgrown tree", "Parks"),
    ("needle_pickup", "Needle Pickup", "A discarded syringe in a public place", "Health & Housing"),
]


def upgrade() -> None:
    for table in messaging_tables(sa.MetaData()):
        table.create(op.get_bind())
    catalog = op.create_table(
        "service_catalog",
        sa.Column("service_code", sa.String(64), primary_key=True),
        sa.Column("service_name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("group", sa.String(100), nullable=False),
    )
    op.create_table(
        "contacts",
        sa.Column("contact_ref", sa.String(36), primary_key=True),
        sa.Column("email", sa.String(320)),
        sa.Column("phone", sa.String(32)),
        sa.Column("first_name", sa.String(100)),
        sa.Column("last_name", sa.String(100)),
    )
    op.create_table(
        "service_requests",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("service_code", sa.String(64), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("lat", sa.Float),
        sa.Column("long", sa.Float),
        sa.Column("address", sa.String(500)),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("contact_ref", sa.String(36)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("department_code", sa.String(32)),
        sa.Column("agency_responsible", sa.String(200)),
        sa.Column("expected_at", sa.DateTime(timezone=True)),
    )
    op.bulk_insert(catalog, [
        {"service_code": code, "service_name": name, "description": description, "group": group}
        for code, name, description, group in CATALOG
    ])


def downgrade() -> None:
    for name in ("service_requests", "contacts", "service_catalog", "inbox", "outbox"):
        op.drop_table(name)
