"""Inbound email as it arrives: raw RFC 5322/MIME (piped by an MTA), SendGrid's Inbound
Parse and Mailgun's routes (signed), each read into one ReceiveEmail command."""
import email
import email.policy
import hashlib
import hmac
import re

from loop311_shared.errors import Forbidden, Invalid

from ..commands import Image, ReceiveEmail


def from_mime(raw: bytes) -> ReceiveEmail:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    if not message["From"]:
        raise Invalid("the message has no From header")
    body = message.get_body(preferencelist=("plain", "html"))
    text = body.get_content() if body is not None else ""
    if body is not None and body.get_content_type() == "text/html":
        text = re.sub(r"<[^>]+>", " ", text)
    images = tuple(Image(part.get_filename() or "image", part.get_content_type(),
                         part.get_content())
                   for part in message.iter_attachments() if part.get_content_maintype() == "image")
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
    return tuple(Image(f.filename or name, f.mimetype, f.read()) for name, f in files.items()
                 if f.mimetype.startswith("image/"))
