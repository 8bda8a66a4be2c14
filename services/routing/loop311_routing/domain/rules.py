"""Which jurisdiction, department and person take a request: the routing rules, with no I/O.

A point falls in one or more jurisdictions; nesting comes from configuration (a city's
parent is its county), not from geometry, because boundaries that include water do not
nest exactly. From the innermost jurisdiction the point falls in, the first one up the
parent chain that serves the category takes it; its rules are tried in order, and the
first whose categories, area and time window all match names the department and how the
person is chosen.
"""
from dataclasses import dataclass, field
from datetime import datetime, time
from zoneinfo import ZoneInfo

from shapely.geometry import Point

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
TRIAGE_CATEGORY = "general"  # intake's category for reports whose category it could not tell


@dataclass(frozen=True)
class Jurisdiction:
    id: str
    name: str
    parent: str | None
    timezone: str
    serves: frozenset[str]


@dataclass(frozen=True)
class Window:
    """Days of the week and a time of day, in the jurisdiction's zone; `to` before `start`
    wraps past midnight (a night shift)."""

    days: tuple[str, ...] = DAYS
    start: time = time(0, 0)
    to: time | None = None  # None: until the end of the day

    def contains(self, moment: datetime, zone: str) -> bool:
        local = moment.astimezone(ZoneInfo(zone))
        clock = local.time()
        if self.to is None or self.start < self.to:
            return DAYS[local.weekday()] in self.days and self.start <= clock and \
                (self.to is None or clock < self.to)
        # Overnight: the evening belongs to its own day, the small hours to the day before.
        if clock >= self.start:
            return DAYS[local.weekday()] in self.days
        return clock < self.to and DAYS[(local.weekday() - 1) % 7] in self.days


@dataclass(frozen=True)
class Rule:
    id: str
    jurisdiction: str
    categories: frozenset[str]  # empty: every category the jurisdiction serves
    department: str
    strategy: str | None = None  # round_robin, least_loaded, on_call; None: the department
    person: str | None = None
    area: object = None  # a shapely geometry, or None for the whole jurisdiction
    area_name: str | None = None
    window: Window | None = None

    def matches(self, service_code: str, point: Point | None, moment: datetime, zone: str) -> bool:
        if self.categories and service_code not in self.categories:
            return False
        if self.area is not None and (point is None or not self.area.covers(point)):
            return False
        return self.window is None or self.window.contains(moment, zone)


@dataclass(frozen=True)
class Department:
    code: str
    name: str
    jurisdiction: str
    staff: tuple[tuple[str, str], ...]  # (id, name) in their configured order
    supervisor: str | None = None
    head: str | None = None
    shifts: tuple[tuple[str, datetime, datetime], ...] = ()  # (staff id, starts, ends)

    def on_call_at(self, moment: datetime) -> list[str]:
        """Who is on call at `moment`; nobody on the rota: the supervisor, if any."""
        on_call = [who for who, starts, ends in self.shifts if starts <= moment < ends]
        return on_call or ([self.supervisor] if self.supervisor else [])

    def workers(self) -> list[str]:
        """Who strategies pick from: the staff but the supervisor and head (who are
        escalated to), unless there is nobody else."""
        everyone = [person for person, _ in self.staff]
        return [p for p in everyone if p not in (self.supervisor, self.head)] or everyone


@dataclass(frozen=True)
class Decision:
    """Where a request goes: a rule of a jurisdiction, or triage with the reason."""

    jurisdiction: Jurisdiction | None = None
    rule: Rule | None = None
    triage_reason: str | None = None
    triage_text: str | None = None
    innermost: str = ""


@dataclass
class Directory:
    jurisdictions: dict[str, Jurisdiction]
    departments: dict[str, Department]
    rules: list[Rule]  # in their configured order
    locator: object  # domain.geography.Locator over the jurisdictions' boundaries
    # "<jurisdiction>" and "<jurisdiction>/<area>" -> boundary, for filtering by place
    places: dict[str, object] = field(default_factory=dict)
    rules_by_jurisdiction: dict[str, list[Rule]] = field(init=False)

    def __post_init__(self):
        self.rules_by_jurisdiction = {}
        for rule in self.rules:
            self.rules_by_jurisdiction.setdefault(rule.jurisdiction, []).append(rule)

    def decide(self, service_code: str, lat, long, moment: datetime) -> Decision:
        if service_code == TRIAGE_CATEGORY:
            return Decision(triage_reason="category_unknown",
                            triage_text="the category could not be told from the report")
        if lat is None or long is None:
            return Decision(triage_reason="no_location", triage_text="the report has no location")
        containing = self.locator.containing(lat, long)
        if not containing:
            return Decision(triage_reason="outside_every_jurisdiction",
                            triage_text=f"({lat}, {long}) is outside every jurisdiction")
        # Deepest in the configured nesting; among equals, the smallest boundary (the
        # locator lists the smallest first and max keeps the first of equals).
        innermost = max(containing, key=self.depth)
        jurisdiction = self.serving(innermost, service_code)
        if jurisdiction is None:
            return Decision(triage_reason="not_served", innermost=innermost,
                            triage_text=f"no jurisdiction serves {service_code} at "
                                        f"({lat}, {long})")
        return self.decide_within(jurisdiction, service_code, lat, long, moment, innermost)

    def decide_within(self, jurisdiction: Jurisdiction, service_code: str, lat, long,
                      moment: datetime, innermost: str = "") -> Decision:
        """The first rule of this jurisdiction that takes the request (a transfer names the
        jurisdiction; where the point lies does not choose it)."""
        point = None if lat is None or long is None else Point(long, lat)
        for rule in self.rules_by_jurisdiction.get(jurisdiction.id, []):
            if rule.matches(service_code, point, moment, jurisdiction.timezone):
                return Decision(jurisdiction, rule, innermost=innermost or jurisdiction.id)
        return Decision(jurisdiction, triage_reason="no_matching_rule",
                        innermost=innermost or jurisdiction.id,
                        triage_text=f"no rule of {jurisdiction.name} takes {service_code} here "
                                    "at this time")

    def serving(self, jurisdiction_id: str, service_code: str) -> Jurisdiction | None:
        """The jurisdiction itself, or the nearest ancestor, that serves the category."""
        current = self.jurisdictions.get(jurisdiction_id)
        while current is not None:
            if service_code in current.serves:
                return current
            current = self.jurisdictions.get(current.parent)
        return None

    def offered_in(self, jurisdiction_id: str) -> set[str]:
        """What residents can report in a jurisdiction: what it or an ancestor serves."""
        offered, current = set(), self.jurisdictions.get(jurisdiction_id)
        while current is not None:
            offered |= current.serves
            current = self.jurisdictions.get(current.parent)
        return offered

    def depth(self, jurisdiction_id: str) -> int:
        depth, current = 0, self.jurisdictions[jurisdiction_id]
        while current.parent is not None:
            depth, current = depth + 1, self.jurisdictions[current.parent]
        return depth


def agency(jurisdiction: Jurisdiction, department: Department) -> str:
    """What Open311 shows as agency_responsible."""
    return f"{jurisdiction.name} — {department.name}"


def pick_person(strategy: str | None, person: str | None, staff: list[str], open_items: dict,
                on_call: list[str], turn: int) -> tuple[str | None, int]:
    """The person who gets the request, and the next round-robin turn.

    `staff`: the department's people in their configured order; `open_items`: each one's
    open assignments; `on_call`: who is on call now, in rota order; `turn`: the rule's
    round-robin counter.
    """
    if person is not None:
        return person, turn
    if not staff:
        return None, turn
    if strategy == "round_robin":
        return staff[turn % len(staff)], turn + 1
    if strategy == "least_loaded":
        return min(staff, key=lambda who: (open_items.get(who, 0), staff.index(who))), turn
    if strategy == "on_call":
        return (on_call[0] if on_call else None), turn
    return None, turn
