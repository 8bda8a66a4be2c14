"""Push subscriptions, residents' subscriptions (a request, an area, a topic), topics as
imported configuration, broadcasts, area digests, and the ledger's lanes.

Revision ID: 0008
"""
import sqlalchemy as sa
from alembic import op

from loop311_shared.reference_data import configuration_versions_table
from loop311_shared.tables import BigId

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    configuration_versions_table(sa.MetaData()).create(op.get_bind())
    with op.batch_alter_table("deliveries") as table:
        table.add_column(sa.Column("lane", sa.String(8), nullable=False, server_default="direct"))
        table.add_column(sa.Column("broadcast_id", sa.String(36)))
        table.add_column(sa.Column("unsubscribe_url", sa.Text))
        # FCM's message names are longer than an SMS sid.
        table.alter_column("provider_id", type_=sa.String(200), existing_type=sa.String(64))
        table.create_index("ix_deliveries_broadcast_id", ["broadcast_id"])
        table.create_index("ix_deliveries_due", ["channel", "lane", "status", "id"])
    op.create_table(
        "push_subscriptions",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("platform", sa.String(8), nullable=False),
        sa.Column("address", sa.String(1000), nullable=False, unique=True),
        sa.Column("p256dh", sa.String(200)),
        sa.Column("auth", sa.String(100)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("address", sa.String(1000), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("request_id", sa.String(64), index=True),
        sa.Column("topic", sa.String(64), index=True),
        sa.Column("area", sa.JSON),
        sa.Column("min_lat", sa.Float),
        sa.Column("max_lat", sa.Float),
        sa.Column("min_long", sa.Float),
        sa.Column("max_long", sa.Float),
        sa.Column("center_lat", sa.Float),
        sa.Column("center_long", sa.Float),
        sa.Column("radius_m", sa.Float),
        sa.Column("categories", sa.JSON),
        sa.Column("frequency", sa.String(10), nullable=False, server_default="immediate"),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("token", sa.String(64), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False, index=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True)),
        sa.Column("unsubscribed_at", sa.DateTime(timezone=True)),
    )
    if op.get_bind().dialect.name == "postgresql":
        # Which areas hold a point: a GiST index on each active area's bounding box, so a
        # new request finds its subscribers among 100,000 without reading them all.
        op.execute("CREATE INDEX ix_subscriptions_area_box ON subscriptions USING gist "
                   "(box(point(min_long, min_lat), point(max_long, max_lat))) "
                   "WHERE kind = 'area' AND status = 'active'")
    op.create_table(
        "broadcasts",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("topic", sa.String(64)),
        sa.Column("area", sa.JSON),
        sa.Column("title", sa.JSON, nullable=False),
        sa.Column("message", sa.JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("cursor", sa.String(36), nullable=False, server_default=""),
        sa.Column("recipients", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "early_sms_statuses",
        sa.Column("provider_id", sa.String(200), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "area_digest_items",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("subscription_id", sa.String(36), nullable=False, index=True),
        sa.Column("request_id", sa.String(64), nullable=False),
        sa.Column("line", sa.Text, nullable=False),
        sa.Column("dedupe_key", sa.String(200), nullable=False, unique=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False, index=True),
    )


def downgrade() -> None:
    op.drop_table("area_digest_items")
    op.drop_table("early_sms_statuses")
    op.drop_table("broadcasts")
    op.drop_table("subscriptions")
    op.drop_table("push_subscriptions")
    with op.batch_alter_table("deliveries") as table:
        table.drop_index("ix_deliveries_due")
        table.drop_index("ix_deliveries_broadcast_id")
        table.alter_column("provider_id", type_=sa.String(64), existing_type=sa.String(200))
        table.drop_column("unsubscribe_url")
        table.drop_column("broadcast_id")
        table.drop_column("lane")
    op.drop_table("configuration_versions")
