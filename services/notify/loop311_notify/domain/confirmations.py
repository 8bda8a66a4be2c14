"""What a confirmation email says, and what makes it unique."""
from dataclasses import dataclass


@dataclass(frozen=True)
class Email:
    subject: str
    body: str


def confirmation_key(request_id: str, contact_ref: str) -> str:
    """One confirmation per reporter of a request, by email."""
    return f"confirmation:{request_id}:{contact_ref}:email"


def confirmation_email(request_id: str, service_name: str, first_name: str | None,
                       first_reporter: bool) -> Email:
    """The confirmation for the resident who reported the request (`first_reporter`) or
    one whose report joined it."""
    greeting = f"Hello {first_name}," if first_name else "Hello,"
    if first_reporter:
        news = f"Your service request number is {request_id} ({service_name})."
    else:
        news = (f"Another resident reported this first: your report joins service request "
                f"{request_id} ({service_name}).")
    return Email(
        subject=f"We received your request #{request_id}: {service_name}",
        body=(f"{greeting}\n\nThank you for your report. {news}\n"
              "We will let you know when it is resolved.\n"))
