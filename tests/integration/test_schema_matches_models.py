"""Each service's migrations build exactly the schema its models.py describes: tables,
columns and their types, and every index. The models are where a reader looks (and what
the unit tests build on SQLite); an index that only a migration knows of is one the next
change can miss."""
import importlib
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from loop311_shared.db import make_engine, migrate


@pytest.mark.parametrize("service", ["intake", "routing", "sla", "notify"])
def test_the_migrated_schema_is_the_one_the_models_describe(service, new_database):
    package = importlib.import_module(f"loop311_{service}")
    models = importlib.import_module(f"loop311_{service}.models")
    engine = make_engine(new_database(service))
    try:
        migrate(engine, Path(package.__file__).parent / "migrations")
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, models.metadata)
    finally:
        engine.dispose()
    assert differences == []
