"""Clocks with two targets (acknowledge, resolve) counted on business calendars, what the
report card needs about each request, and the timers of reminders and escalations.
Existing clocks keep their due date as the resolve target.

Revision ID: 0003
"""
import sqlalchemy as sa
from alembic import op

from loop311_shared.tables import BigId

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("clocks") as table:
        table.alter_column("due_at", new_column_name="resolve_due_at",
                           existing_type=sa.DateTime(timezone=True), nullable=True)
        table.alter_column("status", new_column_name="resolve_state",
                           existing_type=sa.String(16), server_default="pending")
        table.alter_column("started_at", existing_type=sa.DateTime(timezone=True), nullable=True)
        table.alter_column("department_code", existing_type=sa.String(32), nullable=True)
    # A second batch: SQLite rebuilds the table per batch, and `status` is a new column
    # once the old one is renamed.
    with op.batch_alter_table("clocks") as table:
        for column in (
            sa.Column("priority", sa.String(16), nullable=False, server_default="normal"),
            sa.Column("channel", sa.String(16)),
            sa.Column("jurisdiction_id", sa.String(64)),
            sa.Column("assignee_id", sa.String(64)),
            sa.Column("lat", sa.Float),
            sa.Column("long", sa.Float),
            sa.Column("policy_id", sa.String(64)),
            sa.Column("policy_version", sa.Integer),
            sa.Column("opened_at", sa.DateTime(timezone=True)),
            sa.Column("ack_due_at", sa.DateTime(timezone=True)),
            sa.Column("acknowledged_at", sa.DateTime(timezone=True)),
            sa.Column("closed_at", sa.DateTime(timezone=True)),
            sa.Column("ack_calendar_seconds", sa.Float),
            sa.Column("ack_business_seconds", sa.Float),
            sa.Column("close_calendar_seconds", sa.Float),
            sa.Column("close_business_seconds", sa.Float),
            sa.Column("ack_state", sa.String(16), nullable=False, server_default="pending"),
            sa.Column("status", sa.String(16), nullable=False, server_default="open"),
            sa.Column("reopened_count", sa.Integer, nullable=False, server_default="0"),
            sa.Column("paused_at", sa.DateTime(timezone=True)),
            sa.Column("escalation_level", sa.Integer, nullable=False, server_default="0"),
            sa.Column("last_action_at", sa.DateTime(timezone=True)),
            sa.Column("notes", sa.JSON),
        ):
            table.add_column(column)
    op.execute("UPDATE clocks SET opened_at = started_at WHERE opened_at IS NULL")
    with op.batch_alter_table("clocks") as table:
        table.alter_column("opened_at", existing_type=sa.DateTime(timezone=True), nullable=False)
    op.create_index("ix_clocks_opened_at", "clocks", ["opened_at"])
    op.create_index("ix_clocks_overdue", "clocks", ["resolve_due_at"],
                    postgresql_where=sa.text("closed_at IS NULL"),
                    sqlite_where=sa.text("closed_at IS NULL"))
    op.drop_table("policies")  # the policies in force are the imported document
    op.create_table(
        "timers",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("request_id", sa.String(64), nullable=False, index=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False, index=True),
    )


def downgrade() -> None:
    raise NotImplementedError("clocks with targets cannot be narrowed back to one due date")
