"""The policies in force, built once per imported version and shared by the workers."""
from datetime import datetime, timedelta, timezone

from nameko.extensions import DependencyProvider

from loop311_shared.background import BackgroundDrain
from loop311_shared.clock import utcnow
from loop311_shared.metrics import Metrics
from loop311_shared.reference_data import BuiltPerVersion
from loop311_shared.settings import settings_of
from loop311_shared.unit_of_work import run

from .commands import FireTimers
from .domain.policies import Policies, build_policies
from .report_card import report_card
from .schemas import PoliciesSchema

CARD_WINDOW = timedelta(days=30)


class PoliciesCache(BuiltPerVersion):
    """The Policies in force: business calendars with their holidays, and the policies."""

    def build(self, repository, version: int) -> Policies | None:
        stored = repository.current_import()
        return None if stored is None else build_policies(
            PoliciesSchema().load(stored["document"]), version)


class PoliciesProvider(DependencyProvider):
    def setup(self):
        self.cache = PoliciesCache()

    def get_dependency(self, worker_ctx) -> PoliciesCache:
        return self.cache


NEVER = datetime.min.replace(tzinfo=timezone.utc)


class TimerLoop(BackgroundDrain):
    """Fires due reminders, breaches and escalations in the background, every
    `timer_poll_seconds` and when a timer is set; replicas share the work (SKIP LOCKED)."""

    poll_setting = "timer_poll_seconds"
    wakes_on = ("timers",)
    full_pass = FireTimers.limit

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
        # Labelled by department (and target) only: bounded sets that configuration controls.
        metrics = next((d for d in self.container.dependencies if isinstance(d, Metrics)), None)
        if metrics is None:
            return
        now = utcnow()
        # At most once per poll: a busy pass after every timer set would otherwise count
        # the whole backlog each time.
        if now - getattr(self, "gauged_at", NEVER) < timedelta(seconds=self.poll_seconds):
            return
        self.gauged_at = now
        every = timedelta(seconds=settings_of(self.container).report_card_gauge_seconds)
        if now - getattr(self, "carded_at", NEVER) >= every:
            self.carded_at = now
            self._gauge_report_card(uow, metrics, now)
        for department, open_now, overdue in uow.sla.open_and_overdue_by_department(now):
            metrics.set_gauge("loop311_sla_open_requests", "Open requests by department",
                              open_now, department=department)
            metrics.set_gauge("loop311_sla_overdue_requests",
                              "Open requests past their resolve due date, by department",
                              overdue, department=department)
        uow.rollback()


    def _gauge_report_card(self, uow, metrics, now) -> None:
        """The last 30 days' on-time shares and 90th-percentile time to close, per
        department (a report card costs ~300 ms at a million requests: not too often)."""
        if uow.session.get_bind().dialect.name != "postgresql":
            return
        for row in report_card(uow.session, now - CARD_WINDOW, now, "department_code", now):
            for target in ("ack", "resolve"):
                if row[f"{target}_on_time_pct"] is not None:
                    metrics.set_gauge("loop311_sla_on_time_ratio",
                                      "Share of the last 30 days' requests on time, per target",
                                      row[f"{target}_on_time_pct"] / 100, department=row["group"],
                                      target=target)
            if row["close_p90_seconds"] is not None:
                metrics.set_gauge("loop311_sla_close_p90_seconds",
                                  "90th percentile time to close over the last 30 days",
                                  row["close_p90_seconds"], department=row["group"])
