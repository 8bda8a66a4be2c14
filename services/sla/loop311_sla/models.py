from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table

from loop311_shared.reference_data import configuration_versions_table
from loop311_shared.tables import messaging_tables

metadata = MetaData()
outbox, inbox = messaging_tables(metadata)
configuration_versions = configuration_versions_table(metadata)

policies = Table(
    "policies", metadata,
    Column("service_code", String(64), primary_key=True),
    Column("resolve_within_hours", Integer, nullable=False),
)

clocks = Table(
    "clocks", metadata,
    Column("request_id", String(64), primary_key=True),
    Column("service_code", String(64), nullable=False),
    Column("department_code", String(32), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("due_at", DateTime(timezone=True), nullable=False),
    Column("status", String(16), nullable=False),
)
