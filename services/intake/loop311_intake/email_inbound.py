"""Inbound email, raw (RFC 5322/MIME, piped by an MTA) or as SendGrid's Inbound Parse and
Mailgun's routes post it. A reply to one of our emails becomes a comment on its request;
anything else becomes a new request from its sender."""
import email
import email.policy
import hashlib
import hmac
import re
from dataclasses import dataclass, field

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from loop311_shared.errors import BadRequest, Forbidden, NotFound

from .geocoding import parse_location
from .models import media, service_requests
from .staff_updates import add_comment
from .submission import submit_request

REPLY_ADDRESS = re.compile(r"\brequest\+(\d{1,18})@", re.IGNORECASE)
SUBJECT_REFERENCE = re.compile(r"(?:request|case)\s*#\s*(\d{1,18})\b", re.IGNORECASE)
QUOTE_HEADER = re.compile(r"^(On .+ wrote:|-+\s*Original Message\s*-+|From: .+)$", re.IGNORECASE)
STREET_ADDRESS = re.compile(r"\b\d+[a-z]?\s+(?:[\w'.-]+\s+){0,4}?"
                            r"(?:st|street|ave|avenue|rd|road|blvd|boulevard|pl|place|dr|drive|"
                            r"way|sq|square|ln|lane|ct|court|ter|terrace)\b", re.IGNORECASE)


@dataclass
class InboundEmail:
    sender: str
    recipients: list[str]
    subject: str
    text: str
    images: list[tuple[str, str, bytes]] = field(default_factory=list)


def from_mime(raw: bytes) -> InboundEmail:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    if not message["From"]:
        raise BadRequest("the message has no From header")
    body = message.get_body(preferencelist=("plain", "html"))
    text = body.get_content() if body is not None else ""
    if body is not None and body.get_content_type() == "text/html":
        text = re.sub(r"<[^>]+>", " ", text)
    images = [(part.get_filename() or "image", part.get_content_type(), part.get_content())
              for part in message.iter_attachments()
              if part.get_content_maintype() == "image"]
    recipients = [str(a) for h in ("To", "Cc", "Delivered-To") for a in message.get_all(h, [])]
    return InboundEmail(str(message["From"]), recipients, str(message["Subject"] or ""), text,
                        images)


def from_sendgrid(form: dict, files: dict) -> InboundEmail:
    if form.get("email"):  # "POST the raw, full MIME message" enabled
        return from_mime(form["email"].encode())
    if not form.get("from"):
        raise BadRequest("from is required")
    images = [(f.filename or name, f.mimetype, f.read()) for name, f in files.items()
              if f.mimetype.startswith("image/")]
    return InboundEmail(form["from"], [form.get("to", "")], form.get("subject", ""),
                        form.get("text") or re.sub(r"<[^>]+>", " ", form.get("html", "")), images)


def from_mailgun(form: dict, files: dict, signing_key: str) -> InboundEmail:
    expected = hmac.new(signing_key.encode(), f"{form.get('timestamp', '')}{form.get('token', '')}"
                        .encode(), hashlib.sha256).hexdigest()
    if not signing_key or not hmac.compare_digest(expected, str(form.get("signature", ""))):
        raise Forbidden("the Mailgun signature is missing or does not match")
    if not form.get("sender"):
        raise BadRequest("sender is required")
    images = [(f.filename or name, f.mimetype, f.read()) for name, f in files.items()
              if f.mimetype.startswith("image/")]
    return InboundEmail(form["sender"], [form.get("recipient", "")], form.get("subject", ""),
                        form.get("body-plain", ""), images)


def new_text(text: str) -> str:
    """The sender's own words: quoted replies and signatures cut off."""
    kept = []
    for line in text.splitlines():
        if QUOTE_HEADER.match(line.strip()) or line.rstrip() == "--" or line == "-- " \
                or line.strip().lower().startswith("sent from my"):
            break
        if not line.lstrip().startswith(">"):
            kept.append(line.rstrip())
    return "\n".join(kept).strip()


def referenced_request(message: InboundEmail) -> str | None:
    for recipient in message.recipients:
        if found := REPLY_ADDRESS.search(recipient):
            return found[1]
    found = SUBJECT_REFERENCE.search(message.subject)
    return found[1] if found else None


def receive_email(session: Session, message: InboundEmail, geocoder, guesser,
                  media_base: str = "", **options) -> dict:
    words = new_text(message.text)
    sender = email.utils.parseaddr(message.sender)
    reference = referenced_request(message)
    if reference and session.execute(select(service_requests.c.id).where(
            service_requests.c.id == int(reference))).first():
        # A resident's words may name people: kept as an internal note.
        comment = add_comment(session, reference, {"text": words or "(empty reply)",
                                                   "visibility": "internal"},
                              author="resident by email")
        return {"comment_on": reference, **comment}
    guess = guesser.guess(f"{message.subject}\n{words}")
    fields = {"service_code": guess.service_code, "channel": "email", "email": sender[1],
              "description": f"{message.subject}\n\n{words}".strip()[:4000]}
    if sender[0]:
        fields["first_name"] = sender[0]
    place = _first_place(words, geocoder)
    if place:
        fields.update(lat=place.lat, long=place.long, address_string=place.matched)

    def keep_images(answer):
        request_id = int(answer["service_request_id"])
        for filename, content_type, data in message.images:
            media_id = session.execute(insert(media).values(
                request_id=request_id, filename=filename[:255], content_type=content_type,
                data=data)).inserted_primary_key[0]
            session.execute(update(service_requests)
                            .where(service_requests.c.id == request_id,
                                   service_requests.c.media_url.is_(None))
                            .values(media_url=f"{media_base.rstrip('/')}/media/{media_id}"))

    return submit_request(session, fields, require_attributes=False, remember=keep_images,
                          **options)


def stored_media(session: Session, media_id: str):
    row = session.execute(select(media.c.content_type, media.c.data).where(
        media.c.id == int(media_id) if media_id.isdigit() else False)).first()
    if row is None:
        raise NotFound(f"no media with id {media_id!r}")
    return row


def _first_place(text, geocoder):
    """The first street address or intersection in the text that the geocoder knows."""
    for line in text.splitlines():
        line = line.strip(" .,:;")
        candidates = [match[0] for match in STREET_ADDRESS.finditer(line)]
        if "&" in line or " and " in line.lower():
            candidates.append(re.sub(r"^.*?\b(?:at|on|near|of)\s+", "", line))
        for candidate in candidates:
            place = geocoder.locate(parse_location(candidate))
            if place:
                return place
    return None
