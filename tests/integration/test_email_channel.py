"""Inbound email, raw and in SendGrid's and Mailgun's formats, end to end."""
import hashlib
import hmac
from io import BytesIO

import pytest
import requests
from PIL import Image as Picture

from support import PNG, EventTap, raw_email

WEBHOOK = {"Authorization": "Bearer mta-token"}
SIGNING_KEY = "mailgun-signing-key"


@pytest.fixture
def intake(start_intake, service_config, tmp_path):
    gazetteer = tmp_path / "gazetteer.csv"
    gazetteer.write_text("kind,name,zipcode,lat,long\naddress,103 N Beacon St,02135,42.3549,-71.143\n")
    config = service_config("intake", EMAIL_WEBHOOK_TOKENS="mta:mta-token",
                            MAILGUN_SIGNING_KEY=SIGNING_KEY, GAZETTEER_PATH=str(gazetteer))
    start_intake(config)
    config["base"] = f"http://{config['WEB_SERVER_ADDRESS']}"
    return config


def post_mime(intake, raw, headers=WEBHOOK):
    return requests.post(f"{intake['base']}/email/v1/mime", data=raw, timeout=5,
                         headers={"Content-Type": "message/rfc822", **headers})


def shown(intake, request_id):
    return requests.get(f"{intake['base']}/open311/v2/requests/{request_id}.json",
                        params={"extensions": "true"}, timeout=5).json()[0]


def test_an_email_becomes_a_request_with_its_place_and_photo(intake):
    created = EventTap(intake["AMQP_URI"], "request_created")
    answer = post_mime(intake, raw_email(
        "Fallen tree", "A tree is down across the road.\nOutside 103 N Beacon St.\n\n-- \nAda",
        image_name="tree.png"))

    assert answer.status_code == 201, answer.text
    request_id = answer.json()["service_request_id"]
    event = created.next()
    # the category is inferred from the words
    assert (event["data"]["channel"], event["data"]["service_code"]) == ("email", "tree")
    assert event["data"]["description"].startswith("Fallen tree\n\nA tree is down")
    assert "Ada" not in event["data"]["description"].split("Beacon St.")[1]
    record = shown(intake, request_id)
    assert (record["lat"], record["long"]) == (42.3549, -71.143)
    assert record["media_url"].startswith("http://")  # absolute, as Open311 clients need
    image = requests.get(record["media_url"], timeout=5)
    assert image.headers["Content-Type"] == "image/png"
    assert Picture.open(BytesIO(image.content)).size == Picture.open(BytesIO(PNG)).size


def test_an_email_whose_category_is_unclear_goes_to_triage(intake):
    created = EventTap(intake["AMQP_URI"], "request_created")
    answer = post_mime(intake, raw_email("Question", "Who do I ask about my tax bill?"))
    assert answer.status_code == 201, answer.text
    assert created.next()["data"]["service_code"] == "general"


def test_a_reply_to_our_email_becomes_a_comment_not_a_request(intake):
    first = post_mime(intake, raw_email("Pothole", "Deep one")).json()["service_request_id"]
    comments = EventTap(intake["AMQP_URI"], "request_commented")

    reply = post_mime(intake, raw_email(
        f"Re: We received your request #{first}: General Request",
        "It is getting bigger.\n\nOn Tue, Nov 24, 2026 Loop311 wrote:\n> We received it",
        to=f"request+{first}@reply.city.example"))

    assert reply.status_code == 201, reply.text
    assert reply.json()["comment_on"] == first
    event = comments.next()
    assert (event["subject"], event["data"]["visibility"], event["data"]["text"]) == (
        first, "internal", None)
    assert shown(intake, first)["service_request_id"] == first
    listed = requests.get(f"{intake['base']}/open311/v2/requests.json", timeout=5).json()
    assert [r["service_request_id"] for r in listed] == [first]


def test_sendgrid_parse_with_basic_auth_in_the_url(intake):
    answer = requests.post(f"{intake['base']}/email/v1/sendgrid", timeout=5,
                           auth=("sendgrid", "mta-token"),
                           data={"from": "Ada <ada@example.org>", "to": "311@city.example",
                                 "subject": "Graffiti", "text": "On the library wall"},
                           files={"attachment1": ("wall.png", PNG, "image/png")})
    assert answer.status_code == 201, answer.text
    assert shown(intake, answer.json()["service_request_id"])["media_url"]


def test_mailgun_routes_are_signed(intake):
    fields = {"sender": "ada@example.org", "recipient": "311@city.example",
              "subject": "Noise", "body-plain": "Loud music all night", "timestamp": "1795520000",
              "token": "a" * 50}
    signature = hmac.new(SIGNING_KEY.encode(), (fields["timestamp"] + fields["token"]).encode(),
                         hashlib.sha256).hexdigest()
    url = f"{intake['base']}/email/v1/mailgun"
    assert requests.post(url, data=fields, timeout=5).status_code == 403
    assert requests.post(url, data={**fields, "signature": "0" * 64}, timeout=5).status_code == 403
    assert requests.post(url, data={**fields, "signature": signature}, timeout=5).status_code == 201


def test_mail_webhooks_need_their_token_and_a_sender(intake):
    assert post_mime(intake, raw_email("x", "y"), headers={}).status_code == 401
    no_sender = post_mime(intake, b"Subject: hello\r\n\r\nbody\r\n")
    assert no_sender.status_code == 400
    assert "From" in no_sender.json()[0]["description"]
