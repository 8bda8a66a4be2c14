from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
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
configuration_versions = configuration_versions_table(metadata)

service_catalog = Table(
    "service_catalog", metadata,
    Column("service_code", String(64), primary_key=True),
    Column("service_name", String(200), nullable=False),
    Column("description", Text, nullable=False),
    Column("group", String(100), nullable=False),
    Column("contact_required", Boolean, nullable=False, server_default="0"),
    Column("keywords", Text, nullable=False, server_default=""),
    # Left out of the latest catalog import: no new reports, old ones keep their name.
    Column("active", Boolean, nullable=False, server_default="1"),
)

# Residents who reported a request again: they hear what its first reporter hears.
followers = Table(
    "followers", metadata,
    Column("request_id", BigInteger, ForeignKey("service_requests.id"), primary_key=True),
    Column("contact_ref", String(36), primary_key=True),
    Column("followed_at", DateTime(timezone=True), nullable=False),
)

contacts = Table(
    "contacts", metadata,
    Column("contact_ref", String(36), primary_key=True),
    Column("email", String(320)),
    Column("phone", String(32)),
    Column("first_name", String(100)),
    Column("last_name", String(100)),
    Column("callback", String(16)),
    Column("language", String(8)),
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
    Column("attributes", JSON),
    Column("address_id", String(100)),
    Column("media_url", String(2000)),
    Column("token", String(36)),
    Column("status_notes", Text),
    Column("resolution", String(32)),
    Column("priority", String(16), nullable=False, server_default="normal"),
    Column("closed_at", DateTime(timezone=True)),
    Column("filed_in", String(64)),  # Open311's jurisdiction_id; null: the platform's
)

# Residents' answers to "how did we do?" after a close: one per resident and closing.
ratings = Table(
    "ratings", metadata,
    Column("rating_id", String(120), primary_key=True),
    Column("request_id", BigInteger, ForeignKey("service_requests.id"), nullable=False,
           index=True),
    Column("contact_ref", String(36), nullable=False),
    Column("score", Integer),
    Column("not_fixed", Boolean, nullable=False),
    Column("channel", String(16), nullable=False),
    Column("rated_at", DateTime(timezone=True), nullable=False),
)

service_attributes = Table(
    "service_attributes", metadata,
    Column("service_code", String(64), primary_key=True),
    Column("code", String(64), primary_key=True),
    Column("datatype", String(20), nullable=False),
    Column("required", Boolean, nullable=False),
    Column("variable", Boolean, nullable=False),
    Column("order", Integer, nullable=False),
    Column("description", Text, nullable=False),
    Column("datatype_description", Text),
    Column("values", JSON),
)

# The public history of a request (Open311 `notes` extension).
request_notes = Table(
    "request_notes", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("request_id", BigInteger, ForeignKey("service_requests.id"), nullable=False,
           index=True),
    Column("type", String(32), nullable=False),
    Column("summary", Text, nullable=False),
    Column("datetime", DateTime(timezone=True), nullable=False),
    Column("visibility", String(16), nullable=False, server_default="public"),
    Column("author", String(100)),
)

idempotency_keys = Table(
    "idempotency_keys", metadata,
    Column("client", String(64), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("response", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# A texter's report in progress; it expires if they stop answering.
sms_conversations = Table(
    "sms_conversations", metadata,
    Column("phone", String(32), primary_key=True),
    Column("state", String(32), nullable=False),
    Column("draft", JSON, nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)

sms_opt_outs = Table(
    "sms_opt_outs", metadata,
    Column("phone", String(32), primary_key=True),
    Column("opted_out_at", DateTime(timezone=True), nullable=False),
)

# Photos that arrived with a report: `data` is the vetted public copy (re-encoded, no
# metadata), served at /media/<id>; `original`, as it came, only with KEEP_ORIGINAL_PHOTOS
# and only to staff.
media = Table(
    "media", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("request_id", BigInteger, ForeignKey("service_requests.id"), nullable=False,
           index=True),
    Column("filename", String(255), nullable=False),
    Column("content_type", String(100), nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("original", LargeBinary),
    Column("original_type", String(100)),
)

# What routing announced of its directory (directory_changed): the platform's jurisdictions
# and what residents can report in each. routing owns the fact; this is intake's copy.
jurisdictions = Table(
    "jurisdictions", metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("parent_id", String(64)),
    Column("offers", JSON, nullable=False),
    Column("directory_version", Integer, nullable=False),
)

# Photos texted during an unfinished conversation, as they came (never served): they go
# through the photo pipeline with the report when it is filed, and are gone with it.
sms_photos = Table(
    "sms_photos", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("phone", String(32), nullable=False, index=True),
    Column("filename", String(255), nullable=False),
    Column("content_type", String(100), nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
)

# Category inference: what it learns from (a city's history, staff corrections), each
# training run, and every model version it made.
category_examples = Table(
    "category_examples", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("jurisdiction_id", String(64), nullable=False),
    Column("source", String(16), nullable=False),
    Column("text", Text, nullable=False),
    Column("service_code", String(64), nullable=False),
    Column("created", DateTime(timezone=True)),
    Column("request_id", BigInteger),
    Column("added_at", DateTime(timezone=True), nullable=False),
)

category_training_runs = Table(
    "category_training_runs", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("jurisdiction_id", String(64), nullable=False),
    Column("reason", String(32), nullable=False),
    Column("requested_by", String(200), nullable=False),
    Column("requested_at", DateTime(timezone=True), nullable=False),
    Column("state", String(16), nullable=False),
    Column("progress", Text, nullable=False, server_default=""),
    Column("started_at", DateTime(timezone=True)),
    Column("finished_at", DateTime(timezone=True)),
    Column("outcome", Text),
    Column("model_version", Integer),
)

category_models = Table(
    "category_models", metadata,
    Column("version", Integer, primary_key=True, autoincrement=True),
    Column("jurisdiction_id", String(64), nullable=False),
    Column("trained_at", DateTime(timezone=True), nullable=False),
    Column("training_run", BigInteger, nullable=False),
    Column("examples_through", BigInteger, nullable=False),
    Column("training_data", JSON, nullable=False),
    Column("quality", JSON, nullable=False),
    Column("model", LargeBinary, nullable=False),
    Column("active", Boolean, nullable=False, server_default="0"),
    Column("activated_at", DateTime(timezone=True)),
)

# The indexes the migrations make, so that this module describes the whole schema
# (tests/integration/test_schema_matches_models.py holds the two together).
OPEN = text("status <> 'closed'")
CORRECTION = text("source = 'correction'")
ACTIVE = text("active")
Index("ix_service_requests_token", service_requests.c.token, unique=True)
Index("ix_service_requests_newest", service_requests.c.requested_at, service_requests.c.id)
Index("ix_service_requests_code_time", service_requests.c.service_code,
      service_requests.c.requested_at, service_requests.c.id)
Index("ix_service_requests_updated_at", service_requests.c.updated_at)
Index("ix_service_requests_open_nearby", service_requests.c.service_code,
      service_requests.c.status, service_requests.c.requested_at)
Index("ix_service_requests_contact_ref", service_requests.c.contact_ref)
Index("ix_service_requests_open_place", service_requests.c.lat, service_requests.c.long,
      postgresql_where=OPEN, sqlite_where=OPEN)
Index("ix_contacts_phone", contacts.c.phone)
Index("ix_followers_contact_ref", followers.c.contact_ref)
Index("category_examples_by_jurisdiction", category_examples.c.jurisdiction_id,
      category_examples.c.source)
Index("ix_category_examples_correction", category_examples.c.request_id,
      postgresql_where=CORRECTION, sqlite_where=CORRECTION)
Index("category_training_runs_by_state", category_training_runs.c.state)
Index("category_models_one_active", category_models.c.jurisdiction_id, unique=True,
      postgresql_where=ACTIVE, sqlite_where=ACTIVE)
