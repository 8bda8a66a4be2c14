"""The report card and the disaster export against a real PostgreSQL database built by
sla's own migrations, on a small hand-built set of clocks whose figures are worked out by
hand below (H = 3600 s)."""
import csv
import io
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import create_engine, insert
from sqlalchemy.orm import Session

import loop311_sla
from loop311_shared.db import make_engine, migrate
from loop311_shared.errors import Invalid, Unavailable
from loop311_sla.models import clocks, ratings
from loop311_sla.report_card import (
    DIMENSIONS,
    REPORT_CARD_COLUMNS,
    disaster_csv,
    disaster_export,
    disaster_geojson,
    report_card,
    report_card_csv,
)

H = 3600
NOW = datetime(2024, 6, 10, 12, 0, tzinfo=timezone.utc)
START = datetime(2024, 6, 1, tzinfo=timezone.utc)
END = NOW
T0 = datetime(2024, 6, 3, 8, 0, tzinfo=timezone.utc)   # the roads requests
T1 = datetime(2024, 6, 4, 10, 0, tzinfo=timezone.utc)  # the parks requests


def at(base, hours):
    return base + timedelta(hours=hours)


def clock(request_id, opened_at, *, department, jurisdiction, service_code, channel,
          status, assignee=None, lat=27.9, long=-82.7, ack_due=None, resolve_due=None,
          acknowledged=None, closed=None, ack=(None, None), close=(None, None), reopened=0):
    return {
        "request_id": request_id, "service_code": service_code, "channel": channel,
        "jurisdiction_id": jurisdiction, "department_code": department, "assignee_id": assignee,
        "lat": lat, "long": long, "opened_at": opened_at, "started_at": opened_at,
        "ack_due_at": ack_due, "resolve_due_at": resolve_due,
        "acknowledged_at": acknowledged, "closed_at": closed,
        "ack_calendar_seconds": ack[0], "ack_business_seconds": ack[1],
        "close_calendar_seconds": close[0], "close_business_seconds": close[1],
        "status": status, "reopened_count": reopened,
    }


def roads(request_id, opened_at, **kwargs):
    return clock(request_id, opened_at, department="roads", jurisdiction="clearwater", **kwargs)


def parks(request_id, opened_at, **kwargs):
    return clock(request_id, opened_at, department="parks", jurisdiction="largo",
                 service_code="tree_down", **kwargs)


CLOCKS = [
    # roads: acknowledge within 2 h, resolve within 48 h.
    # R1: acked after 1 h (on time), closed after 24 h (on time).
    roads("R1", T0, service_code="pothole", channel="web", status="closed", assignee="crew-7",
          ack_due=at(T0, 2), resolve_due=at(T0, 48), acknowledged=at(T0, 1), closed=at(T0, 24),
          ack=(1 * H, 1 * H), close=(24 * H, 8 * H), lat=27.96, long=-82.80),
    # R2: acked after 3 h (late), closed after 72 h (late).
    roads("R2", T0, service_code="pothole", channel="phone", status="closed", assignee="crew-7",
          ack_due=at(T0, 2), resolve_due=at(T0, 48), acknowledged=at(T0, 3), closed=at(T0, 72),
          ack=(3 * H, H // 2), close=(72 * H, 24 * H)),
    # R3: acked exactly at its due time (on time), closed after 12 h (on time), reopened once
    # and closed again.
    roads("R3", T0, service_code="pothole", channel="web", status="closed",
          ack_due=at(T0, 2), resolve_due=at(T0, 48), acknowledged=at(T0, 2), closed=at(T0, 12),
          ack=(2 * H, 2 * H), close=(12 * H, 4 * H), reopened=1),
    # R4: acked after 1 h (on time), still open and past its resolve target (2024-06-05 08:00).
    roads("R4", T0, service_code="streetlight", channel="phone", status="in_progress",
          ack_due=at(T0, 2), resolve_due=at(T0, 48), acknowledged=at(T0, 1), ack=(1 * H, 1 * H)),
    # R5: opened an hour before NOW, neither target due yet: left out of both percentages.
    roads("R5", at(NOW, -1), service_code="streetlight", channel="web", status="open",
          ack_due=at(NOW, 1), resolve_due=at(NOW, 47), lat=None, long=None),
    # parks: acknowledge within 4 h, resolve within 72 h (P3 has no targets at all).
    # P1: acked after 1 h (on time), closed after 48 h (on time).
    parks("P1", T1, channel="web", status="closed", ack_due=at(T1, 4), resolve_due=at(T1, 72),
          acknowledged=at(T1, 1), closed=at(T1, 48), ack=(1 * H, 1 * H), close=(48 * H, 16 * H)),
    # P2: never acknowledged though due at T1+4 h (late), open past its resolve target
    # (2024-06-07 10:00).
    parks("P2", T1, channel="phone", status="open", ack_due=at(T1, 4), resolve_due=at(T1, 72)),
    # P3: no targets: in the counts and percentiles, out of both percentages.
    parks("P3", T1, channel="web", status="closed", acknowledged=at(T1, 5), closed=at(T1, 96),
          ack=(5 * H, 1 * H), close=(96 * H, 32 * H), lat=None, long=None),
    # P4: acked after 2 h (on time), open past its resolve target (2024-06-09 00:00).
    parks("P4", datetime(2024, 6, 8, tzinfo=timezone.utc), channel="phone", status="acknowledged",
          ack_due=datetime(2024, 6, 8, 4, tzinfo=timezone.utc),
          resolve_due=datetime(2024, 6, 9, tzinfo=timezone.utc),
          acknowledged=datetime(2024, 6, 8, 2, tzinfo=timezone.utc), ack=(2 * H, 2 * H)),
    # Outside [START, END): before the window, and opened exactly at END.
    roads("X1", datetime(2024, 5, 20, tzinfo=timezone.utc), service_code="pothole",
          channel="web", status="open", resolve_due=datetime(2024, 5, 22, tzinfo=timezone.utc)),
    parks("X2", END, channel="web", status="open", ack_due=at(END, 4), resolve_due=at(END, 72)),
]


# Residents' answers (resident_rated): R1 by two residents, R2 not fixed without a score,
# R3 not fixed with a score, P1 once; X1's is outside the window with its request.
RATINGS = [
    {"rating_id": rid, "request_id": request, "score": score, "not_fixed": not_fixed,
     "rated_at": at(T1, 100)}
    for rid, request, score, not_fixed in (("r1-a", "R1", 5, False), ("r1-b", "R1", 4, False),
                                           ("r2-a", "R2", None, True), ("r3-a", "R3", 1, True),
                                           ("p1-a", "P1", 3, False), ("x1-a", "X1", 1, False))
]


@pytest.fixture
def session(new_database):
    engine = make_engine(new_database("sla"))
    migrate(engine, Path(loop311_sla.__file__).parent / "migrations")
    with engine.begin() as connection:
        connection.execute(insert(clocks), CLOCKS)
        connection.execute(insert(ratings), RATINGS)
    with Session(engine) as session:
        yield session
    engine.dispose()


def by_group(rows):
    return {row["group"]: row for row in rows}


def test_report_card_by_department(session):
    rows = report_card(session, START, END, "department_code", NOW)

    assert [row["group"] for row in rows] == ["parks", "roads"]  # sorted
    assert list(rows[0]) == list(REPORT_CARD_COLUMNS)
    parks_card, roads_card = rows

    assert roads_card == {
        "group": "roads",
        "opened": 5,           # R1..R5 (X1 is before the window)
        "acknowledged": 4,     # R1..R4
        "closed": 3,           # R1, R2, R3
        "reopened": 1,         # R3
        # ack calendar: 1 h, 3 h, 2 h, 1 h -> 3600, 3600, 7200, 10800
        "ack_p50_seconds": 5400.0,      # (3600 + 7200) / 2
        "ack_p90_seconds": 9720.0,      # rank 0.9 * 3 = 2.7: 7200 + 0.7 * (10800 - 7200)
        # ack business: 3600, 1800, 7200, 3600 -> 1800, 3600, 3600, 7200
        "ack_business_p50_seconds": 3600.0,  # (3600 + 3600) / 2
        "ack_business_p90_seconds": 6120.0,  # 3600 + 0.7 * (7200 - 3600)
        # close calendar: 24 h, 72 h, 12 h -> 43200, 86400, 259200
        "close_p50_seconds": 86400.0,
        "close_p90_seconds": 224640.0,  # rank 0.9 * 2 = 1.8: 86400 + 0.8 * (259200 - 86400)
        # close business: 8 h, 24 h, 4 h -> 14400, 28800, 86400
        "close_business_p50_seconds": 28800.0,
        "close_business_p90_seconds": 74880.0,  # 28800 + 0.8 * (86400 - 28800)
        # ack: R1, R3 (at the due time), R4 on time; R2 late; R5 not due -> 3 / 4
        "ack_on_time_pct": 75.0,
        # resolve: R1, R3 on time; R2 closed late, R4 open past due; R5 not due -> 2 / 4
        "resolve_on_time_pct": 50.0,
        "overdue_now": 1,      # R4
        "oldest_overdue_due_at": "2024-06-05T08:00:00+00:00",
        "per_1000_residents": None,  # not grouped by jurisdiction
        "ratings": 3,              # R1 twice, R3 (R2's answer has no score)
        "satisfaction_avg": 3.33,  # (5 + 4 + 1) / 3
        "not_fixed": 2,            # R2, R3
    }
    assert parks_card == {
        "group": "parks",
        "opened": 4,           # P1..P4 (X2 opened exactly at END)
        "acknowledged": 3,     # P1, P3, P4
        "closed": 2,           # P1, P3
        "reopened": 0,
        # ack calendar: 1 h, 5 h, 2 h -> 3600, 7200, 18000
        "ack_p50_seconds": 7200.0,
        "ack_p90_seconds": 15840.0,     # rank 1.8: 7200 + 0.8 * (18000 - 7200)
        # ack business: 1 h, 1 h, 2 h -> 3600, 3600, 7200
        "ack_business_p50_seconds": 3600.0,
        "ack_business_p90_seconds": 6480.0,  # 3600 + 0.8 * (7200 - 3600)
        # close calendar: 48 h, 96 h -> 172800, 345600
        "close_p50_seconds": 259200.0,  # (172800 + 345600) / 2
        "close_p90_seconds": 328320.0,  # rank 0.9: 172800 + 0.9 * 172800
        # close business: 16 h, 32 h -> 57600, 115200
        "close_business_p50_seconds": 86400.0,
        "close_business_p90_seconds": 109440.0,  # 57600 + 0.9 * 57600
        # ack: P1, P4 on time; P2 unacknowledged past due; P3 has no target -> 2 / 3
        "ack_on_time_pct": 66.7,
        # resolve: P1 on time; P2, P4 open past due; P3 no target -> 1 / 3
        "resolve_on_time_pct": 33.3,
        "overdue_now": 2,      # P2 (due 2024-06-07 10:00), P4 (due 2024-06-09 00:00)
        "oldest_overdue_due_at": "2024-06-07T10:00:00+00:00",
        "per_1000_residents": None,
        "ratings": 1,
        "satisfaction_avg": 3.0,
        "not_fixed": 0,
    }


def test_report_card_by_channel(session):
    phone = by_group(report_card(session, START, END, "channel", NOW))["phone"]

    assert (phone["opened"], phone["acknowledged"], phone["closed"], phone["reopened"]) == (
        4, 3, 1, 0)  # R2, R4, P2, P4; acknowledged R2, R4, P4; closed R2
    assert phone["ack_p50_seconds"] == 7200.0  # median of 3600 (R4), 7200 (P4), 10800 (R2)
    assert phone["close_p50_seconds"] == phone["close_p90_seconds"] == 259200.0  # R2 only
    assert phone["ack_on_time_pct"] == 50.0      # R4, P4 on time; R2, P2 late -> 2 / 4
    assert phone["resolve_on_time_pct"] == 0.0   # R2 late; R4, P2, P4 open past due -> 0 / 4
    assert phone["overdue_now"] == 3             # R4, P2, P4
    assert phone["oldest_overdue_due_at"] == "2024-06-05T08:00:00+00:00"  # R4


def test_groups_without_data_and_null_groups(session):
    rows = report_card(session, START, END, "assignee_id", NOW)

    assert [row["group"] for row in rows] == ["crew-7", None]  # None sorts last
    unassigned = rows[1]
    assert unassigned["opened"] == 7  # 9 in the window minus R1, R2

    # a window with only R5 (opened at NOW - 1 h): nothing acknowledged, closed or due
    (only_r5,) = report_card(session, at(NOW, -2), END, "department_code", NOW)
    assert only_r5["group"] == "roads" and only_r5["opened"] == 1
    for name in REPORT_CARD_COLUMNS[5:15]:  # percentiles and percentages
        assert only_r5[name] is None, name
    assert (only_r5["overdue_now"], only_r5["oldest_overdue_due_at"]) == (0, None)

    assert report_card(session, datetime(2020, 1, 1, tzinfo=timezone.utc),
                       datetime(2020, 2, 1, tzinfo=timezone.utc), "channel", NOW) == []


def test_per_1000_residents_only_by_jurisdiction_with_a_population(session):
    rows = by_group(report_card(session, START, END, "jurisdiction_id", NOW,
                                populations={"clearwater": 100_000}))

    assert rows["clearwater"]["per_1000_residents"] == 0.05  # 5 * 1000 / 100000
    assert rows["largo"]["per_1000_residents"] is None       # no population given

    rows = by_group(report_card(session, START, END, "jurisdiction_id", NOW,
                                populations={"clearwater": 100_000, "largo": 8_000}))
    assert rows["largo"]["per_1000_residents"] == 0.5        # 4 * 1000 / 8000
    assert rows["clearwater"]["per_1000_residents"] == 0.05

    rows = report_card(session, START, END, "department_code", NOW,
                       populations={"roads": 100_000})
    assert {row["per_1000_residents"] for row in rows} == {None}


def test_an_unknown_dimension_is_invalid(session):
    assert "channel" in DIMENSIONS
    with pytest.raises(Invalid):
        report_card(session, START, END, "status", NOW)
    with pytest.raises(Invalid):
        report_card(session, START, END, "department_code; DROP TABLE clocks", NOW)


def test_report_card_csv(session):
    rows = report_card(session, START, END, "department_code", NOW)
    lines = report_card_csv(rows).splitlines()

    assert lines[0] == ",".join(REPORT_CARD_COLUMNS)
    assert len(lines) == 3
    roads_row = dict(zip(REPORT_CARD_COLUMNS, next(csv.reader(io.StringIO(lines[2])))))
    assert roads_row["group"] == "roads"
    assert roads_row["opened"] == "5"
    assert float(roads_row["ack_p50_seconds"]) == 5400.0
    assert roads_row["ack_on_time_pct"] == "75.0"
    assert roads_row["oldest_overdue_due_at"] == "2024-06-05T08:00:00+00:00"
    assert roads_row["per_1000_residents"] == ""  # None
    assert report_card_csv([]) == ",".join(REPORT_CARD_COLUMNS) + "\n"


def test_disaster_export_counts_by_service_and_utc_day(session):
    rows = disaster_export(session, START, END)

    assert rows == [
        {"service_code": "pothole", "day": "2024-06-03", "opened": 3,       # R1, R2, R3
         "open": 0, "acknowledged": 0, "in_progress": 0, "closed": 3},
        {"service_code": "streetlight", "day": "2024-06-03", "opened": 1,   # R4
         "open": 0, "acknowledged": 0, "in_progress": 1, "closed": 0},
        {"service_code": "tree_down", "day": "2024-06-04", "opened": 3,     # P1, P2, P3
         "open": 1, "acknowledged": 0, "in_progress": 0, "closed": 2},
        {"service_code": "tree_down", "day": "2024-06-08", "opened": 1,     # P4
         "open": 0, "acknowledged": 1, "in_progress": 0, "closed": 0},
        {"service_code": "streetlight", "day": "2024-06-10", "opened": 1,   # R5
         "open": 1, "acknowledged": 0, "in_progress": 0, "closed": 0},
    ]
    lines = disaster_csv(rows).splitlines()
    assert lines[0] == "service_code,day,opened,open,acknowledged,in_progress,closed"
    assert lines[1] == "pothole,2024-06-03,3,0,0,0,3"
    assert len(lines) == 6


def test_disaster_geojson(session):
    collection = disaster_geojson(session, START, END)

    assert collection["type"] == "FeatureCollection"
    # 9 requests in the window, R5 and P3 have no location
    assert len(collection["features"]) == 7
    assert {f["properties"]["request_id"] for f in collection["features"]} == {
        "R1", "R2", "R3", "R4", "P1", "P2", "P4"}
    r1 = next(f for f in collection["features"] if f["properties"]["request_id"] == "R1")
    assert r1["type"] == "Feature"
    assert r1["geometry"] == {"type": "Point", "coordinates": [-82.80, 27.96]}
    props = r1["properties"]
    assert (props["service_code"], props["status"]) == ("pothole", "closed")
    assert datetime.fromisoformat(props["opened_at"]) == T0
    assert datetime.fromisoformat(props["closed_at"]) == at(T0, 24)
    p2 = next(f for f in collection["features"] if f["properties"]["request_id"] == "P2")
    assert p2["properties"]["closed_at"] is None

    empty = disaster_geojson(session, datetime(2020, 1, 1, tzinfo=timezone.utc),
                             datetime(2020, 2, 1, tzinfo=timezone.utc))
    assert empty == {"type": "FeatureCollection", "features": []}


def test_other_databases_are_refused():
    with Session(create_engine("sqlite://")) as sqlite:
        with pytest.raises(Unavailable, match="needs PostgreSQL"):
            report_card(sqlite, START, END, "channel", NOW)
        with pytest.raises(Unavailable):
            disaster_geojson(sqlite, START, END)
