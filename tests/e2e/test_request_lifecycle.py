"""All four services as separate processes, on the real broker, PostgreSQL and SMTP."""
import re
from datetime import datetime, timedelta

import eventlet
import pytest
import requests
from sqlalchemy import create_engine, text

from devtools.localsuite import SERVICES, LocalSuite
from loop311_shared.db import with_driver
from loop311_sla.domain.policies import build_policies
from loop311_sla.schemas import PoliciesSchema
from support import RAISED_LIMITS, demo_document, free_port, publish_envelope, wait_until

pytestmark = pytest.mark.e2e

NEW_POTHOLE = {"service_code": "pothole", "attribute[size]": "large",
               "description": "Deep pothole by the bus stop", "lat": "27.7705",
               "long": "-82.6383", "email": "resident@example.org", "first_name": "Ada", "api_key": "e2e-key"}


@pytest.fixture
def suite(tmp_path, rabbit_config, new_database, smtp_sink):
    local = LocalSuite(
        tmp_path / "suite", rabbit_config["AMQP_URI"],
        database_urls={name: new_database(name) for name in SERVICES},
        ports={name: free_port() for name in SERVICES},
        smtp_port=smtp_sink.port,
        extra_env={**RAISED_LIMITS, "OUTBOX_POLL_SECONDS": "0.5", "MAIL_POLL_SECONDS": "0.5",
                   "EVENT_RETRY_DELAYS_MS": "200,500", "OPEN311_API_KEYS": "e2e-key",
                   "STAFF_API_TOKENS": "alice:e2e-staff", "UNSUBSCRIBE_SECRET": "e2e-secret",
                   "QUIET_HOURS": "off", "SMS_RATE_PER_SECOND": "0"},
    )
    local.mailbox = smtp_sink
    local.start_all()
    yield local
    local.stop_all()


def resident_mail(suite, request_id):
    """The request's emails to its reporter (its crew is told of the new work too)."""
    return [m for m in suite.mailbox.for_request(request_id)
            if m["To"] == NEW_POTHOLE["email"]]


def post_request(suite, fields=NEW_POTHOLE):
    answer = requests.post(suite.url("intake", "/open311/v2/requests.json"), data=fields,
                           timeout=10)
    assert answer.status_code == 201, answer.text
    return answer.json()[0]["service_request_id"]


def get_request(suite, request_id):
    answer = requests.get(suite.url("intake", f"/open311/v2/requests/{request_id}.json"),
                          timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()[0]


def metric(suite, service, pattern):
    body = requests.get(suite.url(service, "/metrics"), timeout=10).text
    found = re.search(pattern + r" ([0-9.e+]+)", body)
    return float(found.group(1)) if found else 0.0


def scalar(database_url, sql):
    engine = create_engine(with_driver(database_url))
    try:
        with engine.connect() as connection:
            return connection.execute(text(sql)).scalar_one()
    finally:
        engine.dispose()


def test_a_posted_request_is_assigned_given_a_due_date_and_confirmed_by_email(suite):
    request_id = post_request(suite)

    email = wait_until(lambda: resident_mail(suite, request_id),
                       message="no confirmation email")[0]
    assert email["To"] == "resident@example.org"
    assert f"#{request_id}" in email["Subject"]
    text = next(part for part in email.walk() if part.get_content_type() == "text/plain")
    assert request_id in text.get_payload(decode=True).decode()

    shown = wait_until(lambda: (r := get_request(suite, request_id))["expected_datetime"] and r,
                       message="request never got its due date")
    assert shown["status"] == "open"
    assert shown["agency_responsible"] == ("City of St. Petersburg — Stormwater, Pavement & "
                                           "Traffic Operations")
    assert shown["service_code"] == "pothole"
    assert "resident@example.org" not in str(shown)
    # The due date is the pothole policy's: 3 business days on Florida office hours,
    # counted from the assignment (a moment after the report).
    policies = build_policies(PoliciesSchema().load(demo_document("policies")))
    policy = policies.policy_for("pothole", "normal", "st-petersburg")
    reported = datetime.fromisoformat(shown["requested_datetime"])
    expected = policy.resolve.due(policies.calendar_for("st-petersburg"), reported)
    assert policy.id == "pothole"
    assert abs(datetime.fromisoformat(shown["expected_datetime"]) - expected) < timedelta(minutes=1)


def test_a_redelivered_request_created_sends_no_second_email(suite):
    request_id = post_request(suite)
    wait_until(lambda: resident_mail(suite, request_id), message="no confirmation email")

    envelope = scalar(suite.database_urls["intake"],
                          "SELECT envelope FROM outbox WHERE event_type = 'request_created'")
    publish_envelope(suite.amqp_uri, envelope)

    duplicate = r'loop311_entrypoint_calls_total\{entrypoint="handle_request_created",' \
                r'outcome="duplicate",service="notify"\}'
    wait_until(lambda: metric(suite, "notify", duplicate) == 1.0,
               message="notify never saw the redelivery")
    assert len(resident_mail(suite, request_id)) == 1
    assert scalar(suite.database_urls["notify"],
                  "SELECT count(*) FROM deliveries WHERE kind = 'received'") == 1


def test_killing_routing_mid_stream_loses_no_request(suite):
    total, kill_after, restart_after = 60, 20, 40
    pool = eventlet.GreenPool(8)
    posted = []
    for number in range(total):
        # ~110 m apart on a line through the county, so none is a duplicate of another
        spot = {**NEW_POTHOLE, "lat": f"{27.78 + number * 0.001:.4f}", "long": "-82.7000"}
        pool.spawn(lambda fields: posted.append(post_request(suite, fields)), spot)
        if number == kill_after:
            suite.kill("routing")  # SIGKILL: no chance to ack or clean up
        if number == restart_after:
            suite.start("routing")
    pool.waitall()
    assert len(set(posted)) == total

    routing_db, intake_db = suite.database_urls["routing"], suite.database_urls["intake"]
    wait_until(lambda: scalar(routing_db, "SELECT count(*) FROM assignments "
                                          "WHERE state = 'assigned'") == total,
               timeout=60, message=f"routing did not assign all {total} requests")
    wait_until(lambda: scalar(
        intake_db, "SELECT count(*) FROM service_requests WHERE agency_responsible IS NOT NULL"
    ) == total, timeout=60, message="intake did not learn every assignment")
    print(f"\nSIGKILL routing after {kill_after} of {total} posts, restarted after "
          f"{restart_after}: {total} posted, {total} assigned, 0 lost")


def test_killing_notify_mid_sending_resends_at_most_the_message_in_flight(suite):
    total = 150
    suite.kill("notify")
    pool = eventlet.GreenPool(8)
    posted = []
    for number in range(total):
        spot = {**NEW_POTHOLE, "lat": f"{27.78 + number * 0.001:.4f}", "long": "-82.7000",
                "email": f"resident{number}@example.org"}
        pool.spawn(lambda fields: posted.append(post_request(suite, fields)), spot)
    pool.waitall()

    def ours():  # the residents' confirmations (staff hear of the new work too)
        return [m for m in suite.mailbox.messages()
                if m["X-Loop311-Request-Id"] in set(posted) and m["To"].startswith("resident")]

    suite.start("notify")
    wait_until(lambda: 10 <= len(ours()), timeout=60, interval=0.02,
               message="notify never started sending")
    in_flight = len(ours())
    suite.kill("notify")  # SIGKILL while its mailer works through the backlog
    suite.start("notify")
    wait_until(lambda: len({m["X-Loop311-Request-Id"] for m in ours()}) == total, timeout=120,
               message=f"not all {total} confirmations arrived")

    received = ours()
    resent = len(received) - total
    assert len({m["Message-ID"] for m in received}) == total  # a copy keeps its Message-ID
    print(f"\nSIGKILL notify after {in_flight} of {total} confirmations: {len(received)} received, "
          f"{resent} resent (same Message-ID)")
    assert in_flight < total, "the kill came after the last message: nothing was tested"
    assert resent <= 1


def staff(suite, request_id, what, body):
    answer = requests.post(suite.url("intake", f"/staff/v1/requests/{request_id}/{what}"),
                           json=body, headers={"Authorization": "Bearer e2e-staff"}, timeout=10)
    assert answer.status_code in (200, 201), answer.text
    return answer


def test_the_resident_hears_every_step_in_order_and_can_stop_it(suite):
    request_id = post_request(suite)

    def subjects():
        return {m["Subject"] for m in resident_mail(suite, request_id)}

    def next_message(after: set) -> str:
        """The one new message after a step: each step waits for its own, so this is the
        order residents see them in."""
        new = wait_until(lambda: subjects() - after, message="the next message never came")
        assert len(new) == 1, new
        return new.pop()

    seen = set()
    heard = [next_message(seen)]
    for step in (lambda: staff(suite, request_id, "status", {"status": "acknowledged"}),
                 lambda: (staff(suite, request_id, "comments", {"text": "Crew booked for Tuesday"}),
                          staff(suite, request_id, "comments",
                                {"text": "caller is the owner", "visibility": "internal"})),
                 lambda: staff(suite, request_id, "status", {"status": "closed", "resolution":
                                                             "fixed", "note": "Patched the hole"})):
        seen = subjects()
        step()
        heard.append(next_message(seen))

    assert heard == [
        f"We received your request #{request_id}: Request for Pothole Repair",
        f"Request #{request_id} is acknowledged: Request for Pothole Repair",
        f"News on request #{request_id}: Request for Pothole Repair",
        f"Request #{request_id} is closed (fixed): Request for Pothole Repair"]
    closing = next(m for m in suite.mailbox.for_request(request_id)
                   if m["Subject"] == heard[-1])
    crew = wait_until(lambda: [m["Subject"] for m in suite.mailbox.for_request(request_id)
                               if m["To"] != NEW_POTHOLE["email"]], message="the crew never heard")
    assert crew == [f"New work: request #{request_id} (pothole)"]
    text = next(p for p in closing.walk() if p.get_content_type() == "text/plain")
    assert "Patched the hole" in text.get_payload(decode=True).decode()
    assert "caller is the owner" not in str([m.as_string() for m in suite.mailbox.messages()])

    link = closing["List-Unsubscribe"].strip("<>")
    assert requests.post(link, data={"List-Unsubscribe": "One-Click"}, timeout=10).json() == {
        "email": "resident@example.org", "unsubscribed": True}
    forged = requests.get(link.replace("token=", "token=0"), timeout=10)
    assert forged.status_code in (400, 403)
    staff(suite, request_id, "status", {"status": "open"})
    staff(suite, request_id, "comments", {"text": "Reopened: a sign that mail is still moving"})
    wait_until(lambda: scalar(suite.database_urls["notify"],
                              "SELECT count(*) FROM inbox WHERE event_type = 'request_commented' "
                              "AND consumer = 'notify'")
               == 3, message="notify never saw the last comment")
    assert len(subjects()) == 4  # unsubscribed: nothing more
