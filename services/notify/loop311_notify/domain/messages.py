"""What residents are told, in their language: one Jinja2 template per event × channel ×
language under templates/, each with `subject`, `text` and `html` blocks for email.

Every template is loaded and rendered with sample values when notify starts, so a missing
or broken one stops the service with its name instead of failing a resident's message."""
import functools
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError, select_autoescape

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
KINDS = ("received", "already_reported", "acknowledged", "in_progress", "commented", "closed",
         "reopened", "staff_assigned", "staff_reminder", "staff_escalated", "staff_not_fixed",
         "staff_digest", "subscription_confirm", "area_alert", "area_digest", "broadcast",
         "webhook_disabled")
# A broadcast's words are the city's, checked against MAX_SEGMENTS when it is sent.
CHECKED_AT_SEND = ("broadcast",)
LANGUAGES = ("en", "es")
DEFAULT_LANGUAGE = "en"
# The longest a subscription link gets: notify's address, a UUID and a token.
LINK = "https://notify.loop311.example.gov/notify/v1/subscriptions/" + "u" * 36 + \
    "/confirm?token=" + "t" * 16
SAMPLE = {"request_id": "123", "service_name": "Pothole", "greeting": "Hello,", "text": "Soon.",
          "resolution": "fixed", "note": "Patched.", "service_code": "pothole", "why": "assigned",
          "number": 1, "target": "acknowledge", "due_at": "2026-11-25 10:00",
          "department": "Streets", "role": "supervisor", "score": 2,
          "rating_url": "http://127.0.0.1:8001/requests/v1/123/rating?token=t&contact=c",
          "items": [{"request_id": "123", "target": "resolve", "due_at": "2026-11-25 10:00",
                     "number": 2, "service_name": "Pothole", "address": "1 Main St"}],
          "what": "news of request 123", "address": "1 Main St", "title": "Storm update",
          "message": "Shelters open at noon.", "confirm_url": LINK, "unsubscribe_url": LINK,
          "url": "https://gis.example.gov/hooks/311", "webhook_id": "u" * 36,
          "failing_since": "2026-11-22 10:00 UTC", "description": "County GIS dashboard"}
GREETINGS = {"en": ("Hello {name},", "Hello,"), "es": ("Hola, {name}:", "Hola:")}
SMS_KINDS = KINDS
MAX_SEGMENTS = 3
# The longest a text can get: what residents and staff write is as long as it may be, so
# a template's truncation is what keeps the message within MAX_SEGMENTS.
WORST_CASE = {**SAMPLE, "request_id": "1234567890", "service_name": "S" * 200, "text": "x" * 4000,
              "note": "x" * 4000, "resolution": "not_actionable", "why": "x" * 4000,
              "department": "D" * 200, "service_code": "s" * 64,
              "items": [{"request_id": "1234567890", "target": "acknowledge",
                         "due_at": "2026-11-25 10:00", "number": 99, "service_name": "S" * 200,
                         "address": "A" * 500}] * 50,
              "what": "W" * 200, "address": "A" * 500}
# GSM 03.38: the basic set is one septet a character, the extension table two.
GSM_BASIC = ("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNO"
             "PQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM_EXTENSION = "^{}\\[~]|€"


class TemplateProblem(ValueError):
    """A template that is missing or does not render."""


@dataclass(frozen=True)
class Email:
    subject: str
    text: str
    html: str


class Messages:
    def __init__(self, folder: Path = TEMPLATES):
        # HTML is escaped (a resident's words end up in it); the text and subject are not.
        self.html = Environment(loader=FileSystemLoader(folder), undefined=StrictUndefined,
                                autoescape=select_autoescape(default=True, default_for_string=True))
        self.plain = Environment(loader=FileSystemLoader(folder), undefined=StrictUndefined,
                                 autoescape=False)
        for kind in KINDS:
            for language in LANGUAGES:
                try:
                    self.email(kind, language, SAMPLE)
                except TemplateError as error:
                    raise TemplateProblem(f"template {kind}.email.{language}.j2: {error}") from None
        for kind in SMS_KINDS:
            if kind in CHECKED_AT_SEND:
                continue
            for language in LANGUAGES:
                try:
                    longest = self.sms(kind, language, WORST_CASE)
                except TemplateError as error:
                    raise TemplateProblem(f"template {kind}.sms.{language}.j2: {error}") from None
                if segments(longest) > MAX_SEGMENTS:
                    raise TemplateProblem(
                        f"template {kind}.sms.{language}.j2 can reach {segments(longest)} "
                        f"segments ({len(longest)} characters); at most {MAX_SEGMENTS}")

    def email(self, kind: str, language: str | None, values: dict) -> Email:
        language = language if language in LANGUAGES else DEFAULT_LANGUAGE
        name = f"{kind}.email.{language}.j2"
        return Email(self._block(self.plain, name, "subject", values).strip(),
                     self._block(self.plain, name, "text", values).strip() + "\n",
                     self._block(self.html, name, "html", values).strip())

    def sms(self, kind: str, language: str | None, values: dict) -> str:
        language = language if language in LANGUAGES else DEFAULT_LANGUAGE
        return self._block(self.plain, f"{kind}.sms.{language}.j2", "text", values).strip()

    @staticmethod
    def _block(environment, name, block, values) -> str:
        template = environment.get_template(name)
        return "".join(template.blocks[block](template.new_context(values)))


def segments(text: str) -> int:
    """How many SMS segments `text` takes: GSM-7 when every character is in GSM 03.38
    (160 septets alone, 153 a part), else UCS-2 (70 UTF-16 units alone, 67 a part)."""
    if all(c in GSM_BASIC or c in GSM_EXTENSION for c in text):
        units, alone, part = sum(2 if c in GSM_EXTENSION else 1 for c in text), 160, 153
    else:
        units, alone, part = len(text.encode("utf-16-le")) // 2, 70, 67
    return 1 if units <= alone else -(-units // part)


def greeting(first_name: str | None, language: str | None) -> str:
    named, plain = GREETINGS.get(language or DEFAULT_LANGUAGE, GREETINGS[DEFAULT_LANGUAGE])
    return named.format(name=first_name) if first_name else plain


@functools.cache
def default_messages() -> Messages:
    """The packaged templates, loaded (and checked) once per process."""
    return Messages()
