"""Keywords for every service: shown in Open311's `keywords` and used to infer a category
from free text (the words themselves are in the catalog configuration).

Revision ID: 0009
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

def upgrade() -> None:
    with op.batch_alter_table("service_catalog") as table:
        table.add_column(sa.Column("keywords", sa.Text, nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("service_catalog") as table:
        table.drop_column("keywords")
