from sqlalchemy import Column, DateTime, ForeignKey, MetaData, String, Table

from loop311_shared.reference_data import configuration_versions_table
from loop311_shared.tables import messaging_tables

metadata = MetaData()
outbox, inbox = messaging_tables(metadata)
configuration_versions = configuration_versions_table(metadata)

departments = Table(
    "departments", metadata,
    Column("code", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
)

category_routes = Table(
    "category_routes", metadata,
    Column("jurisdiction_id", String(64), primary_key=True),
    Column("service_code", String(64), primary_key=True),
    Column("department_code", String(32), ForeignKey("departments.code"), nullable=False),
)

assignments = Table(
    "assignments", metadata,
    Column("request_id", String(64), primary_key=True),
    Column("service_code", String(64), nullable=False),
    Column("jurisdiction_id", String(64), nullable=False),
    Column("department_code", String(32), ForeignKey("departments.code"), nullable=False),
    Column("assigned_at", DateTime(timezone=True), nullable=False),
)
