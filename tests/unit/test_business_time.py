"""Business-time arithmetic on a Florida calendar: nights, weekends, holidays, closures and DST."""
import time as clock
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from loop311_sla.domain.business_time import Calendar, CalendarError, Target, shift_for_pause

NEW_YORK = ZoneInfo("America/New_York")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
OFFICE_HOURS = {day: [["08:00", "17:00"]] for day in WEEKDAYS}
FLORIDA = Calendar.build("America/New_York", OFFICE_HOURS, holiday_subdivision="FL")


def local(year, month, day, hour, minute=0):
    return datetime(year, month, day, hour, minute, tzinfo=NEW_YORK)


def hours(amount):
    return timedelta(hours=amount)


# An ordinary week in October 2026 (no holiday, no DST change), and the Monday after it.
TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY, MONDAY = (
    local(2026, 10, day, 0) for day in (20, 21, 22, 23, 24, 26))


def at(day, hour, minute=0):
    return day.replace(hour=hour, minute=minute)


def test_within_a_day():
    due = FLORIDA.add(at(TUESDAY, 9), hours(3))
    assert due == at(TUESDAY, 12)
    assert due.tzinfo == UTC


def test_work_ending_at_closing_is_due_at_closing():
    assert FLORIDA.add(at(TUESDAY, 16), hours(1)) == at(TUESDAY, 17)


def test_across_a_night():
    assert FLORIDA.add(at(TUESDAY, 16), hours(2)) == at(WEDNESDAY, 9)


def test_across_a_weekend():
    assert FLORIDA.add(at(FRIDAY, 16), hours(2)) == at(MONDAY, 9)


def test_thanksgiving_and_the_day_after_are_florida_holidays():
    late_november = {d for d in FLORIDA.holidays if date(2026, 11, 15) <= d <= date(2026, 11, 30)}
    assert late_november == {date(2026, 11, 26), date(2026, 11, 27)}
    # Wednesday before Thanksgiving: the remaining hour runs on Monday.
    assert FLORIDA.add(local(2026, 11, 25, 16), hours(2)) == local(2026, 11, 30, 9)


def test_an_admin_closure_pushes_the_due_date():
    storm = Calendar.build("America/New_York", OFFICE_HOURS, holiday_subdivision="FL",
                           closures=["2026-10-21", date(2026, 10, 22)])
    assert storm.add(at(TUESDAY, 16), hours(2)) == at(FRIDAY, 9)
    assert not storm.is_working(at(WEDNESDAY, 10))


def test_a_start_on_saturday_counts_from_monday_opening():
    assert FLORIDA.add(at(SATURDAY, 10), hours(1)) == at(MONDAY, 9)


def test_a_start_before_opening_counts_from_opening():
    assert FLORIDA.add(at(TUESDAY, 6), hours(1)) == at(TUESDAY, 9)


def test_zero_duration_is_the_start_when_working_else_the_next_opening():
    assert FLORIDA.add(at(TUESDAY, 10), timedelta(0)) == at(TUESDAY, 10)
    assert FLORIDA.add(at(TUESDAY, 17), timedelta(0)) == at(WEDNESDAY, 8)
    assert FLORIDA.add(at(SATURDAY, 10), timedelta(0)) == at(MONDAY, 8)
    assert FLORIDA.next_opening(at(FRIDAY, 18)) == at(MONDAY, 8)
    assert FLORIDA.next_opening(at(FRIDAY, 10)) == at(FRIDAY, 10)


def test_is_working_spans_are_open_at_the_end():
    assert FLORIDA.is_working(at(TUESDAY, 8))
    assert FLORIDA.is_working(at(TUESDAY, 16, 59))
    assert not FLORIDA.is_working(at(TUESDAY, 17))
    assert not FLORIDA.is_working(at(SATURDAY, 10))
    assert not FLORIDA.is_working(local(2026, 11, 26, 10))


def test_spring_forward_weekend():
    due = FLORIDA.add(local(2026, 3, 6, 16), hours(2))
    assert due == local(2026, 3, 9, 9)
    assert due == datetime(2026, 3, 9, 13, tzinfo=UTC)


def test_fall_back_weekend():
    due = FLORIDA.add(local(2026, 10, 30, 16), hours(2))
    assert due == local(2026, 11, 2, 9)
    assert due == datetime(2026, 11, 2, 14, tzinfo=UTC)


def test_a_working_day_with_a_dst_change_keeps_its_local_hours():
    night_shift = Calendar.build("America/New_York", {"sun": [["00:00", "04:00"]]}, holiday_country=None)
    assert night_shift.between(local(2026, 3, 8, 0), local(2026, 3, 8, 5)) == hours(3)
    assert night_shift.between(local(2026, 11, 1, 0), local(2026, 11, 1, 5)) == hours(5)
    assert night_shift.add(local(2026, 3, 8, 0), hours(3)) == local(2026, 3, 8, 4)


def test_round_the_clock_is_plain_elapsed_time_even_across_dst():
    every_day = WEEKDAYS + ("sat", "sun")
    always = Calendar.build("America/New_York", {day: [["00:00", "24:00"]] for day in every_day},
                            holiday_country=None)
    start = local(2026, 3, 6, 12).astimezone(UTC)  # aware arithmetic in a local zone is wall-clock time
    assert always.add(start, hours(100)) == start + hours(100)
    assert always.between(start, start + hours(100)) == hours(100)


@pytest.mark.parametrize("start, duration", [
    (local(2026, 10, 20, 9), hours(3)),
    (local(2026, 10, 23, 16), hours(2)),
    (local(2026, 11, 25, 16), hours(2)),
    (local(2026, 3, 6, 16), hours(2)),
    (local(2026, 1, 2, 11, 30), hours(2000)),
])
def test_between_is_the_inverse_of_add(start, duration):
    assert FLORIDA.between(start, FLORIDA.add(start, duration)) == duration


def test_between_is_zero_when_the_end_is_not_later():
    assert FLORIDA.between(at(WEDNESDAY, 10), at(TUESDAY, 10)) == timedelta(0)
    assert FLORIDA.between(at(TUESDAY, 10), at(TUESDAY, 10)) == timedelta(0)


def test_lunch_break_is_not_counted():
    lunch = Calendar.build("America/New_York", {day: [["08:00", "12:00"], ["13:00", "17:00"]]
                                                for day in WEEKDAYS})
    assert lunch.add(at(TUESDAY, 11), hours(2)) == at(TUESDAY, 14)
    assert lunch.add(at(TUESDAY, 12, 15), timedelta(0)) == at(TUESDAY, 13)
    assert lunch.between(at(TUESDAY, 11, 30), at(TUESDAY, 13, 30)) == hours(1)
    assert lunch.between(at(TUESDAY, 0), at(WEDNESDAY, 0)) == hours(8)
    assert not lunch.is_working(at(TUESDAY, 12, 30))


def test_one_business_day_from_friday_is_monday_same_time():
    assert Target(1, "business_days").due(FLORIDA, at(FRIDAY, 10)) == at(MONDAY, 10)


def test_one_business_day_skips_thanksgiving_and_the_day_after():
    due = Target(1, "business_days").due(FLORIDA, local(2026, 11, 25, 10))
    assert due == local(2026, 11, 30, 10)


def test_business_days_from_outside_hours_count_from_the_next_opening():
    assert Target(1, "business_days").due(FLORIDA, at(SATURDAY, 10)) == local(2026, 10, 27, 8)


def test_business_days_must_be_whole():
    with pytest.raises(ValueError, match="whole number"):
        Target(1.5, "business_days")


def test_business_hours_target_uses_the_calendar():
    target = Target(2, "business_hours")
    assert target.due(FLORIDA, at(FRIDAY, 16)) == at(MONDAY, 9)
    assert target.elapsed(FLORIDA, at(FRIDAY, 16), at(MONDAY, 9)) == hours(2)


def test_calendar_time_targets_ignore_the_calendar():
    assert Target(48, "hours").due(FLORIDA, at(FRIDAY, 16)) == at(FRIDAY, 16) + hours(48)
    assert Target(2, "days").due(FLORIDA, local(2026, 11, 25, 10)) == local(2026, 11, 27, 10)
    assert Target(48, "hours").elapsed(FLORIDA, at(FRIDAY, 16), at(MONDAY, 9)) == hours(65)


def test_shift_for_pause_in_business_time():
    # Paused Tue 16:00 to Wed 10:00: three working hours (one Tuesday, two Wednesday).
    due = shift_for_pause(FLORIDA, at(WEDNESDAY, 15), at(TUESDAY, 16), at(WEDNESDAY, 10), business=True)
    assert due == at(THURSDAY, 9)
    assert due.tzinfo == UTC


def test_shift_for_pause_without_working_time_paused_leaves_the_due_date():
    due = at(SATURDAY, 10)
    assert shift_for_pause(FLORIDA, due, at(SATURDAY, 11), at(SATURDAY, 20), business=True) == due


def test_shift_for_pause_in_calendar_time():
    due = shift_for_pause(FLORIDA, at(WEDNESDAY, 15), at(TUESDAY, 16), at(WEDNESDAY, 10), business=False)
    assert due == at(WEDNESDAY, 15) + hours(18)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="naive"):
        FLORIDA.add(datetime(2026, 10, 20, 9), hours(1))


@pytest.mark.parametrize("build, message", [
    (lambda: Calendar.build("Florida/Nowhere", OFFICE_HOURS), "unknown time zone 'Florida/Nowhere'"),
    (lambda: Calendar.build("America/New_York", OFFICE_HOURS, holiday_country="XX"),
     "unknown holiday country or subdivision: Country XX not available"),
    (lambda: Calendar.build("America/New_York", OFFICE_HOURS, holiday_subdivision="ZZ"),
     "unknown holiday country or subdivision: .*subdivision ZZ"),
    (lambda: Calendar.build("America/New_York", {"mon": [["17:00", "08:00"]]}),
     "a span on mon must start before it ends, got 17:00-08:00"),
    (lambda: Calendar.build("America/New_York", {"mon": [["09:00", "09:00"]]}),
     "a span on mon must start before it ends"),
    (lambda: Calendar.build("America/New_York", {"tue": [["8:00", "17:00"]]}),
     "working hours on tue must be HH:MM, got '8:00'"),
    (lambda: Calendar.build("America/New_York", {"tue": [["08:00", "17:60"]]}),
     "working hours on tue must be HH:MM, got '17:60'"),
    (lambda: Calendar.build("America/New_York", {"wed": [["08:00", "12:00"], ["11:00", "17:00"]]}),
     "overlapping working hours on wed"),
    (lambda: Calendar.build("America/New_York", {}),
     "a calendar with no working hours can never count business time"),
    (lambda: Calendar.build("America/New_York", {"mon": [], "sat": []}),
     "a calendar with no working hours can never count business time"),
    (lambda: Calendar.build("America/New_York", {"monday": [["08:00", "17:00"]]}), "unknown day 'monday'"),
    (lambda: Calendar.build("America/New_York", OFFICE_HOURS, closures=["next Tuesday"]),
     "a closure must be an ISO date"),
])
def test_calendar_errors_say_what_is_wrong(build, message):
    with pytest.raises(CalendarError, match=message):
        build()


def test_calendar_error_is_a_value_error():
    assert issubclass(CalendarError, ValueError)


def test_adding_two_thousand_business_hours_is_fast():
    start = local(2026, 1, 2, 11, 30)
    began = clock.perf_counter()
    due = FLORIDA.add(start, hours(2000))
    took = clock.perf_counter() - began
    assert took < 0.05
    assert FLORIDA.between(start, due) == hours(2000)
