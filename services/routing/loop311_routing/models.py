from sqlalchemy import Column, DateTime, Float, ForeignKey, Integer, MetaData, String, Table, Text

from loop311_shared.reference_data import configuration_versions_table
from loop311_shared.tables import messaging_tables

metadata = MetaData()
outbox, inbox = messaging_tables(metadata)
# The directory in force is the latest `directory` document kept here.
configuration_versions = configuration_versions_table(metadata)

# Departments of the directory in force (assignments refer to them).
departments = Table(
    "departments", metadata,
    Column("code", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("jurisdiction_id", String(64)),
)

# One row per request routing has seen: where it went, or why it waits in triage.
assignments = Table(
    "assignments", metadata,
    Column("request_id", String(64), primary_key=True),
    Column("service_code", String(64), nullable=False),
    Column("jurisdiction_id", String(64)),
    Column("department_code", String(32), ForeignKey("departments.code")),
    Column("assigned_at", DateTime(timezone=True), nullable=False),
    Column("assignee_id", String(64)),
    Column("rule_id", String(64)),
    Column("lat", Float),
    Column("long", Float),
    Column("state", String(16), nullable=False, server_default="assigned"),
    Column("triage_reason", Text),
    Column("status", String(16), nullable=False, server_default="open"),
)

# Each round-robin rule's next turn.
rotations = Table(
    "rotations", metadata,
    Column("rule_id", String(64), primary_key=True),
    Column("turn", Integer, nullable=False),
)
