"""ReceiveText: one inbound text message in a short conversation that ends in a request.

The texter describes the problem; unless its category can be told from the words, we ask
what kind it is (a numbered menu), then where it is (an address or two cross streets),
and file the request. STOP, START and HELP are answered as carriers require.
Conversations expire. The handler returns the reply to text back.
"""
from loop311_shared.clock import utcnow
from loop311_shared.errors import DomainError
from loop311_shared.loading import load

from ..adapters.geocoding import parse_location
from ..commands import CHANNEL_TEXT, ReceiveText, SubmitRequest
from ..domain.contacts import normalised_phone
from ..domain.texting import HELP_REPLY, KEYWORDS, chosen_service, menu_text, opt_reply
from ..schemas import ReportSchema
from ..unit_of_work import IntakeUnitOfWork
from .submission import submit_request


def receive_text(uow: IntakeUnitOfWork, command: ReceiveText) -> str:
    phone = normalised_phone(command.phone, uow.rules.phone_region)
    body = " ".join(command.body.split())
    keyword = KEYWORDS.get(body.upper())
    if keyword == "help":
        return HELP_REPLY
    if keyword in ("stop", "start"):
        return _opt(uow, phone, opted_out=keyword == "stop")
    now = utcnow()
    expires_at = now + uow.rules.conversation_expiry
    conversation = uow.conversations.current(phone, now)
    draft = dict(conversation.draft) if conversation else {"description": body}
    if not conversation and body:
        guess = uow.guesser().guess(body)
        if guess.trusted:
            draft["service_code"] = guess.service_code
    if command.media_url:
        draft["media_url"] = command.media_url
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
    if "lat" not in draft:
        uow.conversations.save(phone, "awaiting_location", draft, expires_at)
        return "Where is it? Reply with a street address or two cross streets."
    try:
        # Every check comes before the first write, so a refusal leaves nothing behind.
        answer, _ = submit_request(uow, SubmitRequest(
            fields=load(ReportSchema(), {**draft, "phone": phone}), channel=CHANNEL_TEXT,
            require_attributes=False))
    except DomainError as exc:
        return f"Sorry, we could not file that: {exc}"
    uow.conversations.end(phone)
    return (f"Thanks! Your request number is {answer['service_request_id']}. "
            f"{answer.get('service_notice', '')}").strip()


def _opt(uow: IntakeUnitOfWork, phone: str, opted_out: bool) -> str:
    now = utcnow()
    uow.conversations.set_opted_out(phone, opted_out, now)
    uow.publish("resident_opted_out", "opt-out",
                {"phone": phone, "opted_out": opted_out, "changed_at": now})
    return opt_reply(opted_out)
