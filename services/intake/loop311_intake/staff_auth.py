"""Staff and dispatchers authenticate with bearer tokens configured per person."""
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
    if scheme.lower() == "bearer" and token:
        for known, name in holders.items():
            if hmac.compare_digest(token.encode(), known.encode()):
                return name
    raise Unauthorized("a valid staff token is required: Authorization: Bearer <token>")
