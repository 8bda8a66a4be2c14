"""Putting one message in the ledger, rendered for its channel."""
from loop311_shared.clock import utcnow


def queue_message(uow, channel, key, kind, request_id, language, values, send_at, contact_ref,
                  address) -> None:
    now = utcnow()
    stored = {"contact_ref": contact_ref, "language": language, "values": values,
              "send_at": send_at}
    if channel == "sms":
        text = uow.messages.sms(kind, language, values)
        uow.ledger.queue_delivery(key, request_id, "sms", address, kind, text, now, kind=kind,
                                  **stored)
        return
    email = uow.messages.email(kind, language, values)
    uow.ledger.queue_delivery(key, request_id, "email", address, email.subject, email.text, now,
                              html=email.html, kind=kind, **stored)
