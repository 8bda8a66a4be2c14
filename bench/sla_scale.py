"""SLA at scale: the report card and the due-timer scan over 1,000,000 clocks.

Makes its own scratch PostgreSQL database (dropped at the end, also on an error, Ctrl-C or
SIGTERM), builds sla's schema with its own migrations, seeds the clocks with one
INSERT … SELECT FROM generate_series (and one timer per open clock), runs VACUUM ANALYZE, then
times `report_card(session, now - 90 days, now, "department_code", now)`, the scan a
replica makes for due timers (`… FOR UPDATE SKIP LOCKED`, rolled back) and the count each
sla_started makes for its expected close (the busiest category's backlog in its department,
and what that department closed of it in the last 14 days). The last three lines are
`report_card_ms=<median>`, `due_scan_ms=<median>` and `expected_close_ms=<median>`.
"""
import argparse
import statistics
import sys
import time
import uuid
import warnings
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

# Importing loop311_sla may import nameko, which imports eventlet, which announces its deprecation.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import psycopg2.extensions  # noqa: E402
import psycopg2.extras  # noqa: E402
from harness import ADMIN_DATABASE_URL, exit_on_sigterm  # noqa: E402
from psycopg2.errors import QueryCanceled  # noqa: E402
from sqlalchemy import create_engine, event, text  # noqa: E402
from sqlalchemy.exc import OperationalError  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

import loop311_sla  # noqa: E402
from loop311_shared.db import migrate, with_driver  # noqa: E402
from loop311_sla.domain.policies import RECENT  # noqa: E402
from loop311_sla.report_card import report_card  # noqa: E402
from loop311_sla.repository import SlaRepository  # noqa: E402

MIGRATIONS = Path(loop311_sla.__file__).parent / "migrations"
TARGET_MS = 500.0
REPORT_DAYS = 90
GROUP_BY = "department_code"

SERVICE_CODES = (
    "pothole", "streetlight", "graffiti", "illegal_dumping", "missed_trash", "missed_recycling",
    "bulk_pickup", "abandoned_vehicle", "traffic_signal", "sidewalk", "tree_down", "drainage",
    "water_leak", "noise", "code_enforcement", "park_maintenance", "animal_control", "general",
)

# What `--with-index` creates, and what the bench suggests when the report card is slow:
# the report card reads a quarter of the table by opened_at, and only these columns, so an
# index-only scan replaces the heap fetches. It matters when the heap does not follow
# opened_at (seeded in random order: ~450 ms -> ~280 ms); seeded in order it saves ~40 ms.
SUGGESTED_INDEX = (
    "CREATE INDEX ix_clocks_report_card ON clocks (opened_at) INCLUDE ("
    "jurisdiction_id, department_code, service_code, assignee_id, channel, "
    "acknowledged_at, closed_at, ack_due_at, resolve_due_at, reopened_count, "
    "ack_calendar_seconds, ack_business_seconds, close_calendar_seconds, close_business_seconds)"
)

# One statement: every random draw per row in `base`, the times in `timed`, what happened
# to the request by `now` in `fate`. Roughly: 80% closed (those whose close is already
# past), the rest open / acknowledged / in progress, most of those past their resolve
# target; ~4.5% reopened at least once; times to acknowledge exponential with a 3 h mean,
# then to close another 2.5 days on average; business seconds a fixed share of calendar.
SEED_CLOCKS = """
INSERT INTO clocks (
    request_id, service_code, priority, channel, jurisdiction_id, department_code, assignee_id,
    lat, long, opened_at, started_at, ack_due_at, resolve_due_at, acknowledged_at, closed_at,
    ack_calendar_seconds, ack_business_seconds, close_calendar_seconds, close_business_seconds,
    ack_state, resolve_state, status, reopened_count, escalation_level, last_action_at)
WITH base AS (
    SELECT g,
           -- in the order they were reported, as the table fills in production
           CAST(:now AS timestamptz) - interval '365 days'
               + (g - random()) * (interval '365 days' / :rows) AS opened_at,
           random() AS r_state, random() AS r_reopen, random() AS r_chan, random() AS r_prio,
           random() AS r_loc, random() AS r_lat, random() AS r_long,
           -ln(1 - random()) * 3 * 3600 AS ack_s,
           -ln(1 - random()) * 2.5 * 86400 AS work_s,
           floor(18 * power(random(), 1.6))::int AS cat,
           floor(29 * power(random(), 1.3))::int AS dep,
           floor(25 * power(random(), 1.5))::int AS jur,
           floor(400 * random())::int AS staff
    FROM generate_series(1, :rows) AS g
), timed AS (
    SELECT *,
           opened_at + ack_s * interval '1 second' AS ack_at,
           opened_at + (ack_s + work_s) * interval '1 second' AS close_at,
           opened_at + CASE WHEN r_prio < 0.1 THEN interval '1 hour' ELSE interval '4 hours' END
               AS ack_due,
           opened_at + (2 + cat % 5) * interval '1 day' AS resolve_due
    FROM base
), fate AS (
    SELECT *,
           CASE WHEN r_state < 0.80 AND close_at <= CAST(:now AS timestamptz) THEN 'closed'
                WHEN ack_at > CAST(:now AS timestamptz) OR r_state BETWEEN 0.80 AND 0.86 THEN 'open'
                WHEN r_state < 0.80 OR r_state > 0.93 THEN 'in_progress'
                ELSE 'acknowledged' END AS status
    FROM timed
)
SELECT 'bench-' || g,
       (CAST(:service_codes AS text[]))[cat + 1],
       CASE WHEN r_prio < 0.1 THEN 'high' ELSE 'normal' END,
       CASE WHEN r_chan < 0.45 THEN 'web' WHEN r_chan < 0.75 THEN 'phone'
            WHEN r_chan < 0.90 THEN 'email' ELSE 'sms' END,
       'jur-' || lpad((jur + 1)::text, 2, '0'),
       'dept-' || lpad((dep + 1)::text, 2, '0'),
       CASE WHEN status <> 'open' THEN 'staff-' || staff END,
       CASE WHEN r_loc < 0.9 THEN 27.6 + 0.6 * r_lat END,
       CASE WHEN r_loc < 0.9 THEN -82.9 + 0.3 * r_long END,
       opened_at, opened_at, ack_due, resolve_due,
       CASE WHEN status <> 'open' THEN ack_at END,
       CASE WHEN status = 'closed' THEN close_at END,
       CASE WHEN status <> 'open' THEN ack_s END,
       CASE WHEN status <> 'open' THEN ack_s * 0.35 END,
       CASE WHEN status = 'closed' THEN ack_s + work_s END,
       CASE WHEN status = 'closed' THEN (ack_s + work_s) * 0.3 END,
       CASE WHEN status <> 'open' THEN CASE WHEN ack_at <= ack_due THEN 'met' ELSE 'breached' END
            WHEN ack_due < CAST(:now AS timestamptz) THEN 'breached' ELSE 'running' END,
       CASE WHEN status = 'closed' THEN CASE WHEN close_at <= resolve_due THEN 'met' ELSE 'breached' END
            WHEN resolve_due < CAST(:now AS timestamptz) THEN 'breached' ELSE 'running' END,
       status,
       CASE WHEN r_reopen < 0.040 THEN 1 WHEN r_reopen < 0.045 THEN 2 ELSE 0 END,
       CASE WHEN status <> 'closed' AND resolve_due < CAST(:now AS timestamptz) THEN 1 ELSE 0 END,
       CASE WHEN status = 'closed' THEN close_at WHEN status <> 'open' THEN ack_at
            ELSE opened_at END
FROM fate
"""

# One timer per open clock, due within ±30 days of now.
SEED_TIMERS = """
INSERT INTO timers (request_id, kind, due_at)
SELECT request_id,
       (ARRAY['ack_reminder', 'resolve_reminder', 'escalation', 'breach_check'])
           [1 + floor(4 * random())::int],
       CAST(:now AS timestamptz) + (60 * random() - 30) * interval '1 day'
FROM clocks WHERE closed_at IS NULL
"""

DUE_SCAN = text("SELECT id, request_id, kind, due_at FROM timers WHERE due_at <= :now "
                "ORDER BY due_at LIMIT 100 FOR UPDATE SKIP LOCKED")


@contextmanager
def scratch_database():
    """A fresh database with a unique name, dropped on the way out whatever happens."""
    name = f"loop311_bench_sla_{uuid.uuid4().hex[:8]}"
    admin = create_engine(with_driver(ADMIN_DATABASE_URL), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield name, ADMIN_DATABASE_URL.rsplit("/", 1)[0] + f"/{name}"
        finally:
            try:
                with admin.connect() as connection:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            except BaseException as error:  # report it, but keep the run's own error
                print(f"bench cleanup: could not drop database {name}: {error!r}", file=sys.stderr)
    finally:
        admin.dispose()


def seed(engine, rows: int, now: datetime) -> None:
    with engine.begin() as connection:
        connection.execute(text("SELECT setseed(0.311)"))
        started = time.perf_counter()
        connection.execute(text(SEED_CLOCKS),
                           {"now": now, "rows": rows, "service_codes": list(SERVICE_CODES)})
        clocks_s = time.perf_counter() - started
        started = time.perf_counter()
        timers = connection.execute(text(SEED_TIMERS), {"now": now}).rowcount
        timers_s = time.perf_counter() - started
    started = time.perf_counter()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        # VACUUM too, as autovacuum would have done by now: hint bits and the visibility map
        connection.execute(text("VACUUM ANALYZE clocks"))
        connection.execute(text("VACUUM ANALYZE timers"))
    analyze_s = time.perf_counter() - started
    with engine.connect() as connection:
        shape = connection.execute(text(
            "SELECT count(*), count(*) FILTER (WHERE closed_at IS NOT NULL),"
            " count(*) FILTER (WHERE reopened_count > 0),"
            " count(*) FILTER (WHERE closed_at IS NULL AND resolve_due_at < :now),"
            " count(DISTINCT service_code), count(DISTINCT department_code),"
            " count(DISTINCT jurisdiction_id), pg_size_pretty(pg_total_relation_size('clocks'))"
            " FROM clocks"), {"now": now}).one()
        due = connection.execute(text("SELECT count(*) FROM timers WHERE due_at <= :now"),
                                 {"now": now}).scalar_one()
    total, closed, reopened, overdue, services, departments, jurisdictions, size = shape
    print(f"seeded {total:,} clocks in {clocks_s:.1f} s: {closed / total:.1%} closed, "
          f"{reopened / total:.1%} reopened, {overdue / total:.1%} open past due; "
          f"{services} service codes, {departments} departments, {jurisdictions} jurisdictions; "
          f"clocks and its indexes {size}")
    print(f"seeded {timers:,} timers (one per open clock, {due:,} due now) in {timers_s:.1f} s; "
          f"VACUUM ANALYZE {analyze_s:.1f} s")


def time_report_card(engine, now: datetime, runs: int, label: str) -> float:
    start = now - timedelta(days=REPORT_DAYS)
    with Session(engine) as session:
        card = report_card(session, start, now, GROUP_BY, now)  # warm-up, not timed
    print(f"report card{label}: {GROUP_BY} over the last {REPORT_DAYS} days: "
          f"{sum(row['opened'] for row in card):,} clocks in {len(card)} groups "
          f"(one warm-up run, then {runs} timed)")
    times = []
    for run in range(1, runs + 1):
        with Session(engine) as session:
            started = time.perf_counter()
            report_card(session, start, now, GROUP_BY, now)
            times.append((time.perf_counter() - started) * 1000)
        print(f"report_card run {run}: {times[-1]:.1f} ms")
    return statistics.median(times)


def time_due_scan(engine, now: datetime, runs: int) -> float:
    times = []
    for run in range(0, runs + 1):
        with engine.connect() as connection:
            transaction = connection.begin()
            started = time.perf_counter()
            claimed = connection.execute(DUE_SCAN, {"now": now}).all()
            elapsed = (time.perf_counter() - started) * 1000
            transaction.rollback()
        if run == 0:
            print(f"due-timer scan: {len(claimed)} timers claimed per run, rolled back "
                  f"(one warm-up run, then {runs} timed)")
            continue
        times.append(elapsed)
        print(f"due_scan run {run}: {elapsed:.1f} ms")
    return statistics.median(times)


def time_expected_close(engine, now: datetime, runs: int) -> float:
    with engine.connect() as connection:
        department, service_code, clocks = connection.execute(text(
            "SELECT department_code, service_code, count(*) FROM clocks"
            " GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 1")).one()
    times = []
    for run in range(0, runs + 1):
        with Session(engine) as session:
            started = time.perf_counter()
            backlog, closed = SlaRepository(session).backlog_and_recent_closes(
                department, service_code, now - RECENT)
            elapsed = (time.perf_counter() - started) * 1000
        if run == 0:
            print(f"expected close: {service_code} in {department} ({clocks:,} clocks): "
                  f"{backlog:,} open, {closed:,} closed in the last {RECENT.days} days "
                  f"(one warm-up run, then {runs} timed)")
            continue
        times.append(elapsed)
        print(f"expected_close run {run}: {elapsed:.2f} ms")
    return statistics.median(times)


def explain_report_card(engine, now: datetime) -> None:
    """Print the plan PostgreSQL chose for the report card's statement (EXPLAIN ANALYZE)."""
    captured = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        captured.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        with Session(engine) as session:
            report_card(session, now - timedelta(days=REPORT_DAYS), now, GROUP_BY, now)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    statement, parameters = captured[-1]
    with engine.connect() as connection:
        cursor = connection.connection.dbapi_connection.cursor()
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
        for (line,) in cursor.fetchall():
            print(f"  {line}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="clocks to seed")
    parser.add_argument("--runs", type=int, default=7, help="timed runs of each query")
    parser.add_argument("--with-index", action="store_true",
                        help="after the plain figures, create the suggested index and time again")
    parser.add_argument("--explain", action="store_true",
                        help="print the report card's EXPLAIN (ANALYZE, BUFFERS)")
    args = parser.parse_args(argv)
    exit_on_sigterm()
    # Let Ctrl-C cancel a running statement instead of waiting for it to end.
    psycopg2.extensions.set_wait_callback(psycopg2.extras.wait_select)

    now = datetime.now(timezone.utc)
    with scratch_database() as (name, url):
        engine = create_engine(with_driver(url), pool_size=2)
        try:
            with engine.connect() as connection:
                version = connection.execute(text("SHOW server_version")).scalar_one()
                work_mem = connection.execute(text("SHOW work_mem")).scalar_one()
            print(f"sla_scale: PostgreSQL {version} (work_mem {work_mem}), scratch database {name}, "
                  f"{args.rows:,} clocks, now={now.isoformat(timespec='seconds')}")
            migrate(engine, MIGRATIONS)
            seed(engine, args.rows, now)

            report_ms = time_report_card(engine, now, args.runs, "")
            if args.explain:
                explain_report_card(engine, now)
            due_ms = time_due_scan(engine, now, args.runs)
            expected_close_ms = time_expected_close(engine, now, args.runs)
            if report_ms > TARGET_MS:
                print(f"report card median {report_ms:.1f} ms is over the {TARGET_MS:.0f} ms target; "
                      f"suggested index: {SUGGESTED_INDEX}")
            if args.with_index:
                print(f"report_card_ms_without_index={report_ms:.1f}")
                started = time.perf_counter()
                with engine.begin() as connection:
                    connection.execute(text(SUGGESTED_INDEX))
                with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                    connection.execute(text("ANALYZE clocks"))
                print(f"created in {time.perf_counter() - started:.1f} s (with ANALYZE): "
                      f"{SUGGESTED_INDEX}")
                report_ms = time_report_card(engine, now, args.runs, " with the index")
                if args.explain:
                    explain_report_card(engine, now)
        finally:
            engine.dispose()
    print(f"report_card_ms={report_ms:.1f}")
    print(f"due_scan_ms={due_ms:.1f}")
    print(f"expected_close_ms={expected_close_ms:.2f}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except (KeyboardInterrupt, OperationalError) as error:
        # Ctrl-C cancels the running statement (wait_select): PostgreSQL answers QueryCanceled.
        if isinstance(error, OperationalError) and not isinstance(error.orig, QueryCanceled):
            raise
        print("bench: interrupted", file=sys.stderr)
        sys.exit(130)
