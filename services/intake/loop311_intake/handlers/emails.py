"""ReceiveEmail: a reply to one of our emails becomes an internal note on its request;
anything else becomes a new request from its sender, with the place it names (if any)
and its images."""
import email.utils

from loop311_shared.loading import load

from ..adapters.geocoding import parse_location
from ..commands import CHANNEL_EMAIL, AddComment, ReceiveEmail, SubmitRequest
from ..domain.email_text import new_text, place_candidates, referenced_request
from ..schemas import ReportSchema
from ..unit_of_work import IntakeUnitOfWork
from .staff import add_comment
from .submission import submit_request


def receive_email(uow: IntakeUnitOfWork, message: ReceiveEmail) -> dict:
    words = new_text(message.text)
    name, address = email.utils.parseaddr(message.sender)
    reference = referenced_request(message)
    if reference and uow.requests.exists(int(reference)):
        # A resident's words may name people: kept as an internal note.
        comment = add_comment(uow, AddComment(reference, words or "(empty reply)",
                                              author="resident by email", visibility="internal"))
        return {"comment_on": reference, **comment}
    guess = uow.guesser().guess(f"{message.subject}\n{words}")
    report = {"service_code": guess.service_code, "email": address,
              "description": f"{message.subject}\n\n{words}".strip()[:4000]}
    if name:
        report["first_name"] = name[:100]
    place = _first_place(words, uow.geocoder)
    if place:
        report.update(lat=place.lat, long=place.long, address_string=place.matched)
    # An email often names no place: it is accepted without one and staff find it in triage.
    answer, _ = submit_request(uow, SubmitRequest(
        fields=load(ReportSchema(), report), channel=CHANNEL_EMAIL, require_attributes=False,
        images=message.images, suggestions=guess.suggestions))
    return answer


def _first_place(text, geocoder):
    for candidate in place_candidates(text):
        place = geocoder.locate(parse_location(candidate))
        if place:
            return place
    return None
