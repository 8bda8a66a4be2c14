"""The words of the text-message channel: carrier keywords, the category menu, replies."""
import re
from dataclasses import dataclass

KEYWORDS = {
    **dict.fromkeys(("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"), "stop"),
    **dict.fromkeys(("START", "YES", "UNSTOP"), "start"),
    **dict.fromkeys(("HELP", "INFO"), "help"),
}
HELP_REPLY = ("Loop311: text us a problem (a pothole, a broken light...) and where it is. "
              "Reply STOP to stop messages.")


def opt_reply(opted_out: bool) -> str:
    return ("You will get no more messages from Loop311. Reply START to undo." if opted_out
            else "Messages from Loop311 are on again. Reply STOP to stop them.")


def menu_text(services: list[tuple[str, str]]) -> str:
    return "Reply " + ", ".join(f"{n} {name}" for n, (_, name) in enumerate(services, 1))


def chosen_service(body: str, services: list[tuple[str, str]]) -> str | None:
    """The service code a texter picked: by menu number, code or name."""
    if body.isascii() and body.isdigit() and 1 <= int(body) <= len(services):
        return services[int(body) - 1][0]
    if body.lower() in dict(services):
        return body.lower()
    return {name.upper(): code for code, name in services}.get(body.upper())


STATUS_KEYWORDS = {"STATUS": "en", "ESTADO": "es"}
NEW_REPORT_PREFIXES = ("NEW", "NUEVO", "NUEVA")
NOT_FIXED = ("NOT FIXED", "NO ARREGLADO", "NO ESTA ARREGLADO", "NO ESTÁ ARREGLADO")
STATUS_WORDS = {
    "en": {"open": "open", "acknowledged": "acknowledged", "in_progress": "in progress"},
    "es": {"open": "abierta", "acknowledged": "recibida", "in_progress": "en curso"},
}


@dataclass(frozen=True)
class RatingReply:
    score: int | None
    not_fixed: bool
    words: str


def rating_in(body: str) -> RatingReply | None:
    """A reply to the satisfaction question: a score 1-5 and/or NOT FIXED, with any words
    after it ("2 still a hole there"); None when the text is not one."""
    match = re.fullmatch(r"([1-5])(?:\s*(?:/\s*5|stars?|estrellas?))?(?:[\s.,:;!-]+(.*))?", body,
                         re.IGNORECASE | re.DOTALL)
    if match:
        words = match.group(2) or ""
        return RatingReply(int(match.group(1)), _says_not_fixed(words) and int(match.group(1)) <= 2,
                           words)
    if _says_not_fixed(body[:20]):
        return RatingReply(None, True, body)
    return None


def _says_not_fixed(words: str) -> bool:
    upper = " ".join(words.upper().split())
    return any(phrase in upper for phrase in NOT_FIXED)


def new_report_text(body: str) -> str | None:
    """The report after NEW ("NEW pothole on 5th Ave"), or None when the text has no NEW."""
    first, _, rest = body.partition(" ")
    return rest.strip() if first.upper().rstrip(":") in NEW_REPORT_PREFIXES else None


def status_text(language: str, requests: list, names: dict[str, str]) -> str:
    """STATUS: each open request of the number, its status and expected date."""
    words = STATUS_WORDS[language]
    if not requests:
        return ("No tiene solicitudes abiertas. Escríbanos un problema para reportarlo."
                if language == "es" else
                "You have no open requests. Text us a problem to report one.")
    lines = []
    for row in requests:
        line = (f"#{row.id} {names.get(row.service_code, row.service_code)}: "
                f"{words.get(row.status, row.status)}")
        if row.expected_at:
            line += (", fecha prevista " if language == "es" else ", expected by ") + \
                    f"{row.expected_at:%Y-%m-%d}"
        lines.append(line)
    return "\n".join(lines)


def comment_reply(request_id: int) -> str:
    return (f"Thanks, we added your message to request #{request_id}. To report something "
            "else, text NEW and the problem.")


def rating_reply(rating: RatingReply, request_id: int) -> str:
    if rating.not_fixed:
        return (f"Sorry it is not fixed. We reopened request #{request_id} and told the crew; "
                "reply with anything they should know.")
    return f"Thank you for rating request #{request_id}."
