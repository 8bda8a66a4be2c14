"""Every step of a request told to its residents: the ledger keeps the kind of message and
its HTML alternative, recipients their language, and unsubscribed addresses are kept.

Revision ID: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("deliveries") as table:
        table.add_column(sa.Column("html", sa.Text))
        table.add_column(sa.Column("kind", sa.String(32)))
    with op.batch_alter_table("recipients") as table:
        table.add_column(sa.Column("language", sa.String(8)))
    op.create_table(
        "email_opt_outs",
        sa.Column("email", sa.String(320), primary_key=True),
        sa.Column("opted_out_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("email_opt_outs")
    with op.batch_alter_table("recipients") as table:
        table.drop_column("language")
    with op.batch_alter_table("deliveries") as table:
        table.drop_column("kind")
        table.drop_column("html")
