"""Business-time arithmetic for SLA due dates: working hours, holidays and closures.

Everything is computed on the calendar's local clock, because that is where opening hours are
defined: a day with a daylight-saving change still opens and closes at its configured local times,
and so holds an hour more or less of real working time. Results are always aware UTC datetimes.
"""
import re
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays as holiday_library

from loop311_shared.clock import is_time_zone

DAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HH_MM = re.compile(r"\d{2}:\d{2}")
# "24:00" lets a span run to midnight, so a round-the-clock desk loses no minute a day.
END_OF_DAY = time.max

Span = tuple[datetime, datetime]


class CalendarError(ValueError):
    """A calendar that cannot be built as configured."""


@dataclass(frozen=True)
class Calendar:
    timezone: str
    hours: dict[int, tuple[tuple[time, time], ...]]
    holidays: frozenset[date]

    def __post_init__(self):
        if not is_time_zone(self.timezone):
            raise CalendarError(f"unknown time zone {self.timezone!r}")
        for weekday, spans in self.hours.items():
            for start, end in spans:
                if start >= end:
                    raise CalendarError(f"a span on {DAY_KEYS[weekday]} must start before it ends, "
                                        f"got {start:%H:%M}-{end:%H:%M}")
            for (_, previous_end), (start, _) in zip(spans, spans[1:]):
                if start < previous_end:
                    raise CalendarError(f"overlapping working hours on {DAY_KEYS[weekday]}")
        if not any(self.hours.values()):
            raise CalendarError("a calendar with no working hours can never count business time")

    @classmethod
    def build(cls, timezone: str, working_hours: dict[str, list[list[str]]], *,
              holiday_country: str | None = "US", holiday_subdivision: str | None = None,
              closures: Iterable[date | str] = (), years: range = range(2020, 2041)) -> "Calendar":
        """A calendar from an admin's settings, e.g. {"mon": [["08:00", "12:00"], ["13:00", "17:00"]]};
        a day not named is closed. Public holidays come from the `holidays` package (observed dates
        as it gives them); closures are the admin's own closed days (storms, office moves)."""
        hours = {}
        for key, spans in working_hours.items():
            if key not in DAY_KEYS:
                raise CalendarError(f"unknown day {key!r}: use one of {', '.join(DAY_KEYS)}")
            hours[DAY_KEYS.index(key)] = tuple(sorted(_parse_span(key, span) for span in spans))
        closed = set(_public_holidays(holiday_country, holiday_subdivision, years))
        for closure in closures:
            closed.add(_parse_date(closure))
        return cls(timezone, hours, frozenset(closed))

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)  # ZoneInfo caches instances, so this is cheap

    def is_working_day(self, day: date) -> bool:
        return bool(self.hours.get(day.weekday())) and day not in self.holidays

    def is_working(self, moment: datetime) -> bool:
        moment = _utc(moment)
        day = moment.astimezone(self.zone).date()
        return any(start <= moment < end for start, end in self._spans_on(day))

    def next_opening(self, moment: datetime) -> datetime:
        """The earliest working instant at or after `moment` (so `moment` itself when working)."""
        return self.add(moment, timedelta(0))

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """When `duration` of working time has elapsed counting from `start`.

        Work that ends exactly at closing time is due at closing, not at the next opening.
        """
        if duration < timedelta(0):
            raise ValueError("cannot add a negative duration of working time")
        start = _utc(start)
        remaining = duration
        day = start.astimezone(self.zone).date()
        # Day by day (a handful of span conversions each) is fast enough: 2,000 business hours
        # takes under a millisecond, so skipping whole weeks is not worth its special cases.
        while True:
            for span_start, span_end in self._spans_on(day):
                if span_end <= start:
                    continue
                span_start = max(span_start, start)
                if remaining <= span_end - span_start:
                    return span_start + remaining
                remaining -= span_end - span_start
            day += timedelta(days=1)

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """The same local clock time as the next opening from `start`, `days` working days later
        (see Target for why "business_days" means this)."""
        opening = self.next_opening(start).astimezone(self.zone)
        day = opening.date()
        while days:
            day += timedelta(days=1)
            days -= self.is_working_day(day)
        return self._instant(day, opening.time())

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Working time elapsed from `start` to `end` (zero when `end` is not later)."""
        start, end = _utc(start), _utc(end)
        elapsed = timedelta(0)
        day, last_day = start.astimezone(self.zone).date(), end.astimezone(self.zone).date()
        while day <= last_day:
            for span_start, span_end in self._spans_on(day):
                overlap = min(span_end, end) - max(span_start, start)
                elapsed += max(overlap, timedelta(0))
            day += timedelta(days=1)
        return elapsed

    def _spans_on(self, day: date) -> list[Span]:
        if day in self.holidays:
            return []
        return [(self._instant(day, start), self._instant(day, end))
                for start, end in self.hours.get(day.weekday(), ())]

    def _instant(self, day: date, clock: time) -> datetime:
        if clock == END_OF_DAY:
            day, clock = day + timedelta(days=1), time(0)
        # A clock time skipped by spring-forward resolves to the same offset as just before the
        # change (zoneinfo's fold=0), i.e. one hour later on the new clock.
        return datetime.combine(day, clock, self.zone).astimezone(UTC)


@dataclass(frozen=True)
class Target:
    """How long a request may take: `amount` of `unit`.

    - "hours", "days": calendar time, blind to the calendar (a day is 24 hours of elapsed time).
    - "business_hours": working time as the calendar counts it.
    - "business_days": due at the same local clock time `amount` working days later, where a
      working day is one with working hours that is neither a holiday nor a closure. A report on
      Friday 10:00 with 1 business day is due Monday 10:00 (if Monday is a working day). A start
      outside working hours counts from the next opening, so a report on Saturday is treated as
      made at Monday's opening. The due clock time is kept even if that day closes earlier.
      `amount` must be a whole number of days.
    """
    amount: float
    unit: str

    def __post_init__(self):
        if self.unit not in ("hours", "days", "business_hours", "business_days"):
            raise ValueError(f"unknown target unit {self.unit!r}")
        if self.amount < 0:
            raise ValueError("a target cannot be negative")
        if self.unit == "business_days" and self.amount != int(self.amount):
            raise ValueError("business_days must be a whole number")

    @property
    def business(self) -> bool:
        return self.unit.startswith("business_")

    def due(self, calendar: Calendar, start: datetime) -> datetime:
        if self.unit == "hours":
            return _utc(start) + timedelta(hours=self.amount)
        if self.unit == "days":
            return _utc(start) + timedelta(days=self.amount)
        if self.unit == "business_hours":
            return calendar.add(start, timedelta(hours=self.amount))
        return calendar.add_working_days(start, int(self.amount))

    def elapsed(self, calendar: Calendar, start: datetime, end: datetime) -> timedelta:
        if self.business:
            return calendar.between(start, end)
        return _utc(end) - _utc(start)


def shift_for_pause(calendar: Calendar, due: datetime, paused_from: datetime, resumed_at: datetime,
                    business: bool) -> datetime:
    """The due date moved later by the time a request spent paused (e.g. waiting on the resident)."""
    if business:
        paused = calendar.between(paused_from, resumed_at)
        # With nothing to add, `add` would still move an off-hours due date to the next opening.
        return calendar.add(due, paused) if paused else _utc(due)
    return _utc(due) + max(_utc(resumed_at) - _utc(paused_from), timedelta(0))


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"a naive datetime is ambiguous; give a time zone: {moment.isoformat()}")
    return moment.astimezone(UTC)


def _parse_span(day_key: str, span: list[str]) -> tuple[time, time]:
    if len(span) != 2:
        raise CalendarError(f"a span on {day_key} needs a start and an end, got {span!r}")
    return _parse_clock(day_key, span[0]), _parse_clock(day_key, span[1])


def _parse_clock(day_key: str, text: str) -> time:
    if text == "24:00":
        return END_OF_DAY
    if isinstance(text, str) and HH_MM.fullmatch(text):
        with suppress(ValueError):  # e.g. "25:00" has the shape but is no time of day
            return time.fromisoformat(text)
    raise CalendarError(f"working hours on {day_key} must be HH:MM, got {text!r}")


def _parse_date(closure: date | str) -> date:
    if isinstance(closure, date):
        return closure
    try:
        return date.fromisoformat(closure)
    except (TypeError, ValueError):
        raise CalendarError(f"a closure must be an ISO date (YYYY-MM-DD), got {closure!r}") from None


def _public_holidays(country: str | None, subdivision: str | None, years: range) -> Iterable[date]:
    if country is None:
        return ()
    try:
        return holiday_library.country_holidays(country, subdiv=subdivision, years=years).keys()
    except NotImplementedError as error:  # the library's way of saying "no such country/subdivision"
        raise CalendarError(f"unknown holiday country or subdivision: {error}") from None
