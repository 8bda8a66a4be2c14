"""The policies in force, built once per imported version and shared by the workers."""
from nameko.extensions import DependencyProvider

from loop311_shared.background import BackgroundDrain
from loop311_shared.clock import utcnow
from loop311_shared.metrics import Metrics
from loop311_shared.unit_of_work import run

from .commands import FireTimers
from .domain.policies import Policies, build_policies
from .schemas import PoliciesSchema


class PoliciesCache:
    """Rebuilds the Policies (calendars with their holidays) only when a new version has
    been imported, by this replica or another."""

    def __init__(self):
        self.version = None
        self.policies = None

    def current(self, repository) -> Policies | None:
        version = repository.version()
        if version != self.version:
            stored = repository.current_import()
            self.policies = None if stored is None else build_policies(
                PoliciesSchema().load(stored["document"]), version)
            self.version = version
        return self.policies


class PoliciesProvider(DependencyProvider):
    def setup(self):
        self.cache = PoliciesCache()

    def get_dependency(self, worker_ctx) -> PoliciesCache:
        return self.cache


class TimerLoop(BackgroundDrain):
    """Fires due reminders, breaches and escalations in the background, every
    `timer_poll_seconds` and after every worker; replicas share the work (SKIP LOCKED)."""

    poll_setting = "timer_poll_seconds"

    def drain_once(self, session) -> int:
        from .handlers import fire_timers
        from .unit_of_work import SlaUnitOfWork

        policies = next(d for d in self.container.dependencies if isinstance(d, PoliciesProvider))
        uow = SlaUnitOfWork(session, self.container.service_name, policies.cache)
        fired = run(uow, fire_timers, FireTimers(utcnow()))
        if not fired:
            self._gauge_backlog(uow)
        return fired

    def _gauge_backlog(self, uow) -> None:
        # Labelled by department only: a bounded set that configuration controls.
        metrics = next((d for d in self.container.dependencies if isinstance(d, Metrics)), None)
        if metrics is None:
            return
        for department, open_now, overdue in uow.sla.open_and_overdue_by_department(utcnow()):
            metrics.set_gauge("loop311_sla_open_requests", "Open requests by department",
                              open_now, department=department)
            metrics.set_gauge("loop311_sla_overdue_requests",
                              "Open requests past their resolve due date, by department",
                              overdue, department=department)
        uow.rollback()
