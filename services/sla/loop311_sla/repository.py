"""The one writer of sla's tables: clocks, timers, the policies in force (as imported
documents) and its copy of routing's escalation chains and populations."""
from datetime import datetime

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session

from loop311_shared import reference_data
from loop311_shared.clock import as_utc

from .models import (
    clocks,
    configuration_versions,
    department_chains,
    populations,
    ratings,
    timers,
)

KIND = "policies"
# Built once, read on every event: composing it cost more CPU than running it.
CLOCK = select(clocks).where(clocks.c.request_id == bindparam("request_id"))
CLOCK_FOR_UPDATE = CLOCK.with_for_update()
UPDATE_CLOCK = update(clocks).where(clocks.c.request_id == bindparam("clock"))


class SlaRepository(reference_data.ImportedVersions):
    versions_table = configuration_versions
    kind = KIND

    def __init__(self, session: Session):
        self.session = session

    # Clocks (the policies in force: ImportedVersions)

    def clock(self, request_id: str, for_update: bool = True):
        query = CLOCK_FOR_UPDATE if for_update else CLOCK
        return self.session.execute(query, {"request_id": request_id}).first()

    def open_clock(self, request_id: str, **values) -> None:
        self.session.execute(insert(clocks), {"request_id": request_id, **values})

    def update_clock(self, request_id: str, **values) -> None:
        self.session.execute(UPDATE_CLOCK, {"clock": request_id, **values})

    def open_clocks_in(self, jurisdiction_id: str, paused: bool) -> list:
        """The jurisdiction's started, open clocks that are (or are not) paused, locked."""
        return self.session.execute(
            select(clocks).where(clocks.c.jurisdiction_id == jurisdiction_id,
                                 clocks.c.started_at.is_not(None), clocks.c.closed_at.is_(None),
                                 clocks.c.paused_at.is_not(None) if paused
                                 else clocks.c.paused_at.is_(None))
            .order_by(clocks.c.request_id).with_for_update()).all()

    def add_note(self, request_id: str, note: str, at: datetime) -> None:
        notes = self.session.execute(select(clocks.c.notes).where(clocks.c.request_id == request_id)
                                     ).scalar_one() or []
        self.update_clock(request_id, notes=[*notes, {"at": at.isoformat(), "note": note}])

    def backlog_and_recent_closes(self, department_code, service_code, since: datetime) -> tuple[int, int]:
        """Open requests of this category in this department, and how many it closed since.

        Two counts, each an index-only range of ix_clocks_backlog: one count filtered two
        ways read every clock the category ever had (74 ms against 0.73 ms at a million
        clocks, bench/sla_scale.py)."""
        same = (clocks.c.department_code == department_code) & (clocks.c.service_code == service_code)
        open_now, closed = self.session.execute(select(
            select(func.count()).where(same, clocks.c.closed_at.is_(None)).scalar_subquery(),
            select(func.count()).where(same, clocks.c.closed_at >= since).scalar_subquery(),
        )).one()
        return open_now, closed

    def open_and_overdue_by_department(self, now: datetime) -> list:
        """(department, open, overdue) — few rows: departments are configuration."""
        return self.session.execute(
            select(clocks.c.department_code, func.count(),
                   func.count().filter(clocks.c.resolve_due_at < now))
            .where(clocks.c.closed_at.is_(None), clocks.c.department_code.is_not(None))
            .group_by(clocks.c.department_code)).all()

    # Timers

    def set_timer(self, request_id: str, kind: str, due_at: datetime) -> None:
        """One timer of a kind per request: setting it again moves it."""
        self.set_timers(request_id, {kind: due_at})

    def set_timers(self, request_id: str, due: dict[str, datetime]) -> None:
        """`set_timer` for several kinds at once, in two statements."""
        self.cancel_timers(request_id, *due)
        self.session.execute(insert(timers), [
            {"request_id": request_id, "kind": kind, "due_at": due_at}
            for kind, due_at in due.items()])

    def cancel_timers(self, request_id: str, *kinds: str) -> None:
        condition = timers.c.request_id == request_id
        if kinds:
            condition = condition & timers.c.kind.in_(kinds)
        self.session.execute(delete(timers).where(condition))

    def claim_due_timers(self, now: datetime, limit: int = 100) -> list:
        """Due timers no other replica holds, locked until this transaction ends; each is
        fired and deleted in it, so every reminder goes out once."""
        return self.session.execute(
            select(timers.c.id, timers.c.request_id, timers.c.kind, timers.c.due_at)
            .where(timers.c.due_at <= now).order_by(timers.c.due_at).limit(limit)
            .with_for_update(skip_locked=True)).all()

    def delete_timer(self, timer_id: int) -> None:
        self.session.execute(delete(timers).where(timers.c.id == timer_id))

    # routing's directory, as announced

    def directory_version(self) -> int:
        return self.session.execute(
            select(func.coalesce(func.max(department_chains.c.directory_version), 0))).scalar_one()

    def replace_directory_copy(self, version: int, departments: list[dict],
                               jurisdictions: list[dict]) -> None:
        self.session.execute(delete(department_chains))
        self.session.execute(delete(populations))
        if departments:
            self.session.execute(insert(department_chains), [
                {"code": d["code"], "jurisdiction_id": d["jurisdiction"],
                 "supervisor": d["supervisor"], "head": d["head"], "directory_version": version}
                for d in departments])
        if jurisdictions:
            self.session.execute(insert(populations), [
                {"jurisdiction_id": j["id"], "population": j["population"],
                 "directory_version": version} for j in jurisdictions])

    def chain_of(self, department_code: str | None):
        if department_code is None:
            return None
        return self.session.execute(select(department_chains)
                                    .where(department_chains.c.code == department_code)).first()

    def populations(self) -> dict[str, int]:
        return {row.jurisdiction_id: row.population for row in self.session.execute(
            select(populations).where(populations.c.population.is_not(None)))}

    # Ratings

    def record_rating(self, rating_id: str, request_id: str, score: int | None, not_fixed: bool,
                      rated_at: datetime) -> bool:
        """Keep the latest answer per rating id; False when a later one is already kept."""
        kept = self.session.execute(select(ratings.c.rated_at)
                                    .where(ratings.c.rating_id == rating_id)
                                    .with_for_update()).scalar_one_or_none()
        if kept is not None and as_utc(kept) >= as_utc(rated_at):
            return False
        self.session.execute(delete(ratings).where(ratings.c.rating_id == rating_id))
        self.session.execute(insert(ratings).values(rating_id=rating_id, request_id=request_id,
                                                    score=score, not_fixed=not_fixed,
                                                    rated_at=rated_at))
        return True
