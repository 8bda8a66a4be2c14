"""A database that older releases seeded with catalog rows (before the catalog became
configuration) is migrated without losing them, or the requests filed under them."""
from datetime import datetime, timezone
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

import loop311_intake
from loop311_intake import queries
from loop311_intake.models import service_catalog, service_requests
from loop311_shared.db import make_engine, migrate

MIGRATIONS = Path(loop311_intake.__file__).parent / "migrations"
NOW = datetime(2026, 11, 20, 9, tzinfo=timezone.utc)


def upgrade_to(engine, revision):
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def test_rows_seeded_by_old_migrations_survive_and_stay_offered(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade_to(engine, "0009")
    old_catalog = service_catalog.c
    with engine.begin() as connection:  # what revisions 0001-0009 used to insert
        connection.execute(insert(service_catalog).values(
            service_code="pothole", service_name="Request for Pothole Repair",
            description="A pothole", group="Streets", contact_required=False,
            keywords="pothole hole"))
        connection.execute(insert(service_requests).values(
            service_code="pothole", description="Deep", channel="web", status="open",
            requested_at=NOW, updated_at=NOW, token="t-1"))

    migrate(engine, MIGRATIONS)

    with Session(engine) as session:
        [row] = session.execute(select(old_catalog.service_code, old_catalog.active)).all()
        assert tuple(row) == ("pothole", True)
        assert [s["service_code"] for s in queries.list_services(session)] == ["pothole"]
        assert queries.public_view(session, "1")["service_name"] == "Request for Pothole Repair"
    engine.dispose()
