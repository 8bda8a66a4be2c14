"""Background loops wake on the commits that give them work (not only on their poll, and
not on every worker), the outbox relay publishes a batch under one wait for confirms, and
the mailer's concurrent senders send every message exactly once. Real broker, database
and SMTP server."""
import email.policy
import json
import subprocess
import sys
from datetime import datetime, timezone
from email import message_from_bytes
from email.message import EmailMessage
from pathlib import Path
from types import SimpleNamespace

import pytest
from kombu import Connection, Exchange, Queue
from sqlalchemy import insert, select

import loop311_notify
from loop311_contracts.envelope import make_envelope
from loop311_notify.adapters.smtp import SmtpConnection, compose
from loop311_notify.models import deliveries, inbox
from loop311_notify.service import NotifyService
from loop311_notify.settings import NotifySettings
from loop311_shared.background import BackgroundDrain
from loop311_shared.db import Database
from loop311_shared.messaging import ConfirmedBatches
from loop311_shared.operations import OperationalEndpoints
from support import Mailbox, accepting, free_port, wait_until

NOTIFY_MIGRATIONS = Path(loop311_notify.__file__).parent / "migrations"
NEVER_BY_POLL = 600  # seconds: a pass within a test's time came from a wake


class PassCounter(BackgroundDrain):
    """A loop whose work is the ledger's deliveries; it only counts its passes."""

    poll_setting = "outbox_poll_seconds"  # a setting every service has
    wakes_on = ("deliveries",)

    def setup(self):
        super().setup()
        self.passes = 0

    def drain_once(self, session) -> int:
        self.passes += 1
        return 0


class CountingService(OperationalEndpoints):
    name = "notify"
    database = Database(NOTIFY_MIGRATIONS)
    counter = PassCounter("database")


def a_delivery(number: int) -> dict:
    now = datetime.now(timezone.utc)
    return {"dedupe_key": f"test:{number}", "request_id": str(number), "channel": "email",
            "recipient": f"resident{number}@example.org", "subject": f"Request #{number}",
            "body": "Thank you for your report.", "status": "pending", "attempts": 0,
            "created_at": now, "next_attempt_at": now, "lane": "direct"}


def dependency(container, attr_name):
    return next(d for d in container.dependencies if d.attr_name == attr_name)


def test_a_loop_wakes_on_a_commit_to_its_table_and_not_on_others(container_factory,
                                                                 service_config):
    container = container_factory(CountingService, service_config(
        "notify", OUTBOX_POLL_SECONDS=NEVER_BY_POLL))
    container.start()
    database, counter = dependency(container, "database"), dependency(container, "counter")

    with database.make_session() as session:
        session.execute(insert(inbox).values(consumer="test", event_id="e-1",
                                             event_type="request_created"))
        session.commit()
    with database.make_session() as session:
        session.execute(insert(deliveries).values(**a_delivery(1)))
        session.rollback()
    with database.make_session() as session:
        session.execute(insert(deliveries).values(**a_delivery(2)))
        session.commit()

    wait_until(lambda: counter.passes >= 1, timeout=10,
               message="the commit to deliveries did not wake the loop")
    # One commit, one pass: the inbox write and the rolled-back delivery woke nothing, and
    # the loop's own session (were it to write) does not wake it again.
    assert counter.passes == 1


def test_the_mailers_senders_send_every_message_once(container_factory, service_config,
                                                     smtp_sink):
    config = service_config("notify", SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_sink.port,
                            MAIL_SENDERS=4, MAIL_POLL_SECONDS=NEVER_BY_POLL)
    container = container_factory(NotifyService, config)
    container.start()
    database = dependency(container, "database")

    with database.make_session() as session:
        session.execute(insert(deliveries), [a_delivery(number) for number in range(40)])
        session.commit()

    def sent():
        with database.make_session() as session:
            return session.execute(select(deliveries.c.request_id, deliveries.c.attempts)
                                   .where(deliveries.c.status == "sent")).all()

    rows = wait_until(lambda: len(sent()) == 40 and sent(), timeout=30,
                      message="not every queued email was sent")
    assert all(row.attempts == 1 for row in rows)
    received = [mail["X-Loop311-Request-Id"] for mail in smtp_sink.messages()]
    assert sorted(received, key=int) == [str(number) for number in range(40)]


def test_a_batch_is_published_under_one_wait_and_a_refused_one_raises(rabbit_config):
    uri = rabbit_config["AMQP_URI"]
    exchange = Exchange("loop311_test.events", type="topic", durable=True)
    queue = Queue("loop311_test.batch", exchange=exchange, routing_key="request_commented",
                  durable=True)
    envelopes = [make_envelope("request_commented", str(number), {
        "request_id": str(number), "comment_id": str(number), "visibility": "public",
        "text": "Crew on site", "commented_at": datetime.now(timezone.utc)})
        for number in range(25)]
    with Connection(uri) as connection:
        queue(connection.default_channel).declare()
        batches = ConfirmedBatches(uri)
        batches.publish([(exchange.name, "request_commented", envelope)
                         for envelope in envelopes])
        bound = queue(connection.default_channel)
        got = [bound.get(no_ack=True) for _ in envelopes]
        assert [json.loads(message.body)["id"] for message in got] == [
            envelope["id"] for envelope in envelopes]
        assert {message.properties["delivery_mode"] for message in got} == {2}
        assert [message.properties["message_id"] for message in got] == [
            envelope["id"] for envelope in envelopes]

        # An exchange that does not exist: the broker closes the channel, nothing is
        # confirmed, and the caller hears of it (the outbox keeps the rows).
        with pytest.raises(Exception, match="NOT_FOUND|404"):
            batches.publish([("loop311_missing.events", "request_commented", envelopes[0])])
        batches.publish([(exchange.name, "request_commented", envelopes[1])])  # reconnects
        assert json.loads(bound.get(no_ack=True).body)["id"] == envelopes[1]["id"]
        batches.close()


def smtp_server(port, maildir, *options):
    process = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", *options, "-l", f"127.0.0.1:{port}",
         "-c", "aiosmtpd.handlers.Mailbox", str(maildir)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_until(lambda: accepting(port), timeout=20, message="SMTP server did not start")
    return process


def test_a_kept_smtp_session_the_server_dropped_is_reopened_for_the_next_message(tmp_path):
    port, maildir = free_port(), tmp_path / "mail"

    def start_server():
        return smtp_server(port, maildir)

    def message(number):
        mail = EmailMessage()
        mail["From"], mail["To"] = "loop311@example.org", "ada@example.org"
        mail["Subject"], mail["X-Loop311-Request-Id"] = f"Request #{number}", str(number)
        mail.set_content("Thank you for your report.")
        return mail

    server = start_server()
    connection = SmtpConnection(NotifySettings.from_config({"SMTP_HOST": "127.0.0.1",
                                                            "SMTP_PORT": port}))
    try:
        connection.send(message(1))
        server.terminate()  # the server goes away while the session is kept
        server.wait(timeout=10)
        server = start_server()
        connection.send(message(2))
    finally:
        connection.close()
        server.terminate()
        server.wait(timeout=10)
    received = Mailbox(maildir, port).messages()
    assert [mail["X-Loop311-Request-Id"] for mail in received] == ["1", "2"]


def test_an_address_that_is_not_ascii_goes_as_utf8_to_a_server_that_takes_it(tmp_path):
    port, maildir = free_port(), tmp_path / "mail"
    server = smtp_server(port, maildir, "--smtputf8")
    settings = NotifySettings.from_config({"SMTP_HOST": "127.0.0.1", "SMTP_PORT": port,
                                           "MAIL_FROM": "Ville de Québec <311@loop311.local>"})
    row = SimpleNamespace(recipient="ana.garcía@example.org", request_id="31", dedupe_key="k",
                          subject="Solicitud n.º 31 recibida", body="Hola Ana — gracias.",
                          html=None, unsubscribe_url=None)
    connection = SmtpConnection(settings)
    try:
        connection.send(compose(settings, row))
    finally:
        connection.close()
        server.terminate()
        server.wait(timeout=10)
    [raw] = [path.read_bytes() for path in (maildir / "new").iterdir()]
    mail = message_from_bytes(raw, policy=email.policy.default)
    assert "ana.garcía@example.org".encode() in raw  # as UTF-8, not encoded words
    assert mail["To"] == "ana.garcía@example.org"
    assert mail["Subject"] == row.subject
    assert mail.get_content().startswith("Hola Ana — gracias.")
