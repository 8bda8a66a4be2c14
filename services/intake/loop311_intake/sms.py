"""Inbound text messages (Twilio's webhook): a short conversation that ends in a request.

The texter describes the problem; unless its category can be told from the words, we ask
what kind it is (a numbered menu), then where it is (an address or two cross streets),
and file the request.
STOP, START and HELP are answered as carriers require. Conversations expire.
"""
from datetime import timedelta

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from loop311_shared.clock import utcnow
from loop311_shared.errors import BadRequest, ClientError, Forbidden
from loop311_shared.outbox import record_event

from .contacts import normalised_phone
from .geocoding import parse_location
from .models import outbox, service_catalog, sms_conversations, sms_opt_outs
from .submission import submit_request

STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"}
START_WORDS = {"START", "YES", "UNSTOP"}
HELP_WORDS = {"HELP", "INFO"}


def check_signature(auth_token: str, url: str, params: dict, signature) -> None:
    if not auth_token:
        raise Forbidden("text messages are not accepted: TWILIO_AUTH_TOKEN is not set")
    if not signature or not RequestValidator(auth_token).validate(url, params, signature):
        raise Forbidden("X-Twilio-Signature is missing or does not match")


def twiml(text: str) -> str:
    response = MessagingResponse()
    response.message(text)
    return str(response)


def handle_text(session: Session, params: dict, geocoder, guesser, expiry: timedelta,
                phone_region: str = "US", **options) -> str:
    """Apply one inbound message; return the reply text."""
    if not params.get("From"):
        raise BadRequest("From is required")
    phone = normalised_phone(params["From"], phone_region)
    body = " ".join(str(params.get("Body", "")).split())
    keyword = body.upper()
    if keyword in STOP_WORDS:
        return _opt(session, phone, opted_out=True)
    if keyword in START_WORDS:
        return _opt(session, phone, opted_out=False)
    if keyword in HELP_WORDS:
        return ("Loop311: text us a problem (a pothole, a broken light...) and where it is. "
                "Reply STOP to stop messages.")
    now = utcnow()
    conversation = session.execute(
        select(sms_conversations).where(sms_conversations.c.phone == phone,
                                        sms_conversations.c.expires_at > now)
        .with_for_update()).first()
    draft = dict(conversation.draft) if conversation else {"description": body}
    if not conversation and body:
        guess = guesser.guess(body)
        if guess.trusted:
            draft["service_code"] = guess.service_code
    media = params.get("MediaUrl0")
    if media:
        draft["media_url"] = media
    state = conversation.state if conversation else "describing"
    services = _menu(session)

    if state == "awaiting_category":
        code = _chosen_service(body, services)
        if code is None:
            return _save(session, phone, "awaiting_category", draft, now + expiry,
                         "Sorry, reply with one of the numbers. " + _menu_text(services))
        draft["service_code"] = code
        state = "awaiting_location"
    elif state == "awaiting_location":
        place = geocoder.locate(parse_location(body)) if body else None
        if place is None:
            return _save(session, phone, "awaiting_location", draft, now + expiry,
                         "We could not find that place. Reply with a street address or two "
                         "cross streets, like 5th Ave N & 22nd St.")
        draft.update(lat=place.lat, long=place.long, address_string=place.matched)
    if "service_code" not in draft:
        return _save(session, phone, "awaiting_category", draft, now + expiry,
                     "Thanks. What kind of problem is it? " + _menu_text(services))
    if "lat" not in draft:
        return _save(session, phone, "awaiting_location", draft, now + expiry,
                     "Where is it? Reply with a street address or two cross streets.")
    session.execute(delete(sms_conversations).where(sms_conversations.c.phone == phone))
    try:
        answer = submit_request(session, {**draft, "channel": "sms", "phone": phone},
                                phone_region=phone_region, require_attributes=False, **options)
    except ClientError as exc:
        session.rollback()
        return f"Sorry, we could not file that: {exc}"
    return (f"Thanks! Your request number is {answer['service_request_id']}. "
            f"{answer.get('service_notice', '')}").strip()


def _opt(session, phone, opted_out: bool) -> str:
    now = utcnow()
    session.execute(delete(sms_opt_outs).where(sms_opt_outs.c.phone == phone))
    if opted_out:
        session.execute(insert(sms_opt_outs).values(phone=phone, opted_out_at=now))
        session.execute(delete(sms_conversations).where(sms_conversations.c.phone == phone))
    record_event(session, outbox, "resident_opted_out", "opt-out",
                 {"phone": phone, "opted_out": opted_out, "changed_at": now})
    session.commit()
    return ("You will get no more messages from Loop311. Reply START to undo." if opted_out
            else "Messages from Loop311 are on again. Reply STOP to stop them.")


def _save(session, phone, state, draft, expires_at, reply) -> str:
    exists = session.execute(select(sms_conversations.c.phone)
                             .where(sms_conversations.c.phone == phone)).first()
    values = {"state": state, "draft": draft, "expires_at": expires_at}
    if exists:
        session.execute(update(sms_conversations).where(sms_conversations.c.phone == phone)
                        .values(**values))
    else:
        session.execute(insert(sms_conversations).values(phone=phone, **values))
    session.commit()
    return reply


def _menu(session):
    return [(row.service_code, row.service_name) for row in session.execute(
        select(service_catalog.c.service_code, service_catalog.c.service_name)
        .where(service_catalog.c.contact_required.is_(False))
        .order_by(service_catalog.c.service_code))]


def _menu_text(services) -> str:
    return "Reply " + ", ".join(f"{n} {name}" for n, (_, name) in enumerate(services, 1))


def _chosen_service(body, services):
    if body.isdigit() and 1 <= int(body) <= len(services):
        return services[int(body) - 1][0]
    if body.lower() in dict(services):
        return body.lower()
    return {name.upper(): code for code, name in services}.get(body.upper())
