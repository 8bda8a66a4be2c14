"""Category models learned from a city's history and its staff's corrections.

Revision ID: 0016
"""
import sqlalchemy as sa
from alembic import op

from loop311_shared.tables import BigId

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "category_examples",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("jurisdiction_id", sa.String(64), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),  # history | correction
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("service_code", sa.String(64), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True)),
        sa.Column("request_id", sa.BigInteger),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("category_examples_by_jurisdiction", "category_examples",
                    ["jurisdiction_id", "source"])
    op.create_table(
        "category_training_runs",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("jurisdiction_id", sa.String(64), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("requested_by", sa.String(200), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("progress", sa.Text, nullable=False, server_default=""),
        sa.Column("started_at", sa.DateTime(timezone=True)),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("outcome", sa.Text),
        sa.Column("model_version", sa.Integer),
    )
    op.create_index("category_training_runs_by_state", "category_training_runs", ["state"])
    op.create_table(
        "category_models",
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("jurisdiction_id", sa.String(64), nullable=False),
        sa.Column("trained_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("training_run", sa.BigInteger, nullable=False),
        sa.Column("examples_through", sa.BigInteger, nullable=False),
        sa.Column("training_data", sa.JSON, nullable=False),
        sa.Column("quality", sa.JSON, nullable=False),
        sa.Column("model", sa.LargeBinary, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("activated_at", sa.DateTime(timezone=True)),
    )
    op.create_index("category_models_one_active", "category_models", ["jurisdiction_id"],
                    unique=True, postgresql_where=sa.text("active"),
                    sqlite_where=sa.text("active"))


def downgrade() -> None:
    op.drop_table("category_models")
    op.drop_table("category_training_runs")
    op.drop_table("category_examples")
