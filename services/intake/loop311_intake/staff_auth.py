"""Staff, dispatchers and mail webhooks authenticate with tokens configured per holder."""
import base64
import hmac

from loop311_shared.errors import Unauthorized


def token_holders(config_value) -> dict[str, str]:
    """`alice:token1,bob:token2` -> {token: name}."""
    holders = {}
    for pair in str(config_value or "").split(","):
        name, _, token = pair.strip().partition(":")
        if name and token:
            holders[token] = name
    return holders


def authenticated_name(authorization, holders: dict[str, str]) -> str:
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
    raise Unauthorized("a valid token is required: Authorization: Bearer <token>")
