"""Known requests, recipients and the delivery ledger.

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
        "known_requests",
        sa.Column("request_id", sa.String(64), primary_key=True),
        sa.Column("service_name", sa.String(200), nullable=False),
        sa.Column("contact_ref", sa.String(36)),
    )
    op.create_table(
        "recipients",
        sa.Column("contact_ref", sa.String(36), primary_key=True),
        sa.Column("email", sa.String(320)),
        sa.Column("phone", sa.String(32)),
        sa.Column("first_name", sa.String(100)),
    )
    op.create_table(
        "deliveries",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("dedupe_key", sa.String(200), nullable=False, unique=True),
        sa.Column("request_id", sa.String(64), nullable=False, index=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("recipient", sa.String(320), nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.Column("last_error", sa.Text),
    )


def downgrade() -> None:
    for name in ("deliveries", "recipients", "known_requests", "inbox", "outbox"):
        op.drop_table(name)
