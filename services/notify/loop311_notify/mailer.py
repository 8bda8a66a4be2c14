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
        # Replies to request+<id>@this domain reach intake's email channel as comments.
        self.reply_domain = config.get("MAIL_REPLY_DOMAIN") or None


def compose(settings: SmtpSettings, row) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = row.recipient
    message["Subject"] = row.subject
    message["Message-ID"] = make_msgid(domain="loop311.local")
    message["X-Loop311-Request-Id"] = row.request_id
    if settings.reply_domain:
        message["Reply-To"] = f"request+{row.request_id}@{settings.reply_domain}"
    message.set_content(row.body)
    return message


class SmtpConnection:
    """One SMTP session for a batch of messages, reopened after any failure."""

    def __init__(self, settings: SmtpSettings):
        self.settings = settings
        self.smtp = None

    def send(self, message: EmailMessage) -> None:
        try:
            if self.smtp is None:
                self.smtp = self._open()
            self.smtp.send_message(message)
        except Exception:
            self.close()
            raise

    def _open(self) -> smtplib.SMTP:
        smtp = smtplib.SMTP(self.settings.host, self.settings.port, timeout=10)
        if self.settings.starttls:
            smtp.starttls()
        if self.settings.username:
            smtp.login(self.settings.username, self.settings.password)
        return smtp

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self.smtp = None


def send_pending(session: Session, settings: SmtpSettings, batch_size: int = 50) -> int:
    """Send a batch of due emails. The batch commits as one, so a crash mid-batch sends
    its already-sent messages again (at least once), never loses one."""
    now = utcnow()
    rows = session.execute(
        select(deliveries)
        .where(deliveries.c.status == "pending", deliveries.c.channel == "email",
               deliveries.c.next_attempt_at <= now)
        .order_by(deliveries.c.id).limit(batch_size)
        .with_for_update(skip_locked=True)
    ).all()
    connection = SmtpConnection(settings)
    try:
        for row in rows:
            try:
                connection.send(compose(settings, row))
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
    finally:
        connection.close()
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
