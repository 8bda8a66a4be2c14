"""A per-service background loop over database-held work (outbox rows, pending mail).

The loop wakes when any worker of the service ends (it may have written new work) and
at least every `poll_setting` seconds (a settings attribute), which also picks up work a dead replica left.
Work is claimed with `FOR UPDATE SKIP LOCKED`, so any number of replicas can run it.
"""
import logging
import threading

from nameko.extensions import DependencyProvider

from .settings import settings_of

log = logging.getLogger(__name__)


class BackgroundDrain(DependencyProvider):
    poll_setting = "outbox_poll_seconds"

    def __init__(self, database_attr: str):
        self.database_attr = database_attr
        self.wake = threading.Event()
        self.running = False

    def setup(self):
        self.poll_seconds = getattr(settings_of(self.container), self.poll_setting)

    def start(self):
        self.running = True
        self.container.spawn_managed_thread(self._run)

    def stop(self):
        self.running = False
        self.wake.set()

    def kill(self):
        self.stop()

    def worker_teardown(self, worker_ctx):
        self.wake.set()

    def get_dependency(self, worker_ctx):
        return self

    def drain_once(self, session) -> int:
        """Handle one batch of work and commit; return how many items were handled."""
        raise NotImplementedError

    def drain(self) -> int:
        """Handle everything pending now; return how many items were handled."""
        database = next(dep for dep in self.container.dependencies
                        if dep.attr_name == self.database_attr)
        total = 0
        while True:
            with database.make_session() as session:
                handled = self.drain_once(session)
            total += handled
            if handled == 0:
                return total

    def _run(self):
        while self.running:
            self.wake.wait(self.poll_seconds)
            self.wake.clear()
            if not self.running:
                return
            try:
                self.drain()
            except Exception:
                if not self.running:
                    return  # the container is stopping and took the database with it
                log.exception("%s failed; will try again", type(self).__name__)
