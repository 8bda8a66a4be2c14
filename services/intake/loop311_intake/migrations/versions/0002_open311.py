"""Open311 GeoReport v2: service attributes, request attributes, tokens and notes.

Revision ID: 0002
"""
import sqlalchemy as sa
from alembic import op

from loop311_shared.tables import BigId

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

def upgrade() -> None:
    op.create_table(
        "service_attributes",
        sa.Column("service_code", sa.String(64), primary_key=True),
        sa.Column("code", sa.String(64), primary_key=True),
        sa.Column("datatype", sa.String(20), nullable=False),
        sa.Column("required", sa.Boolean, nullable=False),
        sa.Column("variable", sa.Boolean, nullable=False),
        sa.Column("order", sa.Integer, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("datatype_description", sa.Text),
        sa.Column("values", sa.JSON),
    )
    with op.batch_alter_table("service_requests") as table:
        table.add_column(sa.Column("attributes", sa.JSON))
        table.add_column(sa.Column("address_id", sa.String(100)))
        table.add_column(sa.Column("media_url", sa.String(2000)))
        table.add_column(sa.Column("token", sa.String(36)))
        table.create_index("ix_service_requests_token", ["token"], unique=True)
        table.create_index("ix_service_requests_requested_at", ["requested_at"])
        table.create_index("ix_service_requests_updated_at", ["updated_at"])
    op.create_table(
        "request_notes",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("request_id", sa.BigInteger, sa.ForeignKey("service_requests.id"),
                  nullable=False, index=True),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("datetime", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("request_notes")
    with op.batch_alter_table("service_requests") as table:
        for index in ("ix_service_requests_updated_at", "ix_service_requests_requested_at",
                      "ix_service_requests_token"):
            table.drop_index(index)
        for column in ("token", "media_url", "address_id", "attributes"):
            table.drop_column(column)
    op.drop_table("service_attributes")
