"""Residents' preferences, what a failed text needs to go by email instead, who is assigned
each request, and staff reminder digests.

Revision ID: 0007
"""
import sqlalchemy as sa
from alembic import op

from loop311_shared.tables import BigId

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("known_requests") as table:
        table.add_column(sa.Column("priority", sa.String(16), nullable=False,
                                   server_default="normal"))
    with op.batch_alter_table("recipients") as table:
        table.add_column(sa.Column("request_token", sa.String(64)))
    with op.batch_alter_table("deliveries") as table:
        table.add_column(sa.Column("contact_ref", sa.String(64)))
        table.add_column(sa.Column("language", sa.String(8)))
        table.add_column(sa.Column("values", sa.JSON))
    with op.batch_alter_table("staff") as table:
        table.add_column(sa.Column("notify_by", sa.String(8), nullable=False,
                                   server_default="email"))
        table.add_column(sa.Column("reminders", sa.String(8), nullable=False,
                                   server_default="each"))
    op.create_table(
        "preferences",
        sa.Column("address", sa.String(320), primary_key=True),
        sa.Column("channel", sa.String(8)),
        sa.Column("language", sa.String(8)),
        sa.Column("quiet_start", sa.String(5)),
        sa.Column("quiet_end", sa.String(5)),
        sa.Column("time_zone", sa.String(64)),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "assignees",
        sa.Column("request_id", sa.String(64), primary_key=True),
        sa.Column("assignee_id", sa.String(64)),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "digest_items",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("staff_id", sa.String(64), nullable=False),
        sa.Column("request_id", sa.String(64), nullable=False),
        sa.Column("line", sa.Text, nullable=False),
        sa.Column("dedupe_key", sa.String(200), nullable=False, unique=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False, index=True),
    )


def downgrade() -> None:
    op.drop_table("digest_items")
    op.drop_table("assignees")
    op.drop_table("preferences")
    with op.batch_alter_table("staff") as table:
        table.drop_column("reminders")
        table.drop_column("notify_by")
    with op.batch_alter_table("deliveries") as table:
        table.drop_column("values")
        table.drop_column("language")
        table.drop_column("contact_ref")
    with op.batch_alter_table("recipients") as table:
        table.drop_column("request_token")
    with op.batch_alter_table("known_requests") as table:
        table.drop_column("priority")
