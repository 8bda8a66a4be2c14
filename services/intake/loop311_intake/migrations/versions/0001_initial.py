"""Service catalog, contacts and service requests (schema only: the catalog is
configuration, loaded by the admin import).

Revision ID: 0001
"""
import sqlalchemy as sa
from alembic import op

from loop311_shared.tables import BigId, messaging_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

def upgrade() -> None:
    for table in messaging_tables(sa.MetaData()):
        table.create(op.get_bind())
    op.create_table(
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


def downgrade() -> None:
    for name in ("service_requests", "contacts", "service_catalog", "inbox", "outbox"):
        op.drop_table(name)
