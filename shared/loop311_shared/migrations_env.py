"""The body of every service's alembic env.py: online migrations on the connection that
`db.migrate` hands over, or on DATABASE_URL when alembic is run from the command line."""
import os

from alembic import context
from sqlalchemy import MetaData, create_engine


def run_migrations(target_metadata: MetaData) -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection, target_metadata)
        return
    engine = create_engine(os.environ["DATABASE_URL"])
    with engine.begin() as connection:
        _run(connection, target_metadata)


def _run(connection, target_metadata):
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()
