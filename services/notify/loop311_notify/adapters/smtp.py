"""Send pending ledger emails over SMTP; retry failures with backoff, then give up."""
import email.policy
import hashlib
import hmac
import smtplib
from email.message import EmailMessage
from email.utils import format_datetime
from html import escape
from urllib.parse import urlencode

from eventlet import GreenPile
from sqlalchemy.orm import Session

from loop311_shared.background import BackgroundDrain
from loop311_shared.clock import utcnow
from loop311_shared.settings import settings_of

from ..sending import send_due
from ..settings import NotifySettings
from .pacing import Pacer


def message_id(dedupe_key: str) -> str:
    """The same for every attempt at one ledger message, so a message resent after a crash
    carries the Message-ID of the first, and a mail system can drop the copy."""
    return f"<{hashlib.sha256(dedupe_key.encode()).hexdigest()[:32]}@loop311.local>"


# A long URL in List-Unsubscribe must stay one unencoded line (998 is RFC 5322's limit).
POLICY = email.policy.default.clone(max_line_length=998)


def compose(settings: NotifySettings, row) -> EmailMessage:
    message = EmailMessage(policy=POLICY)
    message["From"] = settings.mail_from
    message["To"] = row.recipient
    message["Subject"] = row.subject
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = message_id(row.dedupe_key)
    message["X-Loop311-Request-Id"] = row.request_id
    if settings.mail_reply_domain:
        # Replies to request+<id>@this domain reach intake's email channel as comments.
        message["Reply-To"] = f"request+{row.request_id}@{settings.mail_reply_domain}"
    # A subscription's message leaves that subscription; any other stops email to the address.
    link = getattr(row, "unsubscribe_url", None) or unsubscribe_link(settings, row.recipient)
    text, html = row.body, row.html
    if link:
        message["List-Unsubscribe"] = f"<{link}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"  # RFC 8058
        text += f"\n--\nNo more emails from Loop311: {link}\n"
        if html:
            html += f'<p style="font-size:small"><a href="{escape(link)}">No more emails</a></p>'
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    return message


def unsubscribe_token(secret: str, address: str) -> str:
    return hmac.new(secret.encode(), address.lower().encode(), hashlib.sha256).hexdigest()


def unsubscribe_link(settings: NotifySettings, address: str) -> str | None:
    if not settings.unsubscribe_secret:
        return None
    query = urlencode({"email": address,
                       "token": unsubscribe_token(settings.unsubscribe_secret, address)})
    return f"{settings.notify_public_url.rstrip('/')}/notify/v1/unsubscribe?{query}"


class SmtpConnection:
    """One SMTP session for a batch of messages, reopened after any failure."""

    def __init__(self, settings: NotifySettings):
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
        smtp = smtplib.SMTP(self.settings.smtp_host, self.settings.smtp_port, timeout=10)
        if self.settings.smtp_starttls:
            smtp.starttls()
        if self.settings.smtp_username:
            smtp.login(self.settings.smtp_username, self.settings.smtp_password or None)
        return smtp

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self.smtp = None


def send_pending(session: Session, settings: NotifySettings, batch_size: int = 50,
                 pacer=None) -> int:
    """Send up to `batch_size` due emails over one SMTP session (see sending.send_due)."""
    connection = SmtpConnection(settings)

    def deliver(row) -> None:
        if pacer:
            pacer.wait()
        connection.send(compose(settings, row))

    try:
        return send_due(session, "email", deliver, (OSError, smtplib.SMTPException), batch_size)
    finally:
        connection.close()


class Mailer(BackgroundDrain):
    """Delivers the ledger's pending emails in the background (see BackgroundDrain), with
    `mail_senders` senders at once: an SMTP conversation is mostly waiting for the server."""

    poll_setting = "mail_poll_seconds"
    wakes_on = ("deliveries",)

    def setup(self):
        super().setup()
        self.settings = settings_of(self.container, NotifySettings)
        self.pacer = Pacer(self.settings.redis_url, "loop311:email-pace",
                           self.settings.email_rate_per_second)

    def drain_once(self, session) -> int:
        others = GreenPile()
        for _ in range(self.settings.mail_senders - 1):
            others.spawn(self._send_in_own_session)
        return send_pending(session, self.settings, pacer=self.pacer) + sum(others)

    def _send_in_own_session(self) -> int:
        with self.session() as session:
            return send_pending(session, self.settings, pacer=self.pacer)
