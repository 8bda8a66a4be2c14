"""Residents hear every step of their request, in their language, each message once, and
an unsubscribe link stops it; on SQLite, with a real SMTP server for what is sent."""
import shutil
from datetime import datetime, timezone
from email import message_from_bytes

import pytest
from sqlalchemy import select, update

import loop311_notify
from loop311_notify import handlers
from loop311_notify.adapters.smtp import compose, send_pending, unsubscribe_token
from loop311_notify.domain.messages import TEMPLATES, Messages, TemplateProblem, segments
from loop311_notify.models import deliveries, recipients
from loop311_notify.settings import NotifySettings
from loop311_notify.unit_of_work import NotifyUnitOfWork
from loop311_shared.unit_of_work import apply_once, run
from support import received_event

AT = datetime(2026, 11, 24, 15, tzinfo=timezone.utc)
SETTINGS = NotifySettings.from_config({"UNSUBSCRIBE_SECRET": "s3cret",
                                       "NOTIFY_PUBLIC_URL": "https://notify.example"})


@pytest.fixture
def uow(migrated_session):
    with migrated_session(loop311_notify) as session:
        unit = NotifyUnitOfWork(session, "notify")
        feed(unit, "request_created", {
            "request_id": "31", "service_code": "pothole", "service_name": "Pothole Repair",
            "description": "deep", "lat": 1.0, "long": 2.0, "address": None, "channel": "web",
            "priority": "normal", "contact_ref": "c-1", "requested_at": AT})
        for ref, address, name in (("c-1", "ada@example.org", "Ada"),
                                   ("c-2", "Bea@Example.org", "Bea")):  # c-2 reported it again
            feed(unit, "resident_contact_recorded", {
                "contact_ref": ref, "request_id": "31", "email": address, "phone": None,
                "first_name": name, "last_name": None})
        yield unit


def feed(uow, event_type, data):
    event = received_event(event_type, data, subject=data.get("request_id", "x"))
    return apply_once(uow, event, getattr(handlers, f"handle_{event_type}")), event


def status(uow, new, previous="open", resolution=None, note=None):
    return feed(uow, "request_status_changed", {
        "request_id": "31", "service_code": "pothole", "previous_status": previous,
        "status": new, "resolution": resolution, "public_note": note, "changed_at": AT})


def ledger(uow):
    return uow.session.execute(select(deliveries.c.kind, deliveries.c.recipient,
                                      deliveries.c.subject, deliveries.c.body)
                               .order_by(deliveries.c.id)).all()


def test_every_step_reaches_the_reporter_and_the_follower(uow):
    status(uow, "acknowledged")
    feed(uow, "request_commented", {"request_id": "31", "comment_id": "1", "visibility": "public",
                                    "text": "Crew booked for Tuesday", "commented_at": AT})
    feed(uow, "request_commented", {"request_id": "31", "comment_id": "2",
                                    "visibility": "internal", "text": None, "commented_at": AT})
    status(uow, "closed", previous="acknowledged", resolution="fixed", note="Patched the hole")
    status(uow, "open", previous="closed")

    by_kind = {}
    for kind, to, _, _ in ledger(uow):
        by_kind.setdefault(kind, []).append(to)
    assert by_kind["received"] == ["ada@example.org"]
    assert by_kind["already_reported"] == ["Bea@Example.org"]
    for kind in ("acknowledged", "commented", "closed", "reopened"):
        assert sorted(by_kind[kind]) == ["Bea@Example.org", "ada@example.org"], kind
    closed = [row for row in ledger(uow) if row.kind == "closed"][0]
    assert "closed (fixed)" in closed.subject and "Patched the hole" in closed.body
    comment = [row for row in ledger(uow) if row.kind == "commented"][0]
    assert "Crew booked for Tuesday" in comment.body


def test_a_redelivered_update_is_queued_once(uow):
    _, event = status(uow, "acknowledged")
    apply_once(uow, event, handlers.handle_request_status_changed)
    handlers.handle_request_status_changed(uow, event)  # even past the inbox: the key holds
    uow.commit()

    assert [row.kind for row in ledger(uow)].count("acknowledged") == 2  # two residents


def test_a_resident_who_reads_spanish_gets_spanish(uow):
    uow.session.execute(update(recipients).where(recipients.c.contact_ref == "c-2")
                        .values(language="es"))
    status(uow, "in_progress")

    subjects = {to: subject for kind, to, subject, _ in ledger(uow) if kind == "in_progress"}
    assert subjects["Bea@Example.org"].startswith("Comenzó el trabajo en la solicitud n.º 31")
    assert subjects["ada@example.org"].startswith("Work has started on request #31")


def test_an_unsubscribed_address_gets_nothing_more(uow):
    run(uow, handlers.unsubscribe, "bea@example.org")
    status(uow, "acknowledged")

    assert [to for kind, to, *_ in ledger(uow) if kind == "acknowledged"] == ["ada@example.org"]


def test_an_email_has_its_date_a_stable_id_an_html_part_and_a_way_out(uow):
    row = uow.session.execute(select(deliveries).order_by(deliveries.c.id)).first()

    first, again = compose(SETTINGS, row), compose(SETTINGS, row)

    assert first["Message-ID"] == again["Message-ID"] and first["Date"]
    token = unsubscribe_token("s3cret", "ada@example.org")
    assert first["List-Unsubscribe"] == (
        f"<https://notify.example/notify/v1/unsubscribe?email=ada%40example.org&token={token}>")
    assert first["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    parsed = message_from_bytes(first.as_bytes())
    assert [part.get_content_type() for part in parsed.walk()] == [
        "multipart/alternative", "text/plain", "text/html"]
    assert "No more emails from Loop311" in parsed.get_payload()[0].get_payload(decode=True).decode()


def test_the_html_part_escapes_what_people_wrote(uow):
    feed(uow, "request_commented", {"request_id": "31", "comment_id": "1", "visibility": "public",
                                    "text": "<script>alert(1)</script>", "commented_at": AT})
    html = uow.session.execute(select(deliveries.c.html).where(deliveries.c.kind == "commented")
                               ).scalars().first()
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_sent_mail_goes_out_one_message_per_transaction(uow, smtp_sink):
    status(uow, "acknowledged")
    settings = NotifySettings.from_config({"SMTP_PORT": smtp_sink.port})

    assert send_pending(uow.session, settings) == 4
    assert len(smtp_sink.messages()) == 4
    assert send_pending(uow.session, settings) == 0


def test_a_template_that_does_not_render_stops_notify_at_load(tmp_path):
    shutil.copytree(TEMPLATES, tmp_path, dirs_exist_ok=True)
    (tmp_path / "closed.email.es.j2").write_text("{% block subject %}{{ nope }}{% endblock %}"
                                                 "{% block text %}{% endblock %}"
                                                 "{% block html %}{% endblock %}")

    with pytest.raises(TemplateProblem, match="closed.email.es.j2"):
        Messages(tmp_path)


def test_staff_hear_of_new_work_reminders_and_escalations(uow):
    feed(uow, "staff_directory_recorded", {"version": 1, "staff": [
        {"id": "stp-2", "name": "Crew lead", "department": "stp-streets",
         "email": "crew@stpete.example", "phone": None},
        {"id": "stp-1", "name": "Supervisor", "department": "stp-streets",
         "email": "boss@stpete.example", "phone": None},
        {"id": "stp-9", "name": "No address", "department": "stp-streets", "email": None,
         "phone": None}]})
    _, assigned = feed(uow, "request_assigned", {
        "request_id": "31", "service_code": "pothole", "jurisdiction_id": "st-petersburg",
        "jurisdiction_name": "City of St. Petersburg", "department_code": "stp-streets",
        "department_name": "Streets", "agency_responsible": "City — Streets",
        "assignee_id": "stp-2", "assignee_name": "Crew lead", "rule_id": "stp-streets",
        "assigned_at": AT})
    feed(uow, "sla_reminder_due", {"request_id": "31", "target": "acknowledge", "due_at": AT,
                                   "department_code": "stp-streets", "assignee_id": "stp-2",
                                   "reminder_number": 1})
    feed(uow, "sla_escalated", {"request_id": "31", "target": "acknowledge", "level": 1,
                                "responsible_role": "supervisor", "responsible_id": "stp-1",
                                "department_code": "stp-streets"})
    feed(uow, "sla_escalated", {"request_id": "31", "target": "acknowledge", "level": 2,
                                "responsible_role": "head", "responsible_id": "stp-9",
                                "department_code": "stp-streets"})
    handlers.handle_request_assigned(uow, assigned)  # redelivered past the inbox: keyed once
    uow.commit()

    staff_mail = [(kind, to, subject) for kind, to, subject, _ in ledger(uow)
                  if kind.startswith("staff_")]
    assert staff_mail == [
        ("staff_assigned", "crew@stpete.example", "New work: request #31 (pothole)"),
        ("staff_reminder", "crew@stpete.example",
         "Reminder 1: request #31 waits for you (acknowledge by 2026-11-24 15:00 UTC)"),
        ("staff_escalated", "boss@stpete.example",
         "Escalated to you: request #31 missed its acknowledge target")]


def test_a_reporter_who_asked_for_spanish_is_confirmed_in_spanish(migrated_session):
    with migrated_session(loop311_notify) as session:
        unit = NotifyUnitOfWork(session, "notify")
        feed(unit, "resident_contact_recorded", {
            "contact_ref": "c-9", "request_id": "77", "email": "eva@example.org", "phone": None,
            "first_name": "Eva", "last_name": None, "language": "es"})
        feed(unit, "request_created", {
            "request_id": "77", "service_code": "pothole", "service_name": "Bache",
            "description": "hondo", "lat": 1.0, "long": 2.0, "address": None, "channel": "web",
            "priority": "normal", "contact_ref": "c-9", "requested_at": AT})

        [(kind, to, subject, body)] = ledger(unit)
        assert subject == "Recibimos su solicitud n.º 77: Bache"
        assert body.startswith("Hola, Eva:")


def test_sms_are_counted_in_gsm_7_or_ucs_2_segments():
    assert [segments("a" * 160), segments("a" * 161), segments("a" * 306), segments("a" * 307)] \
        == [1, 2, 2, 3]
    # € is in the GSM extension table: two septets each.
    assert [segments("ó" * 70), segments("ó" * 71), segments("€" * 80), segments("€" * 81)] \
        == [1, 2, 1, 2]


def test_a_text_template_that_can_run_past_three_segments_is_refused_at_load(tmp_path):
    shutil.copytree(TEMPLATES, tmp_path, dirs_exist_ok=True)
    (tmp_path / "commented.sms.en.j2").write_text("{% block text %}{{ text }}{% endblock %}")

    with pytest.raises(TemplateProblem, match="commented.sms.en.j2 can reach .* segments"):
        Messages(tmp_path)
