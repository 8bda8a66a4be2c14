"""One pothole, three residents, both channels, all four services as processes: the local
SMS provider (Twilio's API) holds the texts, a real SMTP server the mail."""
import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests
from twilio.request_validator import RequestValidator

from devtools.localsuite import SERVICES, LocalSuite
from support import RAISED_LIMITS, free_port, wait_until

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
TWILIO_TOKEN = "e2e-twilio-token"
STAFF = {"Authorization": "Bearer e2e-staff"}
# St. Petersburg City Hall, reported three times: Ada (email and phone), Bea (phone only,
# her report joins Ada's) and Cy (phone only, who texted STOP before reporting).
SPOT = {"service_code": "pothole", "attribute[size]": "large", "lat": "27.7705",
        "long": "-82.6383", "api_key": "e2e-key"}
ADA = {"email": "ada@example.org", "phone": "+17275550101", "first_name": "Ada"}
BEA = {"phone": "+17275550102", "first_name": "Bea"}
CY = {"phone": "+17275550103"}


@pytest.fixture
def suite(tmp_path, rabbit_config, new_database, smtp_sink):
    port, folder = free_port(), tmp_path / "sms"
    provider = subprocess.Popen(
        [sys.executable, "-m", "devtools.sms_provider", "--port", str(port), "--dir", str(folder),
         "--auth-token", TWILIO_TOKEN], cwd=ROOT,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ports = {name: free_port() for name in SERVICES}
    local = LocalSuite(
        tmp_path / "suite", rabbit_config["AMQP_URI"],
        database_urls={name: new_database(name) for name in SERVICES}, ports=ports,
        smtp_port=smtp_sink.port,
        extra_env={**RAISED_LIMITS, "OUTBOX_POLL_SECONDS": "0.5", "MAIL_POLL_SECONDS": "0.5",
                   "EVENT_RETRY_DELAYS_MS": "200,500", "OPEN311_API_KEYS": "e2e-key",
                   "STAFF_API_TOKENS": "alice:e2e-staff", "UNSUBSCRIBE_SECRET": "e2e-secret",
                   "TWILIO_ACCOUNT_SID": "ACe2e", "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
                   "SMS_FROM": "+17275550311", "SMS_BASE_URL": f"http://127.0.0.1:{port}",
                   "INTAKE_PUBLIC_URL": f"http://127.0.0.1:{ports['intake']}",
                   "QUIET_HOURS": "off", "SMS_RATE_PER_SECOND": "0"})
    local.mailbox, local.sms_folder = smtp_sink, folder
    local.start_all()
    yield local
    local.stop_all()
    provider.terminate()
    provider.wait(timeout=10)


def texts_to(suite, phone):
    return [message["body"] for message in (json.loads(path.read_text()) for path in
                                            sorted(suite.sms_folder.glob("*.json")))
            if message["to"] == phone]


def mail_to(suite, address):
    return [m["Subject"] for m in suite.mailbox.messages() if m["To"] == address]


def text_in(suite, phone, body):
    url = suite.url("intake", "/sms/v1/twilio")
    params = {"From": phone, "To": "+17275550311", "Body": body, "MessageSid": "SMe2e"}
    answer = requests.post(url, data=params, timeout=10, headers={
        "X-Twilio-Signature": RequestValidator(TWILIO_TOKEN).compute_signature(url, params)})
    assert answer.status_code == 200, answer.text
    return answer.text


def post(suite, resident, description):
    answer = requests.post(suite.url("intake", "/open311/v2/requests.json"),
                           data={**SPOT, **resident, "description": description}, timeout=10)
    assert answer.status_code == 201, answer.text
    return answer.json()[0]["service_request_id"]


def staff(suite, request_id, what, body):
    answer = requests.post(suite.url("intake", f"/staff/v1/requests/{request_id}/{what}"),
                           json=body, headers=STAFF, timeout=10)
    assert answer.status_code in (200, 201), answer.text


def test_email_and_sms_residents_hear_every_step_and_a_rating_reaches_the_report_card(suite):
    assert "no more messages" in text_in(suite, CY["phone"], "STOP")
    request_id = post(suite, ADA, "Deep pothole by the bus stop")
    assert post(suite, BEA, "Big hole in the road at City Hall") == request_id
    assert post(suite, CY, "Pothole at City Hall") == request_id

    def step_heard(count):
        wait_until(lambda: len(mail_to(suite, ADA["email"])) == count
                   and len(texts_to(suite, BEA["phone"])) == count, timeout=60,
                   message=f"step {count} did not reach both residents")

    step_heard(1)
    for count, step in enumerate((
            lambda: staff(suite, request_id, "status", {"status": "acknowledged"}),
            lambda: staff(suite, request_id, "comments", {"text": "Crew booked for Tuesday"}),
            lambda: staff(suite, request_id, "status", {
                "status": "closed", "resolution": "fixed", "note": "Patched the hole"})), 2):
        step()
        step_heard(count)

    assert mail_to(suite, ADA["email"]) == [
        f"We received your request #{request_id}: Request for Pothole Repair",
        f"Request #{request_id} is acknowledged: Request for Pothole Repair",
        f"News on request #{request_id}: Request for Pothole Repair",
        f"Request #{request_id} is closed (fixed): Request for Pothole Repair"]
    bea = texts_to(suite, BEA["phone"])
    assert [f"#{request_id}" in body for body in bea] == [True] * 4
    assert "reported already" in bea[0] and "Crew booked for Tuesday" in bea[2]
    assert "Patched the hole" in bea[3] and "Reply 1-5" in bea[3]
    assert texts_to(suite, ADA["phone"]) == []   # email and phone: email, as she did not ask
    assert texts_to(suite, CY["phone"]) == []    # STOPped: nothing, ever

    assert "Thank you for rating" in text_in(suite, BEA["phone"], "4 quick work, thanks")
    today = datetime.now(timezone.utc)

    def satisfaction():
        rows = requests.get(suite.url("sla", "/staff/v1/report-card"), headers=STAFF, params={
            "start": (today - timedelta(days=1)).isoformat(),
            "end": (today + timedelta(days=1)).isoformat()}, timeout=10).json()
        return [(row["ratings"], row["satisfaction_avg"]) for row in rows if row["ratings"]]
    assert wait_until(satisfaction, timeout=60, message="the rating never reached the report "
                                                        "card") == [(1, 4.0)]
