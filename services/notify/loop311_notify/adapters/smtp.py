"""Send pending ledger emails over SMTP; retry failures with backoff, then give up."""
import email.policy
import hashlib
import hmac
import io
import secrets
import smtplib
import time
from email.charset import QP, Charset
from email.generator import BytesGenerator
from email.header import Header
from email.message import EmailMessage, Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import Compat32
from email.utils import format_datetime, formataddr, parseaddr
from functools import cache
from html import escape
from urllib.parse import urlencode

from eventlet import GreenPile
from sqlalchemy.orm import Session

from loop311_shared.background import BackgroundDrain
from loop311_shared.clock import utcnow
from loop311_shared.settings import settings_of

from ..repository import LedgerRepository
from ..sending import Undeliverable, send_due
from ..settings import NotifySettings
from .pacing import Pacer


def message_id(dedupe_key: str) -> str:
    """The same for every attempt at one ledger message, so a message resent after a crash
    carries the Message-ID of the first, and a mail system can drop the copy."""
    return f"<{hashlib.sha256(dedupe_key.encode()).hexdigest()[:32]}@loop311.local>"


class ShortAsciiHeadersAsTheyAre(Compat32):
    """compat32 runs every header through email.header.Header to fold it, a third of the
    cost of writing an email out; a short ASCII header on one line folds to itself."""

    def fold_binary(self, name, value):
        if (isinstance(value, str) and value.isascii() and "\r" not in value
                and "\n" not in value and len(name) + len(value) + 2 <= self.max_line_length):
            return f"{name}: {value}{self.linesep}".encode("ascii")
        return super().fold_binary(name, value)


# compat32 builds a message without parsing every header it is given, several times
# faster than the modern API, which made composing the mailer's costliest step. A long
# URL in List-Unsubscribe must stay one unencoded line (998 is RFC 5322's limit).
POLICY = ShortAsciiHeadersAsTheyAre(max_line_length=998)
UTF8 = Charset("utf-8")
UTF8.body_encoding = QP  # readable in the raw message, unlike base64
# An address that is not ASCII travels as UTF-8 (SMTPUTF8), which only the modern API writes.
INTERNATIONAL = email.policy.default.clone(max_line_length=998)


def compose(settings: NotifySettings, row) -> Message:
    # A subscription's message leaves that subscription; any other stops email to the address.
    link = getattr(row, "unsubscribe_url", None) or unsubscribe_link(settings, row.recipient)
    text, html = row.body, row.html
    headers = {"From": settings.mail_from, "To": row.recipient, "Subject": row.subject,
               "Date": format_datetime(utcnow()), "Message-ID": message_id(row.dedupe_key),
               "X-Loop311-Request-Id": row.request_id}
    if settings.mail_reply_domain:
        # Replies to request+<id>@this domain reach intake's email channel as comments.
        headers["Reply-To"] = f"request+{row.request_id}@{settings.mail_reply_domain}"
    if link:
        headers["List-Unsubscribe"] = f"<{link}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"  # RFC 8058
        text += f"\n--\nNo more emails from Loop311: {link}\n"
        if html:
            html += f'<p style="font-size:small"><a href="{escape(link)}">No more emails</a></p>'
    if sender_address(settings.mail_from).isascii() and row.recipient.isascii():
        return _ascii_addressed(headers, text, html)
    return _internationally_addressed(headers, text, html)


@cache
def sender_address(mail_from: str) -> str:
    return parseaddr(mail_from)[1]


@cache
def _from_header(mail_from: str) -> str:
    return formataddr(parseaddr(mail_from), UTF8)  # only a name is encoded, never the address


def _ascii_addressed(headers: dict, text: str, html: str | None) -> Message:
    message = MIMEText(text, "plain", UTF8, policy=POLICY)
    if html:
        # Both parts are quoted-printable, which writes every "=" as "=3D", so a boundary
        # holding "=_" cannot occur in them: no search for one (a regex compiled per email).
        message = MIMEMultipart("alternative", boundary=f"=_{secrets.token_hex(12)}",
                                policy=POLICY)
        message.attach(MIMEText(text, "plain", UTF8, policy=POLICY))
        message.attach(MIMEText(html, "html", UTF8, policy=POLICY))
    for name, value in headers.items():
        if name == "From":
            value = _from_header(value)
        elif not value.isascii():  # RFC 2047 encoded words
            value = Header(value, UTF8)
        message[name] = value
    return message


def _internationally_addressed(headers: dict, text: str, html: str | None) -> Message:
    message = EmailMessage(policy=INTERNATIONAL)
    for name, value in headers.items():
        message[name] = value
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


def as_sent(message: Message) -> bytes:
    """An ASCII-addressed message's bytes on the wire, as smtplib's send_message writes it."""
    with io.BytesIO() as data:
        BytesGenerator(data).flatten(message, linesep="\r\n")
        return data.getvalue()


class SmtpConnection:
    """An SMTP session, opened on first use, kept for the next messages, and reopened
    after any failure. A kept session that the server closed while it sat idle fails at
    its first command, before the message went: it is reopened and the message tried once
    more. (Should a server drop one mid-message, the copy carries the same Message-ID.)"""

    IDLE_SECONDS = 30.0  # servers may drop a quiet client after a few minutes (RFC 5321)

    def __init__(self, settings: NotifySettings):
        self.settings = settings
        self.smtp = None
        self.last_used = 0.0

    def send(self, message: Message, sender: str | None = None,
             recipient: str | None = None) -> None:
        """With `sender` and `recipient` (the envelope) an ASCII-addressed message goes
        without smtplib parsing its headers again to find them."""
        if self.smtp is not None and time.monotonic() - self.last_used > self.IDLE_SECONDS:
            self.close()
        kept = self.smtp is not None
        try:
            try:
                if self.smtp is None:
                    self.smtp = self._open()
                self._transmit(message, sender, recipient)
            except smtplib.SMTPServerDisconnected:
                if not kept:
                    raise
                self.close()
                self.smtp = self._open()
                self._transmit(message, sender, recipient)
        except Exception:
            self.close()
            raise
        self.last_used = time.monotonic()

    def _transmit(self, message: Message, sender: str | None, recipient: str | None) -> None:
        if message.policy is not POLICY or not (sender and recipient):
            self.smtp.send_message(message)  # it also knows when SMTPUTF8 is needed
            return
        self.smtp.sendmail(sender, [recipient], as_sent(message))

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


MAIL_BATCH = 50  # emails per sender per pass, over one SMTP session


def send_pending(session: Session, settings: NotifySettings, batch_size: int = MAIL_BATCH,
                 pacer=None, connection: SmtpConnection | None = None) -> int:
    """Send up to `batch_size` due emails (see sending.send_due) over `connection`, or over
    a session of their own, closed afterwards."""
    own = connection is None
    connection = connection or SmtpConnection(settings)

    def deliver(row) -> None:
        if pacer:
            pacer.wait()
        try:
            connection.send(compose(settings, row), sender_address(settings.mail_from),
                            row.recipient)
        except smtplib.SMTPNotSupportedError as refused:  # no retry will change the server
            raise Undeliverable("failed", str(refused)) from refused

    try:
        return send_due(session, "email", deliver, (OSError, smtplib.SMTPException), batch_size)
    finally:
        if own:
            connection.close()


class Mailer(BackgroundDrain):
    """Delivers the ledger's pending emails in the background (see BackgroundDrain): up to
    `mail_senders` senders at once, as many as there are emails due (an SMTP conversation
    is mostly waiting for the server), each over an SMTP session kept between passes."""

    poll_setting = "mail_poll_seconds"
    wakes_on = ("deliveries",)
    full_pass = MAIL_BATCH

    def setup(self):
        super().setup()
        self.settings = settings_of(self.container, NotifySettings)
        self.pacer = Pacer(self.settings.redis_url, "loop311:email-pace",
                           self.settings.email_rate_per_second)
        self.spare: list[SmtpConnection] = []

    def stop(self):
        super().stop()
        while self.spare:
            self.spare.pop().close()

    def drain_once(self, session) -> int:
        due = LedgerRepository(session).due_count(utcnow(), "email", self.settings.mail_senders)
        session.rollback()
        if due == 0:
            return 0
        others = GreenPile()
        for _ in range(due - 1):
            others.spawn(self._send_in_own_session)
        return self._send(session) + sum(others)

    def _send_in_own_session(self) -> int:
        with self.session() as session:
            return self._send(session)

    def _send(self, session) -> int:
        connection = self.spare.pop() if self.spare else SmtpConnection(self.settings)
        try:
            return send_pending(session, self.settings, pacer=self.pacer, connection=connection)
        finally:
            self.spare.append(connection)
