"""ReceiveText: one inbound text message in a short conversation that ends in a request.

The texter describes the problem; unless its category can be told from the words, we ask
what kind it is (a numbered menu), then where it is (an address or two cross streets),
and file the request. STOP, START and HELP are answered as carriers require.
Conversations expire. The handler returns the reply to text back.

A text from a number whose request was updated lately is a reply to that request: a
rating once it is closed (1-5, NOT FIXED), otherwise the resident's comment, which staff
see. NEW starts a new report instead; STATUS (ESTADO) lists the number's open requests.
"""
from eventlet import tpool

from loop311_shared.clock import utcnow
from loop311_shared.errors import DomainError
from loop311_shared.loading import load

from ..adapters.geocoding import parse_location
from ..commands import CHANNEL_TEXT, AddComment, RateRequest, ReceiveText, SubmitRequest
from ..domain.contacts import normalised_phone
from ..domain.photos import gps_hint
from ..domain.texting import (
    HELP_REPLY,
    KEYWORDS,
    STATUS_KEYWORDS,
    chosen_service,
    comment_reply,
    menu_text,
    new_report_text,
    opt_reply,
    rating_in,
    rating_reply,
    status_text,
)
from ..schemas import ReportSchema
from ..unit_of_work import IntakeUnitOfWork
from .ratings import rate_request
from .staff import add_comment
from .submission import submit_request

# What a conversation notes about its photos, which is not part of the report.
DRAFT_NOTES = ("photo_has_place", "photo_problems", "suggestions")


def receive_text(uow: IntakeUnitOfWork, command: ReceiveText) -> str:
    phone = normalised_phone(command.phone, uow.rules.phone_region)
    body = " ".join(command.body.split())
    keyword = KEYWORDS.get(body.upper())
    if keyword == "help":
        return HELP_REPLY
    if keyword in ("stop", "start"):
        return _opt(uow, phone, opted_out=keyword == "stop")
    if body.upper() in STATUS_KEYWORDS:
        return _status(uow, phone, STATUS_KEYWORDS[body.upper()])
    now = utcnow()
    expires_at = now + uow.rules.conversation_expiry
    conversation = uow.conversations.current(phone, now)
    if conversation is None:
        new_report = new_report_text(body)
        if new_report is None:
            reply = _reply_to_update(uow, phone, body, now)
            if reply:
                return reply
        else:
            body = new_report
    draft = dict(conversation.draft) if conversation else {"description": body}
    if not conversation and body:
        guess = uow.guesser().guess(body)
        if guess.trusted:  # else the texter picks from the menu: nothing was guessed
            draft.update(service_code=guess.service_code,
                         suggestions=[list(suggestion) for suggestion in guess.suggestions])
    for photo in command.photos:
        uow.conversations.keep_photo(phone, photo, now, now - uow.rules.conversation_expiry)
        # Decoding is CPU work: in a real thread, as when the report is filed.
        if tpool.execute(gps_hint, photo.data) is not None:
            draft["photo_has_place"] = True  # the photo will say where: no need to ask
    if command.photo_problems:
        draft["photo_problems"] = [*draft.get("photo_problems", []), *command.photo_problems]
    state = conversation.state if conversation else "describing"
    services = uow.catalog.text_menu()

    if state == "awaiting_category":
        code = chosen_service(body, services)
        if code is None:
            uow.conversations.save(phone, "awaiting_category", draft, expires_at)
            return "Sorry, reply with one of the numbers. " + menu_text(services)
        draft["service_code"] = code
    elif state == "awaiting_location":
        place = uow.geocoder.locate(parse_location(body)) if body else None
        if place is None:
            uow.conversations.save(phone, "awaiting_location", draft, expires_at)
            return ("We could not find that place. Reply with a street address or two cross "
                    "streets, like 5th Ave N & 22nd St.")
        draft.update(lat=place.lat, long=place.long, address_string=place.matched)
    if "service_code" not in draft:
        uow.conversations.save(phone, "awaiting_category", draft, expires_at)
        return "Thanks. What kind of problem is it? " + menu_text(services)
    if "lat" not in draft and not draft.get("photo_has_place"):
        uow.conversations.save(phone, "awaiting_location", draft, expires_at)
        return "Where is it? Reply with a street address or two cross streets."
    try:
        # Every check comes before the first write, so a refusal leaves nothing behind.
        report = {name: value for name, value in draft.items() if name not in DRAFT_NOTES}
        answer, _ = submit_request(uow, SubmitRequest(
            fields=load(ReportSchema(), {**report, "phone": phone}), channel=CHANNEL_TEXT,
            require_attributes=False, images=uow.conversations.photos(phone),
            photo_problems=tuple(draft.get("photo_problems", ())),
            suggestions=tuple(map(tuple, draft.get("suggestions", ())))))
    except DomainError as exc:
        return f"Sorry, we could not file that: {exc}"
    uow.conversations.end(phone)
    return (f"Thanks! Your request number is {answer['service_request_id']}. "
            f"{answer.get('service_notice', '')}").strip()


def _reply_to_update(uow: IntakeUnitOfWork, phone: str, body: str, now) -> str | None:
    """Attach the text to the number's lately updated request, as a rating or a comment;
    None when there is none (the text is a new report)."""
    latest = next((row for row in uow.requests.of_phone(phone)
                   if row.updated_at >= now - uow.rules.reply_window), None)
    if latest is None or not body:
        return None
    rating = rating_in(body) if latest.status == "closed" else None
    if rating:
        rate_request(uow, RateRequest(str(latest.id), latest.contact_ref, "sms", rating.score,
                                      rating.not_fixed, rating.words))
        return rating_reply(rating, latest.id)
    add_comment(uow, AddComment(str(latest.id), body, author="resident by text",
                                visibility="internal"))
    return comment_reply(latest.id)


def _status(uow: IntakeUnitOfWork, phone: str, language: str) -> str:
    open_requests = [row for row in uow.requests.of_phone(phone) if row.status != "closed"][:3]
    return status_text(language, open_requests, uow.catalog.names())


def _opt(uow: IntakeUnitOfWork, phone: str, opted_out: bool) -> str:
    now = utcnow()
    uow.conversations.set_opted_out(phone, opted_out, now)
    uow.publish("resident_opted_out", "opt-out",
                {"phone": phone, "opted_out": opted_out, "changed_at": now})
    return opt_reply(opted_out)
