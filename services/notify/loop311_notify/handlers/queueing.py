"""Putting one message in the ledger, rendered for its channel: an email (subject, text,
HTML), a text, or a push notification (the email's subject as its title, the text as its
body)."""
from loop311_shared.clock import utcnow


def queue_message(uow, channel, key, kind, request_id, language, values, send_at, contact_ref,
                  address, lane: str = "direct", unsubscribe_url: str | None = None) -> None:
    now = utcnow()
    stored = {"contact_ref": contact_ref, "language": language, "values": values,
              "send_at": send_at, "lane": lane, "unsubscribe_url": unsubscribe_url}
    if channel == "sms":
        text = uow.messages.sms(kind, language, values)
        uow.ledger.queue_delivery(key, request_id, "sms", address, kind, text, now, kind=kind,
                                  **stored)
        return
    email = uow.messages.email(kind, language, values)
    if channel == "push":
        uow.ledger.queue_delivery(key, request_id, "push", address, email.subject,
                                  uow.messages.sms(kind, language, values), now, kind=kind,
                                  **stored)
        return
    uow.ledger.queue_delivery(key, request_id, "email", address, email.subject, email.text, now,
                              html=email.html, kind=kind, **stored)
