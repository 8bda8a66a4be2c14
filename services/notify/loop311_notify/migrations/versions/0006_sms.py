"""Text messages in the ledger: the provider's id for each, to match its status callbacks.

Revision ID: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("deliveries") as table:
        table.add_column(sa.Column("provider_id", sa.String(64)))
        table.create_index("ix_deliveries_provider_id", ["provider_id"])


def downgrade() -> None:
    with op.batch_alter_table("deliveries") as table:
        table.drop_index("ix_deliveries_provider_id")
        table.drop_column("provider_id")
