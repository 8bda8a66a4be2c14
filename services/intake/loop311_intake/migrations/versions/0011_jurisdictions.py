"""intake's copy of the platform's jurisdictions, as routing announces them.

Revision ID: 0011
"""
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "jurisdictions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("parent_id", sa.String(64)),
        sa.Column("offers", sa.JSON, nullable=False),
        sa.Column("directory_version", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("jurisdictions")
