"""Inbound text messages through Twilio's webhook, end to end through the broker."""
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO

import pytest
import requests
from PIL import ExifTags
from PIL import Image as Picture
from twilio.request_validator import RequestValidator

from support import EventTap

TOKEN = "twilio-test-token"
TEXTER = "+16175550123"


@pytest.fixture
def intake(start_intake, service_config, tmp_path):
    gazetteer = tmp_path / "gazetteer.csv"
    gazetteer.write_text("kind,name,zipcode,lat,long\naddress,103 N Beacon St,02135,42.3549,-71.143\n")
    config = service_config("intake", TWILIO_AUTH_TOKEN=TOKEN, GAZETTEER_PATH=str(gazetteer),
                            SMS_MEDIA_HOSTS="127.0.0.1", RATE_LIMIT_TEXTS_PER_NUMBER="20/minute")
    start_intake(config)
    config["url"] = f"http://{config['WEB_SERVER_ADDRESS']}/sms/v1/twilio"
    return config


def text(intake, body, signed=True, **extra):
    params = {"From": TEXTER, "To": "+16175550311", "Body": body, "MessageSid": "SM1", **extra}
    headers = {"X-Twilio-Signature": RequestValidator(TOKEN).compute_signature(
        intake["url"], params)} if signed else {}
    answer = requests.post(intake["url"], data=params, headers=headers, timeout=5)
    return answer


def reply(answer):
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"].startswith("text/xml")
    return re.search(r"<Message>(.*)</Message>", answer.text, re.S).group(1)


def menu_number(menu, name):
    return re.search(rf"(\d+) {re.escape(name)}", menu).group(1)


def test_unsigned_or_forged_texts_are_refused(intake):
    assert text(intake, "hello", signed=False).status_code == 403
    forged = requests.post(intake["url"], data={"From": TEXTER, "Body": "hi"},
                           headers={"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"}, timeout=5)
    assert forged.status_code == 403


class MediaHost:
    """The provider's media host: serves each path's bytes once asked (GET)."""

    def __init__(self, files: dict[str, bytes]):
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                data = files.get(self.path)
                self.send_response(200 if data else 404)
                self.send_header("Content-Type", "image/jpeg")
                self.send_header("Content-Length", str(len(data or b"")))
                self.end_headers()
                self.wfile.write(data or b"")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


def photo(gps=None) -> bytes:
    exif = Picture.Exif()
    if gps:
        exif[ExifTags.IFD.GPSInfo] = {
            ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: (42.0, 21.0, 17.64),
            ExifTags.GPS.GPSLongitudeRef: "W", ExifTags.GPS.GPSLongitude: (71.0, 8.0, 34.8)}
    out = BytesIO()
    Picture.new("RGB", (320, 240), (60, 60, 60)).save(out, "JPEG", exif=exif)
    return out.getvalue()


def test_a_conversation_becomes_a_request_with_its_photo(intake):
    created = EventTap(intake["AMQP_URI"], "request_created")
    host = MediaHost({"/Media/ME1": photo()})

    menu = reply(text(intake, "Hello, can someone come and look at this", NumMedia="1",
                      MediaUrl0=f"{host.url}/Media/ME1", MediaContentType0="image/jpeg"))
    assert "What kind of problem" in menu
    assert "Where is it" in reply(text(intake, menu_number(menu, "Request for Pothole Repair")))
    assert "could not find" in reply(text(intake, "somewhere over there"))
    done = reply(text(intake, "103 North Beacon Street"))

    request_id = re.search(r"request number is (\d+)", done).group(1)
    event = created.next()
    assert (event["subject"], event["data"]["channel"]) == (request_id, "sms")
    assert event["data"]["description"] == "Hello, can someone come and look at this"
    assert event["data"]["service_code"] == "pothole"
    shown = requests.get(f"http://{intake['WEB_SERVER_ADDRESS']}/open311/v2/requests/"
                         f"{request_id}.json", timeout=5).json()[0]
    assert shown["media_url"].startswith(f"http://{intake['WEB_SERVER_ADDRESS']}/media/")
    served = requests.get(shown["media_url"], timeout=5)
    assert Picture.open(BytesIO(served.content)).size == (320, 240)
    assert (shown["lat"], shown["long"]) == (42.3549, -71.143)
    host.server.shutdown()


def test_a_photo_with_its_place_answers_where_and_a_foreign_link_is_not_fetched(intake):
    host = MediaHost({"/Media/ME2": photo(gps=True)})
    menu = reply(text(intake, "Streetlight out here", NumMedia="2",
                      MediaUrl0=f"{host.url}/Media/ME2",
                      MediaUrl1="https://elsewhere.example.org/x.svg"))
    done = reply(text(intake, menu_number(menu, "Request for Pothole Repair")))

    request_id = re.search(r"request number is (\d+)", done).group(1)  # no "Where is it?"
    shown = requests.get(f"http://{intake['WEB_SERVER_ADDRESS']}/open311/v2/requests/"
                         f"{request_id}.json", params={"extensions": "true"}, timeout=5).json()[0]
    assert (round(shown["lat"], 4), round(shown["long"], 4)) == (42.3549, -71.143)
    assert any("GPS position" in note["summary"] for note in shown["notes"])
    assert shown["media_url"]
    host.server.shutdown()


def test_a_number_that_texts_too_often_is_told_to_wait(intake):
    answers = [text(intake, "STATUS") for _ in range(21)]
    assert [answer.status_code for answer in answers[:20]] == [200] * 20
    assert answers[20].status_code == 429 and "Retry-After" in answers[20].headers


def test_a_text_that_names_its_problem_skips_the_menu(intake):
    created = EventTap(intake["AMQP_URI"], "request_created")

    assert "Where is it" in reply(text(intake, "Huge pothole, swallowed my bike wheel"))
    assert "request number is" in reply(text(intake, "103 N Beacon St"))
    assert created.next()["data"]["service_code"] == "pothole"


def test_stop_start_and_help(intake):
    opt_outs = EventTap(intake["AMQP_URI"], "resident_opted_out")

    assert "no more messages" in reply(text(intake, "stop"))
    assert "on again" in reply(text(intake, "START"))
    assert "Reply STOP" in reply(text(intake, "HELP"))

    first, second = opt_outs.next(), opt_outs.next()
    assert (first["data"]["phone"], first["data"]["opted_out"]) == (TEXTER, True)
    assert second["data"]["opted_out"] is False


def test_a_forgotten_conversation_expires(start_intake, service_config):
    config = service_config("intake", TWILIO_AUTH_TOKEN=TOKEN, SMS_CONVERSATION_MINUTES=0)
    start_intake(config)
    config["url"] = f"http://{config['WEB_SERVER_ADDRESS']}/sms/v1/twilio"

    menu = reply(text(config, "Please help"))
    # Expired at once: the number starts a new report instead of choosing from the menu.
    again = reply(text(config, menu_number(menu, "Street Light Outages")))
    assert "What kind of problem" in again
