"""Imported versions of the directory (reference data now arrives by admin import).

Revision ID: 0002
"""
import sqlalchemy as sa
from alembic import op

from loop311_shared.reference_data import configuration_versions_table

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    configuration_versions_table(sa.MetaData()).create(op.get_bind())


def downgrade() -> None:
    op.drop_table("configuration_versions")
