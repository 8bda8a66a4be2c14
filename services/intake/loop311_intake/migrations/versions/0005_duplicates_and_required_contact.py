"""Followers of a request (duplicates fold into the first report) and categories that
require the reporter's contact details.

Revision ID: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

def upgrade() -> None:
    with op.batch_alter_table("service_catalog") as table:
        table.add_column(sa.Column("contact_required", sa.Boolean, nullable=False,
                                   server_default=sa.false()))
    op.create_table(
        "followers",
        sa.Column("request_id", sa.BigInteger, sa.ForeignKey("service_requests.id"),
                  primary_key=True),
        sa.Column("contact_ref", sa.String(36), primary_key=True),
        sa.Column("followed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_service_requests_open_nearby", "service_requests",
                    ["service_code", "status", "requested_at"])


def downgrade() -> None:
    op.drop_index("ix_service_requests_open_nearby", "service_requests")
    op.drop_table("followers")
    with op.batch_alter_table("service_catalog") as table:
        table.drop_column("contact_required")
