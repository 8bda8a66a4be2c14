"""Indexes that serve the work queues page by page: a department's, a person's and
triage, each filtered by status and ordered by age. The department and person indexes
before stopped at (department, state) and (person, status), so a department's page read
every closed request the department ever had; triage had none and read every assignment.

Revision ID: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TRIAGE = sa.text("state = 'triage'")


def upgrade() -> None:
    op.create_index("ix_assignments_department_queue", "assignments",
                    ["department_code", "state", "status", "assigned_at", "request_id"])
    op.drop_index("ix_assignments_department_state", "assignments")
    op.create_index("ix_assignments_assignee_queue", "assignments",
                    ["assignee_id", "status", "assigned_at", "request_id"])
    op.drop_index("ix_assignments_assignee", "assignments")
    op.create_index("ix_assignments_triage", "assignments",
                    ["status", "assigned_at", "request_id"],
                    postgresql_where=TRIAGE, sqlite_where=TRIAGE)


def downgrade() -> None:
    op.drop_index("ix_assignments_triage", "assignments")
    op.create_index("ix_assignments_assignee", "assignments", ["assignee_id", "status"])
    op.drop_index("ix_assignments_assignee_queue", "assignments")
    op.create_index("ix_assignments_department_state", "assignments",
                    ["department_code", "state"])
    op.drop_index("ix_assignments_department_queue", "assignments")
