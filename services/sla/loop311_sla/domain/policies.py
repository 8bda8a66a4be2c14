"""Which targets a request gets: the most specific policy for its category, priority and
jurisdiction, counted on its jurisdiction's business calendar. No I/O."""
from dataclasses import dataclass
from datetime import timedelta

UNITS = ("hours", "days", "business_hours", "business_days")
DEFAULT_POLICY = "default"


@dataclass(frozen=True)
class Policy:
    id: str
    acknowledge: object  # business_time.Target
    resolve: object
    remind_every: timedelta | None
    escalate_every: timedelta | None


class PolicyProblems(ValueError):
    """What makes a policies document unusable, one sentence each."""


@dataclass
class Policies:
    version: int
    calendars: dict  # id -> business_time.Calendar
    calendar_of: dict[str, str]
    default: Policy
    by_key: dict[tuple, Policy]  # (category, priority or None, jurisdiction or None) -> Policy

    def policy_for(self, service_code: str, priority: str, jurisdiction: str | None) -> Policy:
        for key in ((service_code, priority, jurisdiction), (service_code, priority, None),
                    (service_code, None, jurisdiction), (service_code, None, None)):
            if key in self.by_key:
                return self.by_key[key]
        return self.default

    def calendar_for(self, jurisdiction: str | None):
        return self.calendars[self.calendar_of.get(jurisdiction or "", self.calendar_of["default"])]


def build_policies(document: dict, version: int = 0) -> Policies:
    from .business_time import Calendar, CalendarError, Target

    problems, calendars = [], {}
    for entry in document["calendars"]:
        holidays = entry["holidays"] or {}
        try:
            calendars[entry["id"]] = Calendar.build(
                entry["timezone"], entry["working_hours"], holiday_country=holidays.get("country"),
                holiday_subdivision=holidays.get("subdivision"), closures=entry["closures"])
        except CalendarError as error:
            problems.append(f"calendar {entry['id']}: {error}")
    if problems:
        raise PolicyProblems("; ".join(problems))

    def policy(entry: dict, policy_id: str) -> Policy:
        def every(value):
            return timedelta(hours=value["hours"]) if value else None
        return Policy(policy_id, Target(entry["acknowledge"]["within"], entry["acknowledge"]["unit"]),
                      Target(entry["resolve"]["within"], entry["resolve"]["unit"]),
                      every(entry["remind_every"]), every(entry["escalate_every"]))

    by_key = {(category, entry["priority"], entry["jurisdiction"]): policy(entry, entry["id"])
              for entry in document["policies"] for category in entry["categories"]}
    return Policies(version, calendars, dict(document["calendar_of"]),
                    policy(document["default"], DEFAULT_POLICY), by_key)


RECENT = timedelta(days=14)


def expected_close(now, backlog: int, closed_recently: int, window: timedelta = RECENT):
    """When a new request will really be closed if the department works through its backlog
    (this one included) at the rate it closed them lately; None without a recent rate."""
    if closed_recently <= 0:
        return None
    per_request = window / closed_recently
    return now + per_request * max(backlog, 1)
