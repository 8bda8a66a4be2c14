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
         "reopened", "staff_assigned", "staff_reminder", "staff_escalated")
LANGUAGES = ("en", "es")
DEFAULT_LANGUAGE = "en"
SAMPLE = {"request_id": "123", "service_name": "Pothole", "greeting": "Hello,", "text": "Soon.",
          "resolution": "fixed", "note": "Patched.", "service_code": "pothole", "why": "assigned",
          "number": 1, "target": "acknowledge", "due_at": "2026-11-25 10:00",
          "department": "Streets", "role": "supervisor"}
GREETINGS = {"en": ("Hello {name},", "Hello,"), "es": ("Hola, {name}:", "Hola:")}


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

    def email(self, kind: str, language: str | None, values: dict) -> Email:
        language = language if language in LANGUAGES else DEFAULT_LANGUAGE
        name = f"{kind}.email.{language}.j2"
        return Email(self._block(self.plain, name, "subject", values).strip(),
                     self._block(self.plain, name, "text", values).strip() + "\n",
                     self._block(self.html, name, "html", values).strip())

    @staticmethod
    def _block(environment, name, block, values) -> str:
        template = environment.get_template(name)
        return "".join(template.blocks[block](template.new_context(values)))


def greeting(first_name: str | None, language: str | None) -> str:
    named, plain = GREETINGS.get(language or DEFAULT_LANGUAGE, GREETINGS[DEFAULT_LANGUAGE])
    return named.format(name=first_name) if first_name else plain


@functools.cache
def default_messages() -> Messages:
    """The packaged templates, loaded (and checked) once per process."""
    return Messages()
