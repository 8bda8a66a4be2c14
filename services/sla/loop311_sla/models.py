from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    text,
)

from loop311_shared.reference_data import configuration_versions_table
from loop311_shared.tables import BigId, messaging_tables

metadata = MetaData()
outbox, inbox = messaging_tables(metadata)
# The policies and calendars in force are the latest `policies` document kept here.
configuration_versions = configuration_versions_table(metadata)

# What sla knows of each request, from request_created on, and its two targets: acknowledge
# and resolve. Durations are kept in calendar and business seconds once known, so the
# report card is SQL aggregates over this one table.
clocks = Table(
    "clocks", metadata,
    Column("request_id", String(64), primary_key=True),
    Column("service_code", String(64), nullable=False),
    Column("priority", String(16), nullable=False, server_default="normal"),
    Column("channel", String(16)),
    Column("jurisdiction_id", String(64)),
    Column("department_code", String(32)),
    Column("assignee_id", String(64)),
    Column("lat", Float),
    Column("long", Float),
    Column("policy_id", String(64)),
    Column("policy_version", Integer),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("started_at", DateTime(timezone=True)),
    Column("ack_due_at", DateTime(timezone=True)),
    Column("resolve_due_at", DateTime(timezone=True)),
    Column("acknowledged_at", DateTime(timezone=True)),
    Column("closed_at", DateTime(timezone=True)),
    Column("ack_calendar_seconds", Float),
    Column("ack_business_seconds", Float),
    Column("close_calendar_seconds", Float),
    Column("close_business_seconds", Float),
    Column("ack_state", String(16), nullable=False, server_default="pending"),
    Column("resolve_state", String(16), nullable=False, server_default="pending"),
    Column("status", String(16), nullable=False, server_default="open"),
    Column("reopened_count", Integer, nullable=False, server_default="0"),
    Column("paused_at", DateTime(timezone=True)),
    Column("escalation_level", Integer, nullable=False, server_default="0"),
    Column("last_action_at", DateTime(timezone=True)),
    Column("notes", JSON),
)
Index("ix_clocks_opened_at", clocks.c.opened_at)
Index("ix_clocks_backlog", clocks.c.department_code, clocks.c.service_code, clocks.c.closed_at)
Index("ix_clocks_overdue", clocks.c.resolve_due_at,
      postgresql_where=text("closed_at IS NULL"), sqlite_where=text("closed_at IS NULL"))

# Reminders, escalations and breach checks, due at a time; any replica claims them with
# FOR UPDATE SKIP LOCKED, fires them and deletes them in one transaction.
timers = Table(
    "timers", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("request_id", String(64), nullable=False, index=True),
    Column("kind", String(32), nullable=False),
    Column("due_at", DateTime(timezone=True), nullable=False, index=True),
)

# From routing's directory_changed: who a department escalates to, and how many people
# live in each jurisdiction (the report card's per-1,000 figures).
department_chains = Table(
    "department_chains", metadata,
    Column("code", String(32), primary_key=True),
    Column("jurisdiction_id", String(64)),
    Column("supervisor", String(64)),
    Column("head", String(64)),
    Column("directory_version", Integer, nullable=False),
)

populations = Table(
    "populations", metadata,
    Column("jurisdiction_id", String(64), primary_key=True),
    Column("population", Integer),
    Column("directory_version", Integer, nullable=False),
)

# Residents' answers to the satisfaction question (intake's resident_rated): the latest
# answer of each resident and closing, for the report card's satisfaction figures.
ratings = Table(
    "ratings", metadata,
    Column("rating_id", String(120), primary_key=True),
    Column("request_id", String(64), nullable=False, index=True),
    Column("score", Integer),
    Column("not_fixed", Boolean, nullable=False),
    Column("rated_at", DateTime(timezone=True), nullable=False),
)
