"""RateRequest: a resident answers "how did we do?" after their request was closed.

The answer is published (resident_rated) for the report card. "Not fixed" reopens the
request: closing without a visible fix is what residents resent most in 311 systems. The
resident's words become an internal note (they may name people), which staff see.
"""
import hmac

from loop311_shared.clock import utcnow
from loop311_shared.errors import Forbidden, Invalid

from ..commands import AddComment, ChangeStatus, RateRequest
from ..errors import NotAllowedNow
from ..unit_of_work import IntakeUnitOfWork
from .staff import add_comment, change_status, locked_request

REOPEN_NOTE = "Reopened: a resident reports the problem is not fixed."


def rate_request(uow: IntakeUnitOfWork, command: RateRequest) -> dict:
    if command.score is None and not command.not_fixed:
        raise Invalid("give a score from 1 to 5, or say it is not fixed")
    row = locked_request(uow, command.request_id)
    if command.channel != "sms" and not (
            command.token and hmac.compare_digest(command.token, row.token or "")):
        raise Forbidden("this rating link is not valid for that request")
    if command.contact_ref not in uow.requests.reporter_refs(row.id):
        raise Forbidden("only a resident who reported this request can rate it")
    if row.status != "closed":
        raise NotAllowedNow(f"the request is {row.status}: it can be rated once it is closed")
    now = utcnow()
    rating_id = f"{row.id}:{command.contact_ref}:{row.closed_at:%Y%m%dT%H%M%S}"
    uow.ratings.record(rating_id, row.id, command.contact_ref, command.score, command.not_fixed,
                       command.channel, now)
    uow.publish("resident_rated", str(row.id), {
        "rating_id": rating_id, "request_id": str(row.id), "service_code": row.service_code,
        "score": command.score, "not_fixed": command.not_fixed, "channel": command.channel,
        "rated_at": now})
    words = command.words.strip()
    if words:
        add_comment(uow, AddComment(str(row.id), words[:4000], author=f"resident by {command.channel}",
                                    visibility="internal"))
    if command.not_fixed:
        change_status(uow, ChangeStatus(str(row.id), "open", author="resident", note=REOPEN_NOTE))
    return {"service_request_id": str(row.id), "rating_id": rating_id, "score": command.score,
            "not_fixed": command.not_fixed, "reopened": command.not_fixed}
