from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    text,
)

from loop311_shared.reference_data import configuration_versions_table
from loop311_shared.tables import BigId, messaging_tables

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
    # intake's guesses when the category came from the report's words (request_created v3)
    Column("category_suggestions", JSON),
)

# Each round-robin rule's next turn.
rotations = Table(
    "rotations", metadata,
    Column("rule_id", String(64), primary_key=True),
    Column("turn", Integer, nullable=False),
)

# The audit trail: every move of a request, who made it, when and why.
assignment_moves = Table(
    "assignment_moves", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("request_id", String(64), nullable=False, index=True),
    Column("moved_at", DateTime(timezone=True), nullable=False),
    Column("moved_by", String(100), nullable=False),
    Column("reason", Text, nullable=False),
    Column("from_service_code", String(64)),
    Column("from_jurisdiction_id", String(64)),
    Column("from_department_code", String(32)),
    Column("from_assignee_id", String(64)),
    Column("to_service_code", String(64), nullable=False),
    Column("to_jurisdiction_id", String(64), nullable=False),
    Column("to_department_code", String(32), nullable=False),
    Column("to_assignee_id", String(64)),
)

# Each work queue's page as one ordered range (migration 0006).
IN_TRIAGE = text("state = 'triage'")
Index("ix_assignments_department_queue", assignments.c.department_code, assignments.c.state,
      assignments.c.status, assignments.c.assigned_at, assignments.c.request_id)
Index("ix_assignments_assignee_queue", assignments.c.assignee_id, assignments.c.status,
      assignments.c.assigned_at, assignments.c.request_id)
Index("ix_assignments_triage", assignments.c.status, assignments.c.assigned_at,
      assignments.c.request_id,
      postgresql_where=IN_TRIAGE, sqlite_where=IN_TRIAGE)
