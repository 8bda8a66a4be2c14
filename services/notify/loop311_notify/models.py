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
    Text,
    func,
    text,
)

from loop311_shared.reference_data import configuration_versions_table
from loop311_shared.tables import BigId, messaging_tables

metadata = MetaData()
outbox, inbox = messaging_tables(metadata)
# The topics a city defines are the latest `topics` document kept here.
configuration_versions = configuration_versions_table(metadata)

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
    Column("provider_id", String(200), index=True),
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
    # `direct`: about a request, to its reporters, followers and staff; `bulk`: broadcasts
    # and area alerts. Senders take direct messages first, so a broadcast never delays them.
    Column("lane", String(8), nullable=False, server_default="direct"),
    Column("broadcast_id", String(36), index=True),
    Column("unsubscribe_url", Text),  # a subscription's own one-step way out
)
Index("ix_deliveries_due", deliveries.c.channel, deliveries.c.lane, deliveries.c.status,
      deliveries.c.id)

# A provider's status callback that came before notify had recorded the text as sent
# (the provider answers, calls back, and only then does notify commit): applied then.
early_sms_statuses = Table(
    "early_sms_statuses", metadata,
    Column("provider_id", String(200), primary_key=True),
    Column("status", String(16), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
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

# Browsers (Web Push) and apps (FCM, APNs) that agreed to receive notifications.
push_subscriptions = Table(
    "push_subscriptions", metadata,
    Column("id", String(36), primary_key=True),
    Column("platform", String(8), nullable=False),
    Column("address", String(1000), nullable=False, unique=True),  # endpoint or device token
    Column("p256dh", String(200)),
    Column("auth", String(100)),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# Who follows what: a request, an area (circle or polygon, with its bounding box for the
# index) × categories, or a topic; on one channel, confirmed before anything is sent.
subscriptions = Table(
    "subscriptions", metadata,
    Column("id", String(36), primary_key=True),
    Column("kind", String(8), nullable=False),
    Column("channel", String(8), nullable=False),
    Column("address", String(1000), nullable=False),
    Column("language", String(8), nullable=False),
    Column("request_id", String(64), index=True),
    Column("topic", String(64), index=True),
    Column("area", JSON),
    Column("min_lat", Float),
    Column("max_lat", Float),
    Column("min_long", Float),
    Column("max_long", Float),
    # A circle's centre and radius, so the database measures the distance itself.
    Column("center_lat", Float),
    Column("center_long", Float),
    Column("radius_m", Float),
    Column("categories", JSON),
    Column("frequency", String(10), nullable=False, server_default="immediate"),
    Column("status", String(16), nullable=False, index=True),
    Column("token", String(64), nullable=False),
    Column("fingerprint", String(64), nullable=False, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("confirmed_at", DateTime(timezone=True)),
    Column("unsubscribed_at", DateTime(timezone=True)),
)
# Made by migration 0008, on PostgreSQL only: the boxes that hold a point (areas_around).
Index("ix_subscriptions_area_box",
      func.box(func.point(subscriptions.c.min_long, subscriptions.c.min_lat),
               func.point(subscriptions.c.max_long, subscriptions.c.max_lat)),
      postgresql_using="gist",
      postgresql_where=text("kind = 'area' AND status = 'active'")).ddl_if(dialect="postgresql")

# Announcements to a topic or an area, expanded into the ledger in batches (the cursor is
# the last subscription done), so a restart resumes where it stopped.
broadcasts = Table(
    "broadcasts", metadata,
    Column("id", String(36), primary_key=True),
    Column("topic", String(64)),
    Column("area", JSON),
    Column("title", JSON, nullable=False),
    Column("message", JSON, nullable=False),
    Column("status", String(16), nullable=False, index=True),
    Column("cursor", String(36), nullable=False, server_default=""),
    Column("recipients", Integer, nullable=False, server_default="0"),
    Column("created_by", String(100), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
)

# New requests in an area, waiting for its subscriber's daily digest.
area_digest_items = Table(
    "area_digest_items", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("subscription_id", String(36), nullable=False, index=True),
    Column("request_id", String(64), nullable=False),
    Column("line", Text, nullable=False),
    Column("dedupe_key", String(200), nullable=False, unique=True),
    Column("due_at", DateTime(timezone=True), nullable=False, index=True),
)

# Integrators: each has its own RabbitMQ user (made through the management API beside
# this row; see handlers/integrations.py).
integrators = Table(
    "integrators", metadata,
    Column("name", String(40), primary_key=True),
    Column("username", String(60), nullable=False, unique=True),
    Column("description", Text, nullable=False, server_default=""),
    Column("created_by", String(100), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# Webhooks: endpoints, the public events they get (kept once), one delivery per event
# and endpoint, and every attempt at it (the delivery log).
webhooks = Table(
    "webhooks", metadata,
    Column("id", String(36), primary_key=True),
    Column("url", Text, nullable=False),
    Column("event_types", JSON, nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    Column("owner_email", String(254)),
    Column("secret", String(100), nullable=False),
    Column("status", String(8), nullable=False),  # active, paused, disabled
    Column("failing_since", DateTime(timezone=True)),
    Column("disabled_at", DateTime(timezone=True)),
    Column("created_by", String(100), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

webhook_events = Table(
    "webhook_events", metadata,
    Column("event_id", String(64), primary_key=True),
    Column("event_type", String(64), nullable=False),
    Column("time", DateTime(timezone=True), nullable=False, index=True),
    Column("envelope", JSON, nullable=False),
)

webhook_deliveries = Table(
    "webhook_deliveries", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("webhook_id", String(36), nullable=False),
    Column("event_id", String(64), nullable=False),
    Column("state", String(10), nullable=False),  # pending, delivered, failed
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("leased_until", DateTime(timezone=True)),
    Column("delivered_at", DateTime(timezone=True)),
    Index("ix_webhook_deliveries_due", "webhook_id", "state", "next_attempt_at"),
    Index("uq_webhook_deliveries_event", "webhook_id", "event_id", unique=True),
)

webhook_attempts = Table(
    "webhook_attempts", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("delivery_id", BigId, nullable=False, index=True),
    Column("attempted_at", DateTime(timezone=True), nullable=False),
    Column("status_code", Integer),
    Column("error", Text),
    Column("milliseconds", Integer, nullable=False),
)
