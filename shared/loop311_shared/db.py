"""Database access for a service: engine, migrations at start, one session per worker.

A database that is down when the service starts is waited for (capped backoff, one log
line per attempt) while the rest of the service starts and says it is not ready. When one
restarts later, the first statement on a pooled connection fails; the pool then drops every
connection made before the failure and opens new ones. What failed meanwhile is a transient
error (`is_transient`): a 503 at the edge, a retry for a consumed event. (No pre-ping: a
round trip before every unit of work costs more than the one retried failure it saves.)
"""
import logging
import os
from pathlib import Path
from weakref import WeakKeyDictionary

import eventlet
from alembic import command
from alembic.config import Config
from nameko.extensions import DependencyProvider
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from .settings import settings_of

MIGRATION_LOCK_ID = 311_311
log = logging.getLogger(__name__)


def reason(error: BaseException) -> str:
    """An error's first line, the driver's own words when it has them: for a log line."""
    text = str(getattr(error, "orig", None) or error).strip()
    return text.splitlines()[0][:200] if text else type(error).__name__


def is_transient(error: BaseException) -> bool:
    """Whether `error` means the database was unreachable, not that the work was wrong."""
    return isinstance(error, (OperationalError, InterfaceError)) or (
        isinstance(error, DBAPIError) and error.connection_invalidated)


def database_url(url: str, service_name: str) -> str:
    """DATABASE_URL as given, else a zero-setup SQLite file under ./var/."""
    if url:
        return url
    Path("var").mkdir(exist_ok=True)
    return f"sqlite:///var/{service_name}.db"


def with_driver(url: str) -> URL:
    """`postgresql://` means psycopg2 here: eventlet can make it cooperative (psycogreen),
    while psycopg 3, SQLAlchemy 2.1's default, would block every greenlet."""
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg2")
    return parsed


def make_engine(url: str) -> Engine:
    url = with_driver(url)
    if url.get_backend_name() == "postgresql":
        _make_psycopg2_cooperative()
        # Recycled hourly, so a connection a firewall silently dropped is not kept for ever.
        return create_engine(url, pool_size=10, max_overflow=20, pool_recycle=3600)
    return create_engine(url, pool_pre_ping=True, connect_args={"timeout": 30})


def _make_psycopg2_cooperative():
    # libpq blocks the whole eventlet hub unless psycopg2 is given a green wait callback.
    from eventlet import patcher
    if patcher.is_monkey_patched("socket"):
        from psycogreen.eventlet import patch_psycopg
        patch_psycopg()


def migrate(engine: Engine, migrations_dir: str | os.PathLike) -> None:
    """Upgrade the service's schema to head; replicas starting together take turns."""
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK_ID})
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


class Database(DependencyProvider):
    """Gives each worker its own SQLAlchemy session, closed (rolled back unless committed)
    when the worker ends. Migrations run in `setup`, before any entrypoint starts."""

    def __init__(self, migrations_dir):
        self.migrations_dir = migrations_dir
        self.sessions = WeakKeyDictionary()
        self.watchers: list[tuple[frozenset, object]] = []

    def watch(self, tables, wake) -> None:
        """Set `wake` (an Event) whenever a session of this database commits a write to
        one of `tables`, except the session that `wake` itself runs (marked with
        `session.info["woken_by"] = wake`)."""
        self.watchers.append((frozenset(tables), wake))

    def setup(self):
        url = database_url(settings_of(self.container).database_url, self.container.service_name)
        self.engine = make_engine(url)
        self.where = self.engine.url.render_as_string(hide_password=True)  # for log lines
        self.make_session = sessionmaker(bind=self.engine, expire_on_commit=False)
        event.listen(self.make_session, "do_orm_execute", _note_written_table)
        event.listen(self.make_session, "after_commit", self._wake_watchers)
        event.listen(self.make_session, "after_soft_rollback", _forget_written_tables)
        self.migrated = False
        self.running = True
        try:
            self._migrate()
        except OperationalError as error:
            log.warning("database %s unreachable at start (%s); waiting for it",
                        self.where, reason(error))

    def _migrate(self) -> None:
        migrate(self.engine, self.migrations_dir)
        self.migrated = True
        log.info("database %s migrated to the latest schema", self.where)

    def start(self):
        if not self.migrated:
            self.container.spawn_managed_thread(self._wait_and_migrate)

    def _wait_and_migrate(self) -> None:
        delay, attempt = 1.0, 1
        while self.running and not self.migrated:
            eventlet.sleep(delay)
            attempt += 1
            try:
                self._migrate()
                log.warning("database %s reachable again: migrated, ready", self.where)
            except OperationalError as error:
                delay = min(delay * 2, 30.0)
                log.warning("database %s still unreachable (attempt %d: %s); next try in "
                            "%.0f s", self.where, attempt, reason(error), delay)

    def stop(self):
        self.running = False
        self.engine.dispose()

    def kill(self):
        self.stop()

    def _wake_watchers(self, session) -> None:
        written = session.info.pop("written", None)
        if written:
            for tables, wake in self.watchers:
                if tables & written and session.info.get("woken_by") is not wake:
                    wake.set()

    def get_dependency(self, worker_ctx) -> Session:
        session = self.make_session()
        session.info["migrated"] = self.migrated  # readiness asks
        self.sessions[worker_ctx] = session
        return session

    def worker_teardown(self, worker_ctx):
        session = self.sessions.pop(worker_ctx, None)
        if session is not None:
            session.close()


def _note_written_table(state) -> None:
    """Remember which tables this transaction writes, for `Database.watch`."""
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        if table is not None:
            state.session.info.setdefault("written", set()).add(table.name)


def _forget_written_tables(session, transaction) -> None:
    """What a rolled-back transaction wrote was never there (a savepoint's rollback
    leaves its transaction's writes standing)."""
    if not transaction.nested:
        session.info.pop("written", None)


def lock_for_transaction(session: Session, key: str) -> None:
    """Serialise transactions that touch the same `key` until the holder commits.

    PostgreSQL: a transaction-scoped advisory lock. SQLite already lets one writer at a
    time through, so there is nothing to take.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
                        {"key": key})
