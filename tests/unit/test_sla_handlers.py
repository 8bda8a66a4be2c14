"""sla's policies import and clocks, on SQLite, with the demo policies (Florida office
hours, US/Florida holidays) imported; events are fed to the handlers directly."""
import copy
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

import loop311_sla
from loop311_shared.errors import Conflict, Invalid
from loop311_shared.loading import load
from loop311_shared.unit_of_work import apply_once, run
from loop311_sla import handlers
from loop311_sla.commands import FireTimers, ImportPolicies, PauseClock, SuspendJurisdiction
from loop311_sla.domain.policies import expected_close
from loop311_sla.models import clocks, configuration_versions, outbox, timers
from loop311_sla.schemas import PoliciesSchema
from loop311_sla.unit_of_work import SlaUnitOfWork
from support import demo_document, received_event

# Tuesday 24 November 2026, 10:00 in Florida (15:00 UTC); Thanksgiving is Thursday 26th.
TUESDAY_10AM = datetime(2026, 11, 24, 15, tzinfo=timezone.utc)


@pytest.fixture
def bare(migrated_session):
    with migrated_session(loop311_sla) as session:
        yield SlaUnitOfWork(session, "sla")


@pytest.fixture
def uow(bare):
    import_policies(bare, demo_document("policies"))
    return bare


def import_policies(uow, document, author="tests"):
    return run(uow, handlers.import_policies,
               ImportPolicies(document=load(PoliciesSchema(), document), author=author))


def feed(uow, event_type, data, subject="1"):
    handler = getattr(handlers, f"handle_{event_type}")
    return apply_once(uow, received_event(event_type, data, subject=subject), handler)


def open_and_assign(uow, request_id="1", service_code="pothole", priority="normal",
                    at=TUESDAY_10AM, assignee="crew-2"):
    feed(uow, "request_created", {
        "request_id": request_id, "service_code": service_code, "service_name": service_code,
        "description": "deep", "lat": 27.77, "long": -82.64, "address": None, "channel": "phone",
        "priority": priority, "contact_ref": None, "requested_at": at}, request_id)
    feed(uow, "request_assigned", {
        "request_id": request_id, "service_code": service_code, "jurisdiction_id": "st-petersburg",
        "jurisdiction_name": "City of St. Petersburg", "department_code": "stp-streets",
        "department_name": "Streets", "agency_responsible": "City — Streets",
        "assignee_id": assignee, "assignee_name": "Crew", "rule_id": "r", "assigned_at": at},
        request_id)


def status(uow, new, previous="open", at=TUESDAY_10AM, request_id="1", resolution=None):
    feed(uow, "request_status_changed", {
        "request_id": request_id, "service_code": "pothole", "previous_status": previous,
        "status": new, "resolution": resolution, "public_note": None, "changed_at": at},
        request_id)


def clock(uow, request_id="1"):
    return uow.session.execute(select(clocks).where(clocks.c.request_id == request_id)).one()


def published(uow, event_type=None):
    return [e for e in uow.session.execute(select(outbox.c.envelope).order_by(outbox.c.id))
            .scalars() if event_type in (None, e["type"])]


def utc(moment):
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


def fire(uow, now):
    return run(uow, handlers.fire_timers, FireTimers(now))


def test_the_demo_policies_import_as_a_new_version_each_time(bare):
    first = import_policies(bare, demo_document("policies"), author="ada")

    assert (first["kind"], first["version"], first["imported_by"]) == ("policies", 1, "ada")
    assert first["summary"] == "1 calendars, 18 policies"
    assert import_policies(bare, demo_document("policies"))["version"] == 2
    count = bare.session.execute(select(func.count()).select_from(configuration_versions))
    assert count.scalar_one() == 2


def test_a_pothole_is_due_in_business_days_across_thanksgiving(uow):
    open_and_assign(uow)

    row = clock(uow)
    # Acknowledge within 1 business day: Wednesday 10:00. Resolve within 3: Wednesday,
    # then Thanksgiving and the Friday after are holidays, the weekend is closed: Tue 1 Dec.
    assert utc(row.ack_due_at) == datetime(2026, 11, 25, 15, tzinfo=timezone.utc)
    assert utc(row.resolve_due_at) == datetime(2026, 12, 1, 15, tzinfo=timezone.utc)
    [started] = published(uow, "sla_started")
    assert started["data"]["due_at"] == "2026-12-01T15:00:00+00:00"
    assert (started["data"]["policy_id"], started["data"]["policy_version"]) == ("pothole", 1)


@pytest.mark.parametrize("service_code, priority, policy, resolve_due", [
    ("needle_pickup", "normal", "needle_pickup", TUESDAY_10AM + timedelta(hours=4)),
    ("pothole", "urgent", "pothole-urgent", datetime(2026, 11, 25, 15, tzinfo=timezone.utc)),
    ("unheard_of", "normal", "default", TUESDAY_10AM + timedelta(hours=120)),
])
def test_the_most_specific_policy_wins(uow, service_code, priority, policy, resolve_due):
    open_and_assign(uow, service_code=service_code, priority=priority)

    row = clock(uow)
    assert (row.policy_id, utc(row.resolve_due_at)) == (policy, resolve_due)


def test_acknowledging_in_time_meets_the_target_and_stops_the_reminders(uow):
    open_and_assign(uow)

    status(uow, "acknowledged", at=TUESDAY_10AM + timedelta(hours=2))

    row = clock(uow)
    assert row.ack_state == "met" and row.ack_business_seconds == 7200
    assert [e["data"]["target"] for e in published(uow, "sla_met")] == ["acknowledge"]
    kinds = set(uow.session.execute(select(timers.c.kind)).scalars())
    assert kinds == {"resolve_breach"}


def test_the_assignee_is_reminded_until_someone_acts(uow):
    open_and_assign(uow)

    fire(uow, TUESDAY_10AM + timedelta(hours=4))
    fire(uow, TUESDAY_10AM + timedelta(hours=8))
    status(uow, "in_progress", at=TUESDAY_10AM + timedelta(hours=9))
    fire(uow, TUESDAY_10AM + timedelta(hours=12))

    reminders = published(uow, "sla_reminder_due")
    assert [r["data"]["reminder_number"] for r in reminders] == [1, 2]
    assert {r["data"]["assignee_id"] for r in reminders} == {"crew-2"}


def test_a_public_comment_or_a_reassignment_starts_the_reminders_over(uow):
    open_and_assign(uow)
    feed(uow, "request_commented", {"request_id": "1", "comment_id": "9", "visibility": "public",
                                    "text": "Crew booked", "commented_at": TUESDAY_10AM + timedelta(hours=3)})

    fire(uow, TUESDAY_10AM + timedelta(hours=4))  # the first reminder moved to 3 h + 4 h

    assert published(uow, "sla_reminder_due") == []
    fire(uow, TUESDAY_10AM + timedelta(hours=7))
    assert len(published(uow, "sla_reminder_due")) == 1


def test_a_missed_target_is_breached_then_escalated_up_the_chain(uow):
    feed(uow, "directory_changed", {"version": 1, "jurisdictions": [], "departments": [
        {"code": "stp-streets", "jurisdiction": "st-petersburg", "name": "Streets",
         "supervisor": "stp-1", "head": "stp-4"}]}, "directory")
    open_and_assign(uow)
    ack_due = datetime(2026, 11, 25, 15, tzinfo=timezone.utc)

    fire(uow, ack_due)                           # breach, and the first escalation at once
    fire(uow, ack_due + timedelta(hours=24))     # the next step, escalate_every later
    fire(uow, ack_due + timedelta(hours=48))     # the chain has two steps: nothing more

    [breach] = published(uow, "sla_breached")
    assert breach["data"]["target"] == "acknowledge"
    assert [(e["data"]["level"], e["data"]["responsible_role"], e["data"]["responsible_id"])
            for e in published(uow, "sla_escalated")] == [(1, "supervisor", "stp-1"),
                                                          (2, "head", "stp-4")]
    assert clock(uow).ack_state == "breached"


def test_closing_late_breaches_the_resolve_target_once(uow):
    open_and_assign(uow)
    resolve_due = datetime(2026, 12, 1, 15, tzinfo=timezone.utc)
    fire(uow, resolve_due)

    status(uow, "closed", at=resolve_due + timedelta(days=1), resolution="fixed")

    assert [e["data"]["target"] for e in published(uow, "sla_breached")] == [
        "acknowledge", "resolve"]
    assert uow.session.execute(select(func.count()).select_from(timers)).scalar_one() == 0


def test_reopening_restarts_the_resolve_target(uow):
    open_and_assign(uow)
    status(uow, "closed", at=TUESDAY_10AM + timedelta(hours=1), resolution="fixed")
    reopened_at = datetime(2026, 12, 7, 15, tzinfo=timezone.utc)  # Monday 10:00

    status(uow, "open", previous="closed", at=reopened_at)

    row = clock(uow)
    assert (row.reopened_count, row.closed_at, row.resolve_state) == (1, None, "running")
    assert utc(row.resolve_due_at) == datetime(2026, 12, 10, 15, tzinfo=timezone.utc)
    assert published(uow, "sla_started")[-1]["data"]["reason"] == "reopened"


def test_a_pause_moves_the_due_date_by_the_business_time_paused(uow, monkeypatch):
    open_and_assign(uow)
    before = utc(clock(uow).resolve_due_at)
    now = [datetime(2026, 11, 24, 17, tzinfo=timezone.utc)]  # Tue 12:00
    monkeypatch.setattr(handlers, "utcnow", lambda: now[0])

    run(uow, handlers.pause_clock, PauseClock("1", "waiting on the resident", "alice"))
    now[0] = datetime(2026, 11, 24, 20, tzinfo=timezone.utc)  # Tue 15:00
    run(uow, handlers.pause_clock, PauseClock("1", "photos came", "alice", resume=True))

    assert utc(clock(uow).resolve_due_at) == before + timedelta(hours=3)


def test_a_closed_request_cannot_be_paused(uow):
    open_and_assign(uow)
    status(uow, "closed", at=TUESDAY_10AM + timedelta(hours=1), resolution="fixed")

    with pytest.raises(Conflict, match="closed request cannot be paused"):
        run(uow, handlers.pause_clock, PauseClock("1", "why", "alice"))


def test_a_corrected_category_re_evaluates_the_policy(uow):
    open_and_assign(uow, service_code="graffiti")
    feed(uow, "request_reassigned", {
        "request_id": "1", "service_code": "needle_pickup", "previous_service_code": "graffiti",
        "jurisdiction_id": "st-petersburg", "jurisdiction_name": "City",
        "department_code": "pc-health", "department_name": "Human Services",
        "agency_responsible": "County — Human Services", "assignee_id": None,
        "assignee_name": None, "rule_id": None, "previous_jurisdiction_id": "st-petersburg",
        "previous_department_code": "stp-streets", "previous_assignee_id": "crew-2",
        "reason": "it is needles", "reassigned_by": "alice",
        "reassigned_at": TUESDAY_10AM + timedelta(hours=1)})

    row = clock(uow)
    assert (row.policy_id, row.department_code) == ("needle_pickup", "pc-health")
    assert utc(row.resolve_due_at) == TUESDAY_10AM + timedelta(hours=4)  # from the start
    assert any("policy re-evaluated" in note["note"] for note in row.notes)
    assert published(uow, "sla_started")[-1]["data"]["reason"] == "recategorized"


def test_an_assignment_before_its_request_is_retried_not_dropped(uow):
    with pytest.raises(Exception, match="no clock for request"):
        feed(uow, "request_assigned", {
            "request_id": "7", "service_code": "pothole", "jurisdiction_id": "j",
            "jurisdiction_name": "J", "department_code": "d", "department_name": "D",
            "agency_responsible": "J — D", "assigned_at": TUESDAY_10AM}, "7")
    assert published(uow) == []


def bad(mutate):
    document = demo_document("policies")
    mutate(document)
    return document


BAD_DOCUMENTS = {
    "wrong format": (bad(lambda d: d.update(format="loop311.policies/1")), "format"),
    "two policies for one case": (bad(lambda d: d["policies"].append(
        {**d["policies"][0], "id": "again"})), "two policies give pothole"),
    "no working hours": (bad(lambda d: d["calendars"][0].update(working_hours={})),
                         "no working hours"),
    "unknown time zone": (bad(lambda d: d["calendars"][0].update(timezone="Florida/Keys")),
                          "Florida/Keys"),
    "unknown calendar": (bad(lambda d: d["calendar_of"].update({"st-petersburg": "moon"})),
                         "unknown calendar moon"),
    "zero target": (bad(lambda d: d["policies"][0]["resolve"].update(within=0)), "resolve"),
    "unknown unit": (bad(lambda d: d["policies"][0]["resolve"].update(unit="fortnights")), "unit"),
}


@pytest.mark.parametrize("document, complaint", BAD_DOCUMENTS.values(), ids=BAD_DOCUMENTS.keys())
def test_bad_policies_are_refused_and_change_nothing(uow, document, complaint):
    with pytest.raises(Invalid, match=complaint):
        import_policies(uow, copy.deepcopy(document))

    assert uow.sla.current_import()["version"] == 1


def test_the_expected_close_follows_the_backlog_and_the_recent_closing_rate(uow, monkeypatch):
    monkeypatch.setattr(handlers, "utcnow", lambda: TUESDAY_10AM)
    for n in range(3):  # closed in the last fortnight
        open_and_assign(uow, request_id=f"c{n}", at=TUESDAY_10AM - timedelta(days=5))
        status(uow, "closed", request_id=f"c{n}", at=TUESDAY_10AM - timedelta(days=2),
               resolution="fixed")
    open_and_assign(uow, request_id="waiting", at=TUESDAY_10AM - timedelta(days=1))

    open_and_assign(uow, request_id="new")

    started = [e for e in published(uow, "sla_started") if e["subject"] == "new"][0]["data"]
    # 3 closed in 14 days: one every 14/3 days; 2 open (the new one included) ahead of it.
    expected = TUESDAY_10AM + timedelta(days=14) / 3 * 2
    assert started["expected_close_at"] == expected.isoformat()
    assert started["due_at"] == "2026-12-01T15:00:00+00:00"  # the promise stays the policy's


def test_without_a_recent_closing_rate_there_is_no_estimate():
    assert expected_close(TUESDAY_10AM, backlog=5, closed_recently=0) is None


def test_a_storm_suspends_a_whole_jurisdiction_and_lifting_it_moves_every_due_date(uow, monkeypatch):
    now = [datetime(2026, 11, 24, 17, tzinfo=timezone.utc)]
    monkeypatch.setattr(handlers, "utcnow", lambda: now[0])
    for n in range(3):
        open_and_assign(uow, request_id=str(n))
    status(uow, "closed", request_id="2", at=TUESDAY_10AM + timedelta(hours=1), resolution="fixed")
    before = {n: utc(clock(uow, str(n)).resolve_due_at) for n in range(2)}

    suspended = run(uow, handlers.suspend_jurisdiction,
                    SuspendJurisdiction("st-petersburg", "Hurricane warning", "ops"))
    now[0] = datetime(2026, 11, 30, 14, tzinfo=timezone.utc)  # Monday 09:00, offices open
    lifted = run(uow, handlers.suspend_jurisdiction,
                 SuspendJurisdiction("st-petersburg", "All clear", "ops", lift=True))

    assert (suspended["clocks"], lifted["clocks"]) == (2, 2)
    # Paused Tue 12:00 → Mon 09:00: Tue 12:00-17:00 and Wed 08:00-17:00 are working time
    # (Thanksgiving, the Friday after and the weekend are not), Mon 08:00-09:00: 15 working
    # hours, added to the due date in working time: Tue 1 Dec 10:00 + 7 h (to 17:00) + 8 h
    # on Wednesday = Wed 2 Dec 16:00 in Florida.
    assert before[0] == before[1] == datetime(2026, 12, 1, 15, tzinfo=timezone.utc)
    for n in range(2):
        assert utc(clock(uow, str(n)).resolve_due_at) == datetime(2026, 12, 2, 21,
                                                                  tzinfo=timezone.utc)
