from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from loop311_shared.db import make_engine, migrate


@pytest.fixture
def migrated_session(tmp_path):
    """A session on a SQLite database (the services' zero-setup backend) built by the
    given service package's own migrations."""
    engines = []

    def make(service_package):
        engine = make_engine(f"sqlite:///{tmp_path / service_package.__name__}.db")
        migrate(engine, Path(service_package.__file__).parent / "migrations")
        engines.append(engine)
        return Session(engine)

    yield make
    for engine in engines:
        engine.dispose()


@pytest.fixture
def intake_uow(migrated_session):
    """An intake unit of work on its migrated database, with the demo catalog imported."""
    import loop311_intake
    from loop311_intake import handlers
    from loop311_intake.commands import ImportCatalog
    from loop311_intake.dependencies import Categories
    from loop311_intake.schemas import CatalogSchema
    from loop311_intake.unit_of_work import IntakeRules, IntakeUnitOfWork
    from loop311_shared.unit_of_work import run
    from support import DEMO_PLATFORM, demo_document

    with migrated_session(loop311_intake) as session:
        unit = IntakeUnitOfWork(session, rules=IntakeRules(jurisdiction_id=DEMO_PLATFORM),
                                categories=Categories())
        run(unit, handlers.import_catalog, ImportCatalog(
            CatalogSchema().load(demo_document("catalog")), "tests"))
        yield unit
