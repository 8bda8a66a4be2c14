"""Send pending ledger emails over SMTP; retry failures with backoff, then give up."""
import logging
import smtplib
from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from loop311_shared.background import BackgroundDrain
from loop311_shared.clock import utcnow

from .models import deliveries

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6


class SmtpSettings:
    def __init__(self, config: dict):
        self.host = config.get("SMTP_HOST", "127.0.0.1")
        self.port = int(config.get("SMTP_PORT", 1025))
        self.username = config.get("SMTP_USERNAME") or None
        self.password = config.get("SMTP_PASSWORD") or None
        self.starttls = str(config.get("SMTP_STARTTLS", "false")).lower() in ("1", "true", "yes")
        self.sender = config.get("MAIL_FROM", "Loop311 <no-reply@loop311.local>")


def send_email(settings: SmtpSettings, recipient: str, subject: str, body: str,
               headers: dict) -> None:
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = recipient
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="loop311.local")
    for name, value in headers.items():
        message[name] = value
    message.set_content(body)
    with smtplib.SMTP(settings.host, settings.port, timeout=10) as smtp:
        if settings.starttls:
            smtp.starttls()
        if settings.username:
            smtp.login(settings.username, settings.password)
        smtp.send_message(message)


def send_pending(session: Session, settings: SmtpSettings, batch_size: int = 20) -> int:
    now = utcnow()
    rows = session.execute(
        select(deliveries)
        .where(deliveries.c.status == "pending", deliveries.c.channel == "email",
               deliveries.c.next_attempt_at <= now)
        .order_by(deliveries.c.id).limit(batch_size)
        .with_for_update(skip_locked=True)
    ).all()
    for row in rows:
        try:
            send_email(settings, row.recipient, row.subject, row.body,
                       {"X-Loop311-Request-Id": row.request_id})
        except (OSError, smtplib.SMTPException) as exc:
            attempts = row.attempts + 1
            log.warning("email %s failed (attempt %d): %r", row.id, attempts, exc)
            session.execute(update(deliveries).where(deliveries.c.id == row.id).values(
                attempts=attempts, last_error=repr(exc)[:2000],
                status="failed" if attempts >= MAX_ATTEMPTS else "pending",
                next_attempt_at=now + timedelta(seconds=2 ** attempts * 5)))
            continue
        session.execute(update(deliveries).where(deliveries.c.id == row.id).values(
            attempts=row.attempts + 1, status="sent", sent_at=utcnow()))
    session.commit()
    return len(rows)


class Mailer(BackgroundDrain):
    """Delivers the ledger's pending emails in the background (see BackgroundDrain)."""

    poll_setting = "MAIL_POLL_SECONDS"

    def setup(self):
        super().setup()
        self.settings = SmtpSettings(self.container.config)

    def drain_once(self, session) -> int:
        return send_pending(session, self.settings)
