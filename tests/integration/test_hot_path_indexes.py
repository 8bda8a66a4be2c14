"""The lookups made per report, text, call-in or event, and the pages staff and the public
read most, take what they need through an index, not the city's whole history:
PostgreSQL's own plans, on migrated databases holding enough history (20,000 rows a
table) that the planner chooses as it would in a city. Without their indexes these read
every request, contact, clock, opt-out or assignment ever kept."""
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import event, text
from sqlalchemy.orm import Session

import loop311_intake
import loop311_notify
import loop311_routing
import loop311_sla
from loop311_intake.queries import find_requests
from loop311_intake.repository.category_models import CategoryModelRepository
from loop311_intake.repository.requests import RequestRepository
from loop311_notify.repository.ledger import LedgerRepository
from loop311_routing.queries import work_queue
from loop311_shared.db import make_engine, migrate
from loop311_sla.repository import SlaRepository

HISTORY = 20_000
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)
# Around the demo city (St. Petersburg, FL), where the other tests' reports are.
LAT, LONG = 27.7705, -82.6383


@pytest.fixture
def database(new_database):
    engines = []

    def make(service, package):
        engine = make_engine(new_database(service))
        migrate(engine, Path(package.__file__).parent / "migrations")
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.dispose()


@contextmanager
def statements(engine):
    """The SQL a block sends, with its parameters."""
    sent = []

    def record(connection, cursor, statement, parameters, context, executemany):
        if not executemany:
            sent.append((statement, parameters))
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)


def full_reads(engine, sent, history_tables) -> list[str]:
    """Each sequential scan, or index scan without a condition, of a history table in the
    plans of `sent`."""
    found = []

    def walk(node, statement):
        relation = node.get("Relation Name")
        kind = node["Node Type"]
        if relation in history_tables and (
                kind == "Seq Scan" or (kind.startswith("Index") and "Index Cond" not in node)):
            found.append(f"{kind} on {relation} in: {' '.join(statement.split())[:160]}")
        for child in node.get("Plans", []):
            walk(child, statement)

    with engine.connect() as connection:
        for statement, parameters in sent:
            if statement.lstrip().upper().startswith("INSERT"):
                continue
            plan = connection.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {statement}",
                                              parameters).scalar_one()
            walk(plan[0]["Plan"], statement)
    return found


def rows_read(engine, sent, table) -> list[int]:
    """For each SELECT in `sent`, the rows its plan took from `table` (EXPLAIN ANALYZE):
    those a scan returned and those it read and filtered out."""
    def read(node):
        own = 0
        if node.get("Relation Name") == table:
            kept_or_dropped = (node["Actual Rows"] + node.get("Rows Removed by Filter", 0)
                               + node.get("Rows Removed by Index Recheck", 0))
            own = kept_or_dropped * node["Actual Loops"]
        return own + sum(read(child) for child in node.get("Plans", []))

    counts = []
    with engine.connect() as connection:
        for statement, parameters in sent:
            if statement.lstrip().upper().startswith("SELECT"):
                plan = connection.exec_driver_sql(f"EXPLAIN (ANALYZE, FORMAT JSON) {statement}",
                                                  parameters).scalar_one()
                counts.append(read(plan[0]["Plan"]))
    return counts


def seed(engine, *statements_sql):
    with engine.begin() as connection:
        for statement in statements_sql:
            connection.execute(text(statement), {"n": HISTORY, "now": NOW, "lat": LAT,
                                                 "long": LONG})
        connection.execute(text("ANALYZE"))


def test_a_text_a_call_in_a_report_and_a_correction_use_indexes(database):
    engine = database("intake", loop311_intake)
    seed(engine,
         """INSERT INTO contacts (contact_ref, phone, email)
            SELECT 'c' || g, '+1727555' || lpad((g % 9000)::text, 4, '0'),
                   'resident' || g || '@example.org' FROM generate_series(1, :n) g""",
         # Most of a city's requests are closed; a few are open, spread over the city.
         """INSERT INTO service_requests (service_code, description, channel, contact_ref,
                status, requested_at, updated_at, lat, long)
            SELECT (ARRAY['pothole', 'streetlight', 'graffiti', 'trash'])[1 + g % 4],
                   'report ' || g, 'web', 'c' || g,
                   CASE WHEN g % 20 = 0 THEN 'open' ELSE 'closed' END,
                   :now - make_interval(mins => g), :now - make_interval(mins => g),
                   :lat + (g % 200 - 100) * 0.001, :long + (g / 200 % 100 - 50) * 0.001
            FROM generate_series(1, :n) g""",
         """INSERT INTO followers (request_id, contact_ref, followed_at)
            SELECT g, 'c' || (g + 7), :now FROM generate_series(1, :n, 3) g""",
         """INSERT INTO category_examples (jurisdiction_id, source, text, service_code,
                request_id, added_at)
            SELECT 'stpete', CASE WHEN g % 10 = 0 THEN 'correction' ELSE 'history' END,
                   'example ' || g, 'pothole', g, :now FROM generate_series(1, :n) g""")

    with Session(engine) as session, statements(engine) as sent:
        requests = RequestRepository(session)
        requests.of_phone("+17275551234")
        requests.open_near(LAT, LONG, 200)
        requests.open_duplicate("pothole", LAT, LONG, NOW - timedelta(days=30), 50)
        CategoryModelRepository(session).add_correction("stpete", "deep hole", "pothole",
                                                        4242, NOW, NOW)
        session.rollback()
    assert len(sent) >= 5
    assert full_reads(engine, sent, {"contacts", "service_requests", "followers",
                                     "category_examples"}) == []


def test_each_sla_start_counts_the_backlog_through_an_index(database):
    engine = database("sla", loop311_sla)
    seed(engine,
         """INSERT INTO clocks (request_id, service_code, department_code, opened_at,
                closed_at)
            SELECT 'r' || g, (ARRAY['pothole', 'streetlight', 'graffiti', 'trash'])[1 + g % 4],
                   (ARRAY['streets', 'parks'])[1 + g % 2], :now - make_interval(mins => g),
                   CASE WHEN g % 20 = 0 THEN NULL
                        ELSE :now - make_interval(mins => g) + interval '3 days' END
            FROM generate_series(1, :n) g""")

    with Session(engine) as session, statements(engine) as sent:
        SlaRepository(session).backlog_and_recent_closes("streets", "graffiti",
                                                         NOW - timedelta(days=14))
    assert len(sent) == 1
    assert full_reads(engine, sent, {"clocks"}) == []


def test_each_resident_message_checks_the_opt_outs_through_an_index(database):
    engine = database("notify", loop311_notify)
    seed(engine,
         """INSERT INTO known_requests (request_id, service_name)
            SELECT 'r' || g, 'Pothole' FROM generate_series(1, :n) g""",
         """INSERT INTO recipients (contact_ref, request_id, email)
            SELECT 'c' || g, 'r' || g, 'resident' || g || '@example.org'
            FROM generate_series(1, :n) g""",
         """INSERT INTO email_opt_outs (email, opted_out_at)
            SELECT 'resident' || g || '@example.org', :now FROM generate_series(1, :n, 2) g""")

    with Session(engine) as session, statements(engine) as sent:
        ledger = LedgerRepository(session)
        assert [row.email for row in ledger.reporters("r2")] == ["resident2@example.org"]
        assert ledger.recipient("c3").email is None  # opted out
    assert len(sent) == 2
    assert full_reads(engine, sent, {"known_requests", "recipients", "email_opt_outs"}) == []


QUEUE = {"status": "open", "category": None, "jurisdiction": None, "older_than_hours": None,
         "page": 1, "page_size": 50}


def test_a_work_queue_page_reads_its_open_items_not_the_departments_history(database):
    engine = database("routing", loop311_routing)
    seed(engine,
         """INSERT INTO departments (code, name, jurisdiction_id)
            SELECT 'dept-' || d, 'Department ' || d, 'stpete' FROM generate_series(0, 3) d""",
         # One request in 20 still open; one in 50 went to triage (half of those closed since).
         """INSERT INTO assignments (request_id, service_code, department_code, assigned_at,
                state, status)
            SELECT 'r' || g, 'pothole',
                   CASE WHEN g % 50 = 1 THEN NULL ELSE 'dept-' || (g / 7 % 4) END,
                   :now - make_interval(mins => g),
                   CASE WHEN g % 50 = 1 THEN 'triage' ELSE 'assigned' END,
                   CASE WHEN g % 20 < 2 THEN 'open' ELSE 'closed' END
            FROM generate_series(1, :n) g""")

    for queue in ({"department": "dept-2"}, {"triage": True}):
        with Session(engine) as session, statements(engine) as sent:
            page = work_queue(session, QUEUE, now=NOW, **queue)
        assert len(page["items"]) == 50 and page["total"] > 50
        # The open items' range and one page of it: a few hundred rows, never the 5,000
        # the department has had or the 20,000 triage was picked from.
        assert max(rows_read(engine, sent, "assignments")) <= 600, queue


def test_open311s_newest_first_list_of_one_category_reads_one_page(database):
    engine = database("intake", loop311_intake)
    seed(engine,
         """INSERT INTO service_catalog (service_code, service_name, description, "group")
            SELECT code, code, code, 'streets' FROM unnest(ARRAY['pothole', 'dead_animal']) code""",
         # One report in a hundred is a dead animal.
         """INSERT INTO service_requests (service_code, description, channel, status,
                requested_at, updated_at)
            SELECT CASE WHEN g % 100 = 0 THEN 'dead_animal' ELSE 'pothole' END,
                   'report ' || g, 'web', 'closed', :now - make_interval(mins => g * 5),
                   :now - make_interval(mins => g * 5)
            FROM generate_series(1, :n) g""")

    for params in ({"service_code": "dead_animal"}, {}):
        with Session(engine) as session, statements(engine) as sent:
            assert len(find_requests(session, {**params, "page_size": "50"}, now=NOW)) == 50
        assert rows_read(engine, sent, "service_requests") == [50], params



def test_a_page_with_its_notes_is_two_statements(database):
    engine = database("intake", loop311_intake)
    seed(engine,
         """INSERT INTO service_catalog (service_code, service_name, description, "group")
            VALUES ('pothole', 'pothole', 'pothole', 'streets')""",
         """INSERT INTO service_requests (service_code, description, channel, status,
                requested_at, updated_at)
            SELECT 'pothole', 'report ' || g, 'web', 'open', :now - make_interval(mins => g),
                   :now - make_interval(mins => g)
            FROM generate_series(1, :n) g""",
         # Two public notes and one internal note on every request.
         """INSERT INTO request_notes (request_id, type, summary, datetime, visibility)
            SELECT id, 'comment', kind || ' note on ' || description, requested_at, kind
            FROM service_requests, unnest(ARRAY['public', 'internal', 'public']) kind""")

    with Session(engine) as session, statements(engine) as sent:
        page = find_requests(session, {"page_size": "200", "extensions": "true"}, now=NOW)

    assert len(sent) == 2  # the page, then the notes of all 200 (one statement per request before)
    assert len(page) == 200
    for view in page:
        assert [note["summary"] for note in view["notes"]] == [
            f"public note on {view['description']}"] * 2
    assert full_reads(engine, sent, {"service_requests", "request_notes"}) == []
