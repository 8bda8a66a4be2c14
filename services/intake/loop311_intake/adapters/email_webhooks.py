"""Inbound email as it arrives: raw RFC 5322/MIME (piped by an MTA), SendGrid's Inbound
Parse and Mailgun's routes (signed), each read into one ReceiveEmail command.

A message over the limits (size, parts, nesting, header length) is refused whole, before
anything of it is kept. Every attachment goes on to be vetted as a photo: one that is not
a photo is refused there, with its reason on the request."""
import email
import email.policy
import hashlib
import hmac
import re

from loop311_shared.errors import Forbidden, Invalid, TooLarge, Unprocessable

from ..commands import Image, ReceiveEmail

MAX_EMAIL_BYTES = 16_000_000
MAX_PARTS = 50
MAX_DEPTH = 5
MAX_HEADER_BYTES = 8_000  # one header, folded lines and all
MAX_HEADERS_BYTES = 64_000
MAX_ATTACHMENTS = 10


def from_mime(raw: bytes) -> ReceiveEmail:
    check_size(len(raw))
    check_headers(raw)
    message = email.message_from_bytes(raw, policy=email.policy.default)
    check_structure(message)
    if not message["From"]:
        raise Invalid("the message has no From header")
    body = message.get_body(preferencelist=("plain", "html"))
    text = body.get_content() if body is not None else ""
    if body is not None and body.get_content_type() == "text/html":
        text = re.sub(r"<[^>]+>", " ", text)
    attachments = list(message.iter_attachments())
    check_attachments(len(attachments))
    images = tuple(Image(part.get_filename() or "attachment", part.get_content_type(),
                         part.get_payload(decode=True) or b"") for part in attachments)
    recipients = tuple(str(a) for h in ("To", "Cc", "Delivered-To") for a in message.get_all(h, []))
    return ReceiveEmail(str(message["From"]), recipients, str(message["Subject"] or ""), text,
                        images)


def from_sendgrid(form: dict, files: dict) -> ReceiveEmail:
    if form.get("email"):  # "POST the raw, full MIME message" enabled
        return from_mime(form["email"].encode())
    if not form.get("from"):
        raise Invalid("from is required")
    images = _images(files)
    return ReceiveEmail(form["from"], (form.get("to", ""),), form.get("subject", ""),
                        form.get("text") or re.sub(r"<[^>]+>", " ", form.get("html", "")), images)


def from_mailgun(form: dict, files: dict, signing_key: str) -> ReceiveEmail:
    expected = hmac.new(signing_key.encode(), f"{form.get('timestamp', '')}{form.get('token', '')}"
                        .encode(), hashlib.sha256).hexdigest()
    if not signing_key or not hmac.compare_digest(expected, str(form.get("signature", ""))):
        raise Forbidden("the Mailgun signature is missing or does not match")
    if not form.get("sender"):
        raise Invalid("sender is required")
    images = _images(files)
    return ReceiveEmail(form["sender"], (form.get("recipient", ""),), form.get("subject", ""),
                        form.get("body-plain", ""), images)


def _images(files) -> tuple[Image, ...]:
    check_attachments(len(files))
    return tuple(Image(f.filename or name, f.mimetype, f.read()) for name, f in files.items())


def check_size(size: int) -> None:
    if size > MAX_EMAIL_BYTES:
        raise TooLarge(f"the message is larger than {MAX_EMAIL_BYTES // 1_000_000} MB")


def check_headers(raw: bytes) -> None:
    """Header limits, on the bytes before the first blank line (before parsing them)."""
    end = min((i for i in (raw.find(b"\r\n\r\n"), raw.find(b"\n\n")) if i >= 0),
              default=len(raw))
    block = raw[:end]
    if len(block) > MAX_HEADERS_BYTES:
        raise Unprocessable(f"the message's headers are longer than {MAX_HEADERS_BYTES} bytes")
    header = b""
    for line in block.splitlines():
        header = header + line if line[:1] in (b" ", b"\t") else line  # folded lines join
        if len(header) > MAX_HEADER_BYTES:
            raise Unprocessable(f"a header of the message is longer than {MAX_HEADER_BYTES} "
                                "bytes")


def check_structure(message) -> None:
    """At most MAX_PARTS parts, nested at most MAX_DEPTH deep (walked without recursion)."""
    parts, stack = 0, [(message, 1)]
    while stack:
        part, depth = stack.pop()
        parts += 1
        if parts > MAX_PARTS:
            raise Unprocessable(f"the message has more than {MAX_PARTS} parts")
        if depth > MAX_DEPTH:
            raise Unprocessable(f"the message's parts are nested more than {MAX_DEPTH} deep")
        if part.is_multipart():
            stack.extend((child, depth + 1) for child in part.get_payload())


def check_attachments(count: int) -> None:
    if count > MAX_ATTACHMENTS:
        raise Unprocessable(f"the message has more than {MAX_ATTACHMENTS} attachments")
