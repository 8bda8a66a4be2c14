"""The catalog becomes configuration: imports are versioned, and a category left out of
an import is retired (inactive), never deleted. Schema only; existing rows are kept and
stay active until the next import.

Revision ID: 0010
"""
import sqlalchemy as sa
from alembic import op

from loop311_shared.reference_data import configuration_versions_table

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("service_catalog") as table:
        table.add_column(sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()))
    configuration_versions_table(sa.MetaData()).create(op.get_bind())


def downgrade() -> None:
    op.drop_table("configuration_versions")
    with op.batch_alter_table("service_catalog") as table:
        table.drop_column("active")
