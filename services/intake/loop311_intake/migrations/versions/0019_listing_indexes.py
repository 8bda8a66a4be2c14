"""Indexes for Open311's GET requests, newest first: by time with the id that breaks
ties (the page comes in order, without sorting the window), and by category and time
(one category's window as one ordered range, instead of a walk through every category's
reports or a sort of the category's whole history).

Revision ID: 0019
"""
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_service_requests_newest", "service_requests", ["requested_at", "id"])
    op.drop_index("ix_service_requests_requested_at", "service_requests")
    op.create_index("ix_service_requests_code_time", "service_requests",
                    ["service_code", "requested_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_service_requests_code_time", "service_requests")
    op.create_index("ix_service_requests_requested_at", "service_requests", ["requested_at"])
    op.drop_index("ix_service_requests_newest", "service_requests")
