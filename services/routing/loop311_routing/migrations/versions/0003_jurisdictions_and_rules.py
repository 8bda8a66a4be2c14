"""The directory becomes jurisdictions with boundaries, departments with staff, and ordered
rules (kept as the imported document); assignments record the person, the rule, the place,
and triage. Category routes are gone: import a loop311.directory/2 document after upgrading
(the old document stays in configuration_versions; until then requests wait in triage).

Revision ID: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_table("category_routes")
    with op.batch_alter_table("departments") as table:
        table.add_column(sa.Column("jurisdiction_id", sa.String(64)))
    with op.batch_alter_table("assignments") as table:
        table.alter_column("jurisdiction_id", existing_type=sa.String(64), nullable=True)
        table.alter_column("department_code", existing_type=sa.String(32), nullable=True)
        table.add_column(sa.Column("assignee_id", sa.String(64)))
        table.add_column(sa.Column("rule_id", sa.String(64)))
        table.add_column(sa.Column("lat", sa.Float))
        table.add_column(sa.Column("long", sa.Float))
        table.add_column(sa.Column("state", sa.String(16), nullable=False,
                                   server_default="assigned"))
        table.add_column(sa.Column("triage_reason", sa.Text))
        table.add_column(sa.Column("status", sa.String(16), nullable=False, server_default="open"))
        table.create_index("ix_assignments_department_state", ["department_code", "state"])
        table.create_index("ix_assignments_assignee", ["assignee_id", "status"])
    op.create_table(
        "rotations",
        sa.Column("rule_id", sa.String(64), primary_key=True),
        sa.Column("turn", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("rotations")
    with op.batch_alter_table("assignments") as table:
        table.drop_index("ix_assignments_assignee")
        table.drop_index("ix_assignments_department_state")
        for column in ("status", "triage_reason", "state", "long", "lat", "rule_id", "assignee_id"):
            table.drop_column(column)
    with op.batch_alter_table("departments") as table:
        table.drop_column("jurisdiction_id")
    op.create_table(
        "category_routes",
        sa.Column("jurisdiction_id", sa.String(64), primary_key=True),
        sa.Column("service_code", sa.String(64), primary_key=True),
        sa.Column("department_code", sa.String(32), sa.ForeignKey("departments.code"),
                  nullable=False),
    )
