from sqlalchemy import Column, DateTime, Float, MetaData, String, Table, Text

from loop311_shared.tables import BigId, messaging_tables

metadata = MetaData()
outbox, inbox = messaging_tables(metadata)

service_catalog = Table(
    "service_catalog", metadata,
    Column("service_code", String(64), primary_key=True),
    Column("service_name", String(200), nullable=False),
    Column("description", Text, nullable=False),
    Column("group", String(100), nullable=False),
)

contacts = Table(
    "contacts", metadata,
    Column("contact_ref", String(36), primary_key=True),
    Column("email", String(320)),
    Column("phone", String(32)),
    Column("first_name", String(100)),
    Column("last_name", String(100)),
)

service_requests = Table(
    "service_requests", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("service_code", String(64), nullable=False),
    Column("description", Text, nullable=False),
    Column("lat", Float),
    Column("long", Float),
    Column("address", String(500)),
    Column("channel", String(16), nullable=False),
    Column("contact_ref", String(36)),
    Column("status", String(16), nullable=False),
    Column("requested_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("department_code", String(32)),
    Column("agency_responsible", String(200)),
    Column("expected_at", DateTime(timezone=True)),
)
