"""A per-service background loop over database-held work (outbox rows, pending mail).

The loop wakes when a transaction of the service commits a write to one of the tables
holding its work (`wakes_on`), and at least every `poll_setting` seconds (a settings
attribute), which also picks up work that became due with time or that a dead replica left.
Work is claimed with `FOR UPDATE SKIP LOCKED`, so any number of replicas can run it.
"""
import logging
import threading
import time

from nameko.extensions import DependencyProvider

from .db import is_transient, reason
from .settings import settings_of

log = logging.getLogger(__name__)


class BackgroundDrain(DependencyProvider):
    poll_setting = "outbox_poll_seconds"
    # The tables whose new or changed rows are this loop's work. None: it cannot tell, so
    # the end of every worker wakes it.
    wakes_on: tuple[str, ...] | None = None
    # A pass that handled fewer items than this took all there was: the next waits for a
    # wake or the poll. None: passes repeat until one handles nothing.
    full_pass: int | None = None

    def __init__(self, database_attr: str):
        self.database_attr = database_attr
        self.wake = threading.Event()
        self.running = False

    def setup(self):
        self.poll_seconds = getattr(settings_of(self.container), self.poll_setting)
        if self.wakes_on is not None:
            self.database().watch(self.wakes_on, self.wake)

    def start(self):
        self.running = True
        self.container.spawn_managed_thread(self._run)

    def stop(self):
        self.running = False
        self.wake.set()

    def kill(self):
        self.stop()

    def worker_teardown(self, worker_ctx):
        if self.wakes_on is None:
            self.wake.set()

    def session(self):
        """A session for one pass; its own commits do not wake this loop again."""
        session = self.database().make_session()
        session.info["woken_by"] = self.wake
        return session

    def get_dependency(self, worker_ctx):
        return self

    def database(self):
        """The service's Database provider (it gives each pass its session)."""
        return next(dep for dep in self.container.dependencies
                    if dep.attr_name == self.database_attr)

    def drain_once(self, session) -> int:
        """Handle one batch of work and commit; return how many items were handled."""
        raise NotImplementedError

    def drain(self) -> int:
        """Handle everything pending now; return how many items were handled."""
        total = 0
        while True:
            with self.session() as session:
                handled = self.drain_once(session)
            total += handled
            if handled == 0 or (self.full_pass is not None and handled < self.full_pass):
                return total

    def _metrics(self):
        from .metrics import Metrics  # the metrics module imports nothing of this one
        return next((dep for dep in self.container.dependencies if isinstance(dep, Metrics)),
                    None)

    def _run(self):
        metrics = self._metrics()
        while self.running:
            self.wake.wait(self.poll_seconds)
            self.wake.clear()
            if not self.running:
                return
            try:
                self.drain()
                if metrics is not None:  # an alert fires when this stops moving
                    metrics.set_gauge("loop311_background_last_success_timestamp_seconds",
                                      "When each background loop last finished a pass",
                                      time.time(), service=self.container.service_name,
                                      loop=type(self).__name__)
            except Exception as error:
                if not self.running:
                    return  # the container is stopping and took the database with it
                if is_transient(error):  # one line while the database is away
                    log.warning("%s: database unreachable (%s); will try again",
                                type(self).__name__, reason(error))
                else:
                    log.exception("%s failed; will try again", type(self).__name__)
