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
