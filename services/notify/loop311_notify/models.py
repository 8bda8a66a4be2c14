from sqlalchemy import JSON, Boolean, Column, DateTime, Integer, MetaData, String, Table, Text

from loop311_shared.tables import BigId, messaging_tables

metadata = MetaData()
outbox, inbox = messaging_tables(metadata)

# What notify knows of a request: enough to write to its reporter, nothing more.
known_requests = Table(
    "known_requests", metadata,
    Column("request_id", String(64), primary_key=True),
    Column("service_name", String(200), nullable=False),
    Column("contact_ref", String(36)),
    Column("priority", String(16), nullable=False, server_default="normal"),
)

recipients = Table(
    "recipients", metadata,
    Column("contact_ref", String(36), primary_key=True),
    Column("email", String(320)),
    Column("phone", String(32)),
    Column("first_name", String(100)),
    Column("request_id", String(64), index=True),
    Column("language", String(8)),
    Column("request_token", String(64)),  # the proof in rating and preference links
)

# The delivery ledger: one row per message; `dedupe_key` makes each message unique.
deliveries = Table(
    "deliveries", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("dedupe_key", String(200), nullable=False, unique=True),
    Column("request_id", String(64), nullable=False, index=True),
    Column("channel", String(16), nullable=False),
    Column("recipient", String(320), nullable=False),
    Column("subject", String(300), nullable=False),
    Column("body", Text, nullable=False),
    Column("html", Text),
    Column("kind", String(32)),
    Column("provider_id", String(64), index=True),
    Column("status", String(16), nullable=False, index=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True)),
    Column("last_error", Text),
    # Who it is for and what it said, so a text that fails can go by email instead.
    Column("contact_ref", String(64)),
    Column("language", String(8)),
    Column("values", JSON),
)

# Each phone's latest STOP or START; the latest wins whatever order they arrive in.
opt_outs = Table(
    "opt_outs", metadata,
    Column("phone", String(32), primary_key=True),
    Column("opted_out", Boolean, nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
)

# Email addresses that used an unsubscribe link (or the List-Unsubscribe one-click).
email_opt_outs = Table(
    "email_opt_outs", metadata,
    Column("email", String(320), primary_key=True),
    Column("opted_out_at", DateTime(timezone=True), nullable=False),
)

# How to reach the staff routing assigns work to (routing's private staff_directory_recorded).
staff = Table(
    "staff", metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("department_code", String(32)),
    Column("email", String(320)),
    Column("phone", String(32)),
    Column("directory_version", Integer, nullable=False),
    Column("notify_by", String(8), nullable=False, server_default="email"),
    Column("reminders", String(8), nullable=False, server_default="each"),
)

# How a resident wants to hear from us, by address (a lowercased email or an E.164 phone):
# set through the preferences API, with a request's token as proof.
preferences = Table(
    "preferences", metadata,
    Column("address", String(320), primary_key=True),
    Column("channel", String(8)),
    Column("language", String(8)),
    Column("quiet_start", String(5)),
    Column("quiet_end", String(5)),
    Column("time_zone", String(64)),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# Who works each request now (request_assigned, request_reassigned): told when a resident
# says it is not fixed.
assignees = Table(
    "assignees", metadata,
    Column("request_id", String(64), primary_key=True),
    Column("assignee_id", String(64)),
    Column("assigned_at", DateTime(timezone=True), nullable=False),
)

# Reminders for staff who chose an hourly digest, waiting for their hour's message.
digest_items = Table(
    "digest_items", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("staff_id", String(64), nullable=False),
    Column("request_id", String(64), nullable=False),
    Column("line", Text, nullable=False),
    Column("dedupe_key", String(200), nullable=False, unique=True),
    Column("due_at", DateTime(timezone=True), nullable=False, index=True),
)
