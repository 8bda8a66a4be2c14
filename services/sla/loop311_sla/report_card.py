"""The report card and the disaster export: read-only SQL aggregates over `clocks`.

Everything is computed in PostgreSQL (counts, FILTERed aggregates, `percentile_cont`,
the GeoJSON itself); Python only shapes the few result rows. PostgreSQL only: SQLite has
neither ordered-set aggregates nor the JSON functions used here.

Times are compared as `timestamptz`, so `start`, `end` and `now` must be timezone-aware.
ISO strings in the results are in UTC.
"""
import csv
import io
from datetime import date, datetime, timezone

from sqlalchemy import Float, and_, cast, func, or_, select
from sqlalchemy.dialects.postgresql import ARRAY, JSON, aggregate_order_by, array

from loop311_shared.errors import Invalid, Unavailable

from .models import clocks, ratings

DIMENSIONS = ("jurisdiction_id", "department_code", "service_code", "assignee_id", "channel")

REPORT_CARD_COLUMNS = (
    "group", "opened", "acknowledged", "closed", "reopened",
    "ack_p50_seconds", "ack_p90_seconds", "ack_business_p50_seconds", "ack_business_p90_seconds",
    "close_p50_seconds", "close_p90_seconds", "close_business_p50_seconds",
    "close_business_p90_seconds",
    "ack_on_time_pct", "resolve_on_time_pct", "overdue_now", "oldest_overdue_due_at",
    "per_1000_residents", "ratings", "satisfaction_avg", "not_fixed",
)

DISASTER_COLUMNS = ("service_code", "day", "opened", "open", "acknowledged", "in_progress", "closed")
STATUSES = ("open", "acknowledged", "in_progress", "closed")

# The two percentiles asked of each duration, as one float8[] argument of percentile_cont.
FRACTIONS = cast(array([0.5, 0.9]), ARRAY(Float))

# to_char pattern for an ISO 8601 timestamp once converted to UTC (always microseconds).
_ISO_UTC = 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"'


def report_card(session, start: datetime, end: datetime, group_by: str, now: datetime,
                populations: dict[str, int] | None = None) -> list[dict]:
    """One row per `group_by` value for the requests opened in [start, end), sorted by group
    (None last).

    - opened / acknowledged / closed: requests opened in the window, and of those the ones
      with `acknowledged_at` / `closed_at` set now (a reopened request counts as closed only
      once it is closed again); reopened: those with `reopened_count > 0`.
    - `*_p50_seconds`, `*_p90_seconds`: `percentile_cont` (interpolated) of the time to
      acknowledge (over acknowledged requests) and to close (over closed requests), in
      calendar and business seconds; None when the group has no such request.
    - `ack_on_time_pct`: of the requests with an ack target, acknowledged by `ack_due_at`,
      over (acknowledged on time + acknowledged late + unacknowledged with `ack_due_at` <
      `now`); requests not yet acknowledged and not yet due are left out. None when nothing
      counts. `resolve_on_time_pct` likewise with `closed_at` / `resolve_due_at`, so open
      requests past their due date count as late. Rounded to 1 decimal.
    - `overdue_now`: not closed and `resolve_due_at` < `now`; `oldest_overdue_due_at` the
      earliest such due date (ISO, UTC) or None.
    - `per_1000_residents`: opened * 1000 / population, 2 decimals, when grouping by
      jurisdiction and `populations` has a positive population for the group; else None.
    - `ratings`: residents' scores (1-5) of the group's requests, `satisfaction_avg` their
      mean (2 decimals, None without any), `not_fixed`: answers saying it was not fixed.

    One SQL statement.
    """
    _require_postgresql(session)
    if group_by not in DIMENSIONS:
        raise Invalid(f"group_by must be one of {', '.join(DIMENSIONS)}, not {group_by!r}")
    _require_window(start, end)
    _require_aware(now=now)

    c = clocks.c
    group = c[group_by]
    acknowledged = c.acknowledged_at.is_not(None)
    closed = c.closed_at.is_not(None)
    ack_on_time = and_(acknowledged, c.acknowledged_at <= c.ack_due_at)
    ack_late = or_(and_(acknowledged, c.acknowledged_at > c.ack_due_at),
                   and_(c.acknowledged_at.is_(None), c.ack_due_at < now))
    resolve_on_time = and_(closed, c.closed_at <= c.resolve_due_at)
    resolve_late = or_(and_(closed, c.closed_at > c.resolve_due_at),
                       and_(c.closed_at.is_(None), c.resolve_due_at < now))
    overdue = and_(c.closed_at.is_(None), c.resolve_due_at < now)

    # Each request's ratings summed first, so joining them keeps one row per clock.
    per_request = (select(ratings.c.request_id, func.count(ratings.c.score).label("scores"),
                          func.sum(ratings.c.score).label("score_sum"),
                          func.count().filter(ratings.c.not_fixed).label("not_fixed"))
                   .group_by(ratings.c.request_id).subquery())

    def median_and_p90(column, present):
        # p50 and p90 from one ordered-set aggregate: one sort per group, not two
        return func.percentile_cont(FRACTIONS).within_group(column).filter(present)

    statement = (
        select(
            group.label("grp"),
            func.count().label("opened"),
            func.count().filter(acknowledged).label("acknowledged"),
            func.count().filter(closed).label("closed"),
            func.count().filter(c.reopened_count > 0).label("reopened"),
            median_and_p90(c.ack_calendar_seconds, acknowledged).label("ack"),
            median_and_p90(c.ack_business_seconds, acknowledged).label("ack_business"),
            median_and_p90(c.close_calendar_seconds, closed).label("close"),
            median_and_p90(c.close_business_seconds, closed).label("close_business"),
            func.count().filter(ack_on_time).label("ack_on_time"),
            func.count().filter(ack_late).label("ack_late"),
            func.count().filter(resolve_on_time).label("resolve_on_time"),
            func.count().filter(resolve_late).label("resolve_late"),
            func.count().filter(overdue).label("overdue_now"),
            func.min(c.resolve_due_at).filter(overdue).label("oldest_overdue_due_at"),
            func.coalesce(func.sum(per_request.c.scores), 0).label("ratings"),
            func.sum(per_request.c.score_sum).label("score_sum"),
            func.coalesce(func.sum(per_request.c.not_fixed), 0).label("not_fixed"),
        )
        .select_from(clocks.outerjoin(per_request, per_request.c.request_id == c.request_id))
        .where(c.opened_at >= start, c.opened_at < end)
        .group_by(group)
    )
    rows = session.execute(statement).mappings().all()

    populations = populations or {}
    card = []
    for row in rows:  # one per group, not per clock
        population = populations.get(row["grp"]) if group_by == "jurisdiction_id" else None
        card.append({
            "group": row["grp"],
            "opened": row["opened"],
            "acknowledged": row["acknowledged"],
            "closed": row["closed"],
            "reopened": row["reopened"],
            **_percentiles("ack", row["ack"]),
            **_percentiles("ack_business", row["ack_business"]),
            **_percentiles("close", row["close"]),
            **_percentiles("close_business", row["close_business"]),
            "ack_on_time_pct": _percentage(row["ack_on_time"], row["ack_late"]),
            "resolve_on_time_pct": _percentage(row["resolve_on_time"], row["resolve_late"]),
            "overdue_now": row["overdue_now"],
            "oldest_overdue_due_at": _iso(row["oldest_overdue_due_at"]),
            "per_1000_residents": (round(row["opened"] * 1000 / population, 2)
                                   if population else None),
            "ratings": int(row["ratings"]),
            "satisfaction_avg": (round(float(row["score_sum"]) / int(row["ratings"]), 2)
                                 if row["ratings"] else None),
            "not_fixed": int(row["not_fixed"]),
        })
    card.sort(key=lambda entry: (entry["group"] is None, entry["group"] or ""))
    return card


def report_card_csv(rows: list[dict]) -> str:
    """The report card as CSV: a header row, then one row per group; None is an empty cell."""
    return _csv(REPORT_CARD_COLUMNS, rows)


def disaster_export(session, start: datetime, end: datetime) -> list[dict]:
    """Requests opened in [start, end) counted by service_code and **UTC** day (the day of
    `opened_at` in UTC, as an ISO date), with how many of them are now in each status.
    Sorted by day, then service_code. One SQL statement."""
    _require_postgresql(session)
    _require_window(start, end)
    c = clocks.c
    day = func.date(func.timezone("UTC", c.opened_at))
    statement = (
        select(
            c.service_code,
            day.label("day"),
            func.count().label("opened"),
            *(func.count().filter(c.status == status).label(status) for status in STATUSES),
        )
        .where(c.opened_at >= start, c.opened_at < end)
        .group_by(c.service_code, day)
        .order_by(day, c.service_code)
    )
    return [
        {**row, "day": row["day"].isoformat()}
        for row in session.execute(statement).mappings()  # one per service and day
    ]


def disaster_csv(rows: list[dict]) -> str:
    """The disaster export as CSV: a header row, then one row per service_code and day."""
    return _csv(DISASTER_COLUMNS, rows)


def disaster_geojson(session, start: datetime, end: datetime) -> dict:
    """A GeoJSON FeatureCollection of every request opened in [start, end) that has a
    location: Point [long, lat]; properties request_id, service_code, status, opened_at and
    closed_at (ISO, UTC; closed_at null when open). Ordered by opened_at, request_id.
    Built by PostgreSQL (json_agg) in one statement."""
    _require_postgresql(session)
    _require_window(start, end)
    c = clocks.c
    feature = func.json_build_object(
        "type", "Feature",
        "geometry", func.json_build_object(
            "type", "Point", "coordinates", func.json_build_array(c.long, c.lat)),
        "properties", func.json_build_object(
            "request_id", c.request_id,
            "service_code", c.service_code,
            "status", c.status,
            "opened_at", func.to_char(func.timezone("UTC", c.opened_at), _ISO_UTC),
            "closed_at", func.to_char(func.timezone("UTC", c.closed_at), _ISO_UTC),
        ),
    )
    features = func.coalesce(
        func.json_agg(aggregate_order_by(feature, c.opened_at, c.request_id)),
        func.json_build_array(),
    )
    statement = (
        select(func.json_build_object("type", "FeatureCollection", "features", features,
                                      type_=JSON))
        .where(c.opened_at >= start, c.opened_at < end,
               c.lat.is_not(None), c.long.is_not(None))
    )
    return session.execute(statement).scalar_one()


# -- helpers ---------------------------------------------------------------------------
def _require_postgresql(session) -> None:
    bind = session.get_bind() if hasattr(session, "get_bind") else session
    if bind.dialect.name != "postgresql":
        raise Unavailable("the report card needs PostgreSQL")


def _require_aware(**moments: datetime) -> None:
    for name, moment in moments.items():
        if not isinstance(moment, datetime) or moment.utcoffset() is None:
            raise Invalid(f"{name} must be a timezone-aware datetime")


def _require_window(start: datetime, end: datetime) -> None:
    _require_aware(start=start, end=end)
    if end < start:
        raise Invalid("the window ends before it starts")


def _percentiles(prefix: str, values: list[float] | None) -> dict:
    p50, p90 = values or (None, None)
    return {f"{prefix}_p50_seconds": p50, f"{prefix}_p90_seconds": p90}


def _percentage(on_time: int, late: int) -> float | None:
    counted = on_time + late
    return round(100 * on_time / counted, 1) if counted else None


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(timezone.utc).isoformat()


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, datetime):
        return _iso(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _csv(columns, rows) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(column)) for column in columns])
    return out.getvalue()
