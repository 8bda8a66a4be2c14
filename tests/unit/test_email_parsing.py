"""Reading inbound mail: the sender's own words, references to our requests, images."""
from loop311_intake.adapters.email_webhooks import from_mime
from loop311_intake.commands import Image
from loop311_intake.domain.email_text import new_text, referenced_request
from support import PNG, raw_email


def mime(subject="Broken street light", to="311@city.example", body="It is dark."):
    return raw_email(subject, body, to, image_name="light.png")


def test_a_mime_message_gives_sender_text_and_images():
    message = from_mime(mime())
    assert message.sender == "Ada Lovelace <ada@example.org>"
    assert message.subject == "Broken street light"
    assert message.text.strip() == "It is dark."
    assert message.images == (Image("light.png", "image/png", PNG),)


def test_quoted_replies_and_signatures_are_cut():
    text = ("Still not fixed.\n\nThanks,\nAda\n-- \nAda Lovelace\nAnalytical Engines Ltd\n"
            "On Tue, Nov 24, 2026 at 9:00 AM Loop311 <no-reply@loop311.local> wrote:\n"
            "> We received your request #12\n")
    assert new_text(text) == "Still not fixed.\n\nThanks,\nAda"
    assert new_text("Fixed now\nSent from my iPhone") == "Fixed now"
    assert new_text("> only a quote") == ""


def test_replies_are_recognised_by_address_or_subject():
    assert referenced_request(from_mime(mime(to="request+12@reply.example"))) == "12"
    assert referenced_request(from_mime(mime(subject="Re: We received your request #34: Pothole"))) == "34"
    assert referenced_request(from_mime(mime())) is None
