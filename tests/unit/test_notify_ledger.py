"""notify's confirmation ledger and mailer, on SQLite and a real SMTP server."""
from datetime import datetime, timezone
from email import message_from_bytes
from email.header import decode_header, make_header
from email.utils import parseaddr
from types import SimpleNamespace

import pytest
from sqlalchemy import select, update

import loop311_notify
from loop311_notify.adapters.smtp import compose, send_pending
from loop311_notify.handlers import (
    handle_request_created,
    handle_resident_contact_recorded,
    queue_confirmations,
)
from loop311_notify.models import deliveries
from loop311_notify.sending import MAX_ATTEMPTS, send_due
from loop311_notify.settings import NotifySettings
from loop311_notify.unit_of_work import NotifyUnitOfWork
from support import free_port, received_event

REQUEST = received_event("request_created", {
    "request_id": "31", "service_code": "pothole", "service_name": "Pothole Repair",
    "description": "deep", "lat": 1.0, "long": 2.0, "address": None, "channel": "web",
        "priority": "normal",
    "contact_ref": "c-1", "requested_at": datetime.now(timezone.utc)})
CONTACT = received_event("resident_contact_recorded", {
    "contact_ref": "c-1", "request_id": "31", "email": "ada@example.org", "phone": None,
    "first_name": "Ada", "last_name": None})


@pytest.fixture
def session(migrated_session):
    with migrated_session(loop311_notify) as session:
        yield session


def remember_request(session, event):
    handle_request_created(NotifyUnitOfWork(session, "notify"), event)


def remember_recipient(session, event):
    handle_resident_contact_recorded(NotifyUnitOfWork(session, "notify"), event)


def smtp_on(port):
    return NotifySettings.from_config({"SMTP_HOST": "127.0.0.1", "SMTP_PORT": port})


def ledger(session):
    return session.execute(select(deliveries)).all()


@pytest.mark.parametrize("arrivals", [(REQUEST, CONTACT), (CONTACT, REQUEST)])
def test_one_confirmation_is_queued_whichever_event_comes_first(session, arrivals):
    for arrived in arrivals:
        (remember_request if arrived.type == "request_created" else remember_recipient)(
            session, arrived)
        session.commit()
    queue_confirmations(NotifyUnitOfWork(session), "31")

    [row] = ledger(session)
    assert (row.recipient, row.status, row.channel) == ("ada@example.org", "pending", "email")
    assert "#31" in row.subject and "Hello Ada," in row.body


def test_no_address_no_confirmation(session):
    remember_request(session, REQUEST)
    remember_recipient(session, received_event("resident_contact_recorded", {
        **CONTACT.data, "email": None, "phone": "+16175550100"}))

    assert ledger(session) == []


def test_sent_mail_is_marked_sent(session, smtp_sink):
    remember_request(session, REQUEST)
    remember_recipient(session, CONTACT)
    session.commit()

    assert send_pending(session, smtp_on(smtp_sink.port)) == 1

    [row] = ledger(session)
    assert row.status == "sent" and row.attempts == 1 and row.sent_at is not None
    [mail] = smtp_sink.for_request("31")
    assert mail["To"] == "ada@example.org"


def test_an_unreachable_server_is_retried_later_then_given_up(session):
    remember_request(session, REQUEST)
    remember_recipient(session, CONTACT)
    session.commit()
    nobody_listens = smtp_on(free_port())

    send_pending(session, nobody_listens)
    [row] = ledger(session)
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.last_error and row.next_attempt_at > row.created_at
    assert send_pending(session, nobody_listens) == 0  # not due again yet

    for _ in range(MAX_ATTEMPTS - 1):
        session.execute(update(deliveries).values(next_attempt_at=row.created_at))
        session.commit()
        send_pending(session, nobody_listens)
    [row] = ledger(session)
    assert (row.status, row.attempts) == ("failed", MAX_ATTEMPTS)


def test_a_resident_whose_report_joined_the_request_is_confirmed_too(session):
    remember_request(session, REQUEST)
    remember_recipient(session, CONTACT)
    remember_recipient(session, received_event("resident_contact_recorded", {
        **CONTACT.data, "contact_ref": "c-2", "email": "bo@example.org", "first_name": "Bo"}))

    rows = {row.recipient: row for row in ledger(session)}
    assert set(rows) == {"ada@example.org", "bo@example.org"}
    assert "Your service request number is 31" in rows["ada@example.org"].body
    assert "your report joins service request 31" in rows["bo@example.org"].body


def test_an_email_in_any_language_reads_back_as_written():
    settings = NotifySettings.from_config({
        "MAIL_FROM": "Ville de Québec <no-reply@loop311.local>", "UNSUBSCRIBE_SECRET": "s3cret",
        "NOTIFY_PUBLIC_URL": "https://notify.example/" + "long-path/" * 12})
    row = SimpleNamespace(recipient="bea@example.org", request_id="31", dedupe_key="k",
                          subject="Comenzó el trabajo en la solicitud n.º 31",
                          body="Hola Bea — gracias.", html="<p>Hola Bea — gracias.</p>",
                          unsubscribe_url=None)

    raw = compose(settings, row).as_bytes()
    parsed = message_from_bytes(raw)

    assert str(make_header(decode_header(parsed["Subject"]))) == row.subject
    assert parseaddr(parsed["From"])[1] == "no-reply@loop311.local"  # only the name is encoded
    assert str(make_header(decode_header(parsed["From"]))).startswith("Ville de Québec")
    plain, html = parsed.get_payload()
    assert plain.get_payload(decode=True).decode().startswith("Hola Bea — gracias.")
    assert "Hola Bea — gracias." in html.get_payload(decode=True).decode()
    unsubscribe = [line for line in raw.splitlines() if line.startswith(b"List-Unsubscribe:")]
    assert len(unsubscribe[0]) > 78 and unsubscribe[0].endswith(b">")  # one line, not folded


@pytest.mark.parametrize("value", [
    "Your service request 31 was received", "  two  spaces\tand a tab ", "",
    "<https://notify.example/" + "long-path/" * 12 + ">", "x" * 990,  # longer than 998: folded
    "a line\r\n injected", "Comenzó el trabajo"])
def test_headers_are_written_as_compat32_writes_them(value):
    import email.policy

    from loop311_notify.adapters.smtp import POLICY
    compat32 = email.policy.compat32.clone(max_line_length=998)
    for linesep in ("\n", "\r\n"):
        assert (POLICY.clone(linesep=linesep).fold_binary("List-Unsubscribe", value)
                == compat32.clone(linesep=linesep).fold_binary("List-Unsubscribe", value))


def test_a_body_quoting_the_boundary_reads_back_as_written():
    settings = NotifySettings.from_config({})
    row = SimpleNamespace(recipient="bea@example.org", request_id="31", dedupe_key="k",
                          subject="31", body="", html=None, unsubscribe_url=None)
    message = compose(settings, SimpleNamespace(**{**vars(row), "html": "<p>x</p>"}))
    boundary = message.get_boundary()
    row.body, row.html = f"--{boundary}\n--{boundary}--\n", f"<pre>--{boundary}--</pre>"
    message = compose(settings, row)
    message.set_boundary(boundary)  # the worst case: the body quotes the very boundary

    plain, html = message_from_bytes(message.as_bytes()).get_payload()
    assert plain.get_payload(decode=True).decode() == row.body
    assert html.get_payload(decode=True).decode() == row.html


def test_an_address_the_server_cannot_take_fails_at_once_instead_of_retrying(session, smtp_sink):
    remember_request(session, REQUEST)
    remember_recipient(session, received_event("resident_contact_recorded", {
        **CONTACT.data, "email": "ana.garcía@example.org"}))
    session.commit()

    send_pending(session, smtp_on(smtp_sink.port))  # the sink does not offer SMTPUTF8

    [row] = ledger(session)
    assert (row.status, row.attempts) == ("failed", 0)
    assert "SMTPUTF8" in row.last_error
    assert smtp_sink.messages() == []


def test_a_message_that_breaks_the_sender_is_retried_later_and_holds_up_no_other(session):
    for contact_ref, address in (("c-1", "ada@example.org"), ("c-2", "bea@example.org")):
        request = received_event("request_created", {**REQUEST.data, "request_id": contact_ref,
                                                     "contact_ref": contact_ref})
        remember_request(session, request)
        remember_recipient(session, received_event("resident_contact_recorded", {
            **CONTACT.data, "contact_ref": contact_ref, "request_id": contact_ref,
            "email": address}))
    session.commit()
    sent = []

    def deliver(row):
        if row.recipient == "ada@example.org":
            raise TypeError("a bug met this message")
        sent.append(row.recipient)

    assert send_due(session, "email", deliver, (OSError,)) == 2

    rows = {row.recipient: row for row in ledger(session)}
    assert sent == ["bea@example.org"] and rows["bea@example.org"].status == "sent"
    broken = rows["ada@example.org"]
    assert (broken.status, broken.attempts) == ("pending", 1)
    assert "a bug met this message" in broken.last_error
    assert broken.next_attempt_at > broken.created_at
