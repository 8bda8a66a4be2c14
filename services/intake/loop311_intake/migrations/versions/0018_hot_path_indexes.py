"""Indexes for lookups made per text, per call-in and per correction, which read every
request, contact or example the city ever had without them: a phone's requests (a text
that asks for status or answers a question), open requests near a point in any category
(a call-in's nearby list), and a request's earlier correction.

Revision ID: 0018
"""
import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

OPEN = sa.text("status <> 'closed'")
CORRECTION = sa.text("source = 'correction'")


def upgrade() -> None:
    op.create_index("ix_contacts_phone", "contacts", ["phone"])
    op.create_index("ix_service_requests_contact_ref", "service_requests", ["contact_ref"])
    op.create_index("ix_followers_contact_ref", "followers", ["contact_ref"])
    op.create_index("ix_service_requests_open_place", "service_requests", ["lat", "long"],
                    postgresql_where=OPEN, sqlite_where=OPEN)
    op.create_index("ix_category_examples_correction", "category_examples", ["request_id"],
                    postgresql_where=CORRECTION, sqlite_where=CORRECTION)


def downgrade() -> None:
    op.drop_index("ix_category_examples_correction", "category_examples")
    op.drop_index("ix_service_requests_open_place", "service_requests")
    op.drop_index("ix_followers_contact_ref", "followers")
    op.drop_index("ix_service_requests_contact_ref", "service_requests")
    op.drop_index("ix_contacts_phone", "contacts")
