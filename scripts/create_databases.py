"""Create each service's PostgreSQL database if it does not exist yet.

Usage: python scripts/create_databases.py URL [URL ...]  (one DATABASE_URL per service)
"""
import sys

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from loop311_shared.db import with_driver


def ensure_database(url: str) -> bool:
    target = with_driver(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                    {"name": target.database}).first()
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()
    return not exists


if __name__ == "__main__":
    for url in sys.argv[1:]:
        created = ensure_database(url)
        print(f"{make_url(url).database}: {'created' if created else 'exists'}")
