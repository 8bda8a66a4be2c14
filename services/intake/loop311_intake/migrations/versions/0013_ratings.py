"""Residents' answers to the satisfaction question, and when each request was last closed.

Revision ID: 0013
"""
import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("service_requests") as table:
        table.add_column(sa.Column("closed_at", sa.DateTime(timezone=True)))
    op.create_table(
        "ratings",
        sa.Column("rating_id", sa.String(120), primary_key=True),
        sa.Column("request_id", sa.BigInteger, sa.ForeignKey("service_requests.id"),
                  nullable=False, index=True),
        sa.Column("contact_ref", sa.String(36), nullable=False),
        sa.Column("score", sa.Integer),
        sa.Column("not_fixed", sa.Boolean, nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("rated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("ratings")
    with op.batch_alter_table("service_requests") as table:
        table.drop_column("closed_at")
