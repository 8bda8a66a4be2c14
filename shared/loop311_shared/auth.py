"""Bearer tokens for the staff, dispatcher, admin and mail-webhook roles, configured the
same way in every service: `name:token` pairs separated by commas."""
import base64
import hmac

from .errors import Unauthenticated


def parse_token_holders(value) -> dict[str, str]:
    """`alice:token1,bob:token2` -> {token: name}."""
    if isinstance(value, dict):
        return value
    holders = {}
    for pair in str(value or "").split(","):
        name, _, token = pair.strip().partition(":")
        if name and token:
            holders[token] = name
    return holders


def authenticated_name(authorization, holders: dict[str, str]) -> str:
    """The name of the holder of the request's token, or Unauthenticated."""
    scheme, _, token = str(authorization or "").partition(" ")
    if scheme.lower() == "basic" and token:
        # Webhooks that cannot send headers (SendGrid) put credentials in the URL.
        try:
            token = base64.b64decode(token).decode().partition(":")[2]
        except (ValueError, UnicodeDecodeError):
            token = ""
        scheme = "bearer"
    if scheme.lower() == "bearer" and token:
        for known, name in holders.items():
            if hmac.compare_digest(token.encode(), known.encode()):
                return name
    raise Unauthenticated("a valid token is required: Authorization: Bearer <token>")


def token_holder(request, holders: dict[str, str]) -> str:
    """The name of whoever the request's Authorization header belongs to, or Unauthenticated."""
    return authenticated_name(request.headers.get("Authorization"), holders)
