"""Quiet hours, the closing message's satisfaction question, "not fixed" reaching the
assignee, staff on SMS and hourly digests: handlers on SQLite, the clock real."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, update

import loop311_notify
from loop311_notify import handlers
from loop311_notify.domain.preferences import QuietHours
from loop311_notify.models import deliveries, digest_items, recipients
from loop311_notify.unit_of_work import NotifyPolicy, NotifyUnitOfWork
from loop311_shared.clock import as_utc
from loop311_shared.unit_of_work import apply_once, run
from support import received_event

AT = datetime(2026, 11, 24, 15, tzinfo=timezone.utc)
STAFF = [
    {"id": "stp-2", "name": "Crew lead", "department": "stp-streets", "email": "crew@stpete.example",
     "phone": "+17275550142", "notify_by": "sms", "reminders": "each"},
    {"id": "stp-3", "name": "Planner", "department": "stp-streets", "email": "plan@stpete.example",
     "phone": None, "notify_by": "email", "reminders": "hourly"},
]


def unit(session, **policy):
    return NotifyUnitOfWork(session, "notify", sms=True,
                            policy=NotifyPolicy(intake_public_url="https://311.example", **policy))


def feed(uow, event_type, data):
    event = received_event(event_type, data, subject=data.get("request_id", "x"))
    apply_once(uow, event, getattr(handlers, f"handle_{event_type}"))
    return event


def request(uow, priority="normal", request_id="31"):
    feed(uow, "request_created", {
        "request_id": request_id, "service_code": "pothole", "service_name": "Pothole Repair",
        "description": "deep", "lat": 1.0, "long": 2.0, "address": None, "channel": "web",
        "priority": priority, "contact_ref": f"c-{request_id}", "requested_at": AT})
    feed(uow, "resident_contact_recorded", {
        "contact_ref": f"c-{request_id}", "request_id": request_id, "email": "ada@example.org",
        "phone": None,
        "first_name": "Ada", "last_name": None, "language": None, "request_token": f"tok-{request_id}"})


def status(uow, new, previous="open", resolution=None, note=None, request_id="31"):
    feed(uow, "request_status_changed", {
        "request_id": request_id, "service_code": "pothole", "previous_status": previous,
        "status": new, "resolution": resolution, "public_note": note, "changed_at": AT})


def queued(uow, kind):
    return uow.session.execute(select(deliveries).where(deliveries.c.kind == kind)
                               .order_by(deliveries.c.id)).all()


def quiet_now() -> str:
    """A quiet window, in UTC, around this very minute."""
    now = datetime.now(timezone.utc)
    return f"{(now - timedelta(hours=1)):%H:%M}-{(now + timedelta(hours=2)):%H:%M}"


def test_quiet_hours_span_midnight_in_the_residents_zone():
    quiet = QuietHours.parse("21:00-08:00", "America/New_York")
    evening = datetime(2026, 11, 27, 3, 30, tzinfo=timezone.utc)    # 22:30 in New York
    assert quiet.release_at(evening) == datetime(2026, 11, 27, 13, tzinfo=timezone.utc)
    early = datetime(2026, 11, 27, 11, 0, tzinfo=timezone.utc)      # 06:00 in New York
    assert quiet.release_at(early) == datetime(2026, 11, 27, 13, tzinfo=timezone.utc)
    noon = datetime(2026, 11, 27, 17, 0, tzinfo=timezone.utc)
    assert quiet.release_at(noon) == noon
    assert QuietHours.parse("", "UTC") is None


def test_quiet_hours_hold_updates_but_not_confirmations_or_urgent_requests(migrated_session):
    with migrated_session(loop311_notify) as session:
        uow = unit(session, quiet_hours=quiet_now())
        request(uow)
        status(uow, "acknowledged")
        now = datetime.now(timezone.utc)
        [received] = queued(uow, "received")
        [acknowledged] = queued(uow, "acknowledged")
        assert as_utc(received.next_attempt_at) <= now        # answers what they just did
        assert as_utc(acknowledged.next_attempt_at) > now + timedelta(minutes=100)

    with migrated_session(loop311_notify) as session:
        uow = unit(session, quiet_hours=quiet_now())
        request(uow, priority="urgent", request_id="32")
        status(uow, "acknowledged", request_id="32")
        [acknowledged] = [row for row in queued(uow, "acknowledged") if row.request_id == "32"]
        assert as_utc(acknowledged.next_attempt_at) <= datetime.now(timezone.utc)


def test_a_resident_who_turned_quiet_hours_off_is_not_held(migrated_session):
    with migrated_session(loop311_notify) as session:
        uow = unit(session, quiet_hours=quiet_now())
        request(uow)
        run(uow, handlers.set_preferences, handlers.SetPreferences(
            "31", "tok-31", "ada@example.org", {"quiet_start": "", "quiet_end": ""}))
        status(uow, "in_progress")
        [update_row] = queued(uow, "in_progress")
        assert as_utc(update_row.next_attempt_at) <= datetime.now(timezone.utc)


def test_the_closing_email_quotes_the_note_and_asks_how_we_did(migrated_session):
    with migrated_session(loop311_notify) as session:
        uow = unit(session)
        request(uow)
        status(uow, "closed", resolution="fixed", note="Patched with hot asphalt")
        [closed] = queued(uow, "closed")
        link = "https://311.example/requests/v1/31/rating?token=tok-31&contact=c-31"
        assert "Patched with hot asphalt" in closed.body
        assert f"{link}&score=5" in closed.body and f"{link}&not_fixed=true" in closed.body
        assert f'href="{link.replace("&", "&amp;")}&amp;score=1"' in closed.html


def test_not_fixed_tells_the_assignee_by_text_and_a_failed_text_goes_by_email(migrated_session):
    with migrated_session(loop311_notify) as session:
        uow = unit(session)
        request(uow)
        feed(uow, "staff_directory_recorded", {"version": 1, "staff": STAFF})
        feed(uow, "request_assigned", {
            "request_id": "31", "service_code": "pothole", "jurisdiction_id": "st-petersburg",
            "jurisdiction_name": "City of St. Petersburg", "department_code": "stp-streets",
            "department_name": "Streets", "agency_responsible": "City — Streets",
            "assignee_id": "stp-2", "assignee_name": "Crew lead", "rule_id": "r1",
            "assigned_at": AT})
        feed(uow, "resident_rated", {
            "rating_id": "31:c-31:x", "request_id": "31", "service_code": "pothole", "score": 1,
            "not_fixed": True, "channel": "email", "rated_at": AT})
        feed(uow, "resident_rated", {  # a happy answer tells nobody
            "rating_id": "31:c-31:y", "request_id": "31", "service_code": "pothole", "score": 5,
            "not_fixed": False, "channel": "sms", "rated_at": AT})

        [told] = queued(uow, "staff_not_fixed")
        assert (told.channel, told.recipient) == ("sms", "+17275550142")  # notify_by: sms
        assert "#31" in told.body and "NOT FIXED" in told.body

        session.execute(update(deliveries).where(deliveries.c.id == told.id)
                        .values(status="sent", provider_id="SM1"))
        run(uow, handlers.record_sms_status, handlers.SmsStatus("SM1", "undelivered"))
        by_email = [row for row in queued(uow, "staff_not_fixed") if row.channel == "email"]
        assert [row.recipient for row in by_email] == ["crew@stpete.example"]


def test_staff_who_chose_a_digest_get_one_message_per_hour(migrated_session):
    with migrated_session(loop311_notify) as session:
        uow = unit(session)
        feed(uow, "staff_directory_recorded", {"version": 1, "staff": STAFF})
        for number, request_id in ((1, "31"), (1, "32"), (2, "31")):
            feed(uow, "sla_reminder_due", {
                "request_id": request_id, "target": "resolve", "due_at": AT,
                "department_code": "stp-streets", "assignee_id": "stp-3",
                "reminder_number": number})
        assert queued(uow, "staff_reminder") == []
        hour_over = as_utc(session.execute(select(digest_items.c.due_at)).scalars().first())

        assert run(uow, handlers.send_due_digests, hour_over - timedelta(seconds=1)) == 0
        assert run(uow, handlers.send_due_digests, hour_over) == 1
        assert run(uow, handlers.send_due_digests, hour_over) == 0  # each item once
        [digest] = queued(uow, "staff_digest")
        assert digest.recipient == "plan@stpete.example"
        assert digest.subject == "3 reminders: requests waiting for you"
        assert digest.body.count("- #") == 3


@pytest.mark.parametrize("preferred, email, can_text, channel", [
    (None, "a@x.org", True, "email"), ("sms", "a@x.org", True, "sms"),
    ("sms", "a@x.org", False, "email"), (None, None, True, "sms"), ("email", None, False, None)])
def test_the_channel_follows_the_preference_when_it_can_reach_them(preferred, email, can_text,
                                                                   channel):
    assert handlers.channel_for(preferred, email, can_text) == channel


def test_quiet_hours_can_be_turned_off_for_a_deployment():
    from loop311_notify.settings import NotifySettings

    off = NotifyPolicy.from_settings(NotifySettings.from_config({"QUIET_HOURS": "off"}))
    assert off.quiet(None) is None
    default = NotifyPolicy.from_settings(NotifySettings.from_config({}))
    assert default.quiet(None) == QuietHours.parse("21:00-08:00", "UTC")


def test_a_status_callback_that_beats_the_senders_commit_is_applied_when_it_commits(
        migrated_session):
    """The provider answers, calls back at once, and only then does the sender commit:
    the early 'undelivered' is kept and applied (with the email fallback) on commit."""
    from loop311_notify.adapters.texting import send_pending_texts

    class ProviderThatAnswersSM1:  # the provider port; the race is what is tested here
        def send(self, to, body, idempotency_key):
            run(unit(session), handlers.record_sms_status,
                handlers.SmsStatus("SM1", "undelivered"))  # recorded before the send is
            return "SM1"

    with migrated_session(loop311_notify) as session:
        uow = unit(session)
        request(uow)
        session.execute(update(deliveries).values(status="sent"))  # the confirmation
        session.execute(update(recipients).values(phone="+17275550123"))
        session.commit()
        run(uow, handlers.set_preferences, handlers.SetPreferences(
            "31", "tok-31", "ada@example.org", {"channel": "sms"}))
        status(uow, "acknowledged")
        assert send_pending_texts(session, ProviderThatAnswersSM1()) == 1
        by_channel = {row.channel: row.status for row in queued(uow, "acknowledged")}
        assert by_channel == {"sms": "failed", "email": "pending"}
