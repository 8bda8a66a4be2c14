"""Who an Open311 client is: its api_key, and the Idempotency-Key that makes its retried
POSTs safe."""
import hashlib
import hmac
import json

from loop311_shared.errors import Forbidden, Invalid

from ..commands import IdempotencyKey


def require_api_key(given, keys: tuple[str, ...]) -> None:
    if not isinstance(given, str) or not any(
            hmac.compare_digest(given.encode(), key.encode()) for key in keys):
        raise Forbidden("api_key is missing or not valid")


def idempotency_key(header, api_key: str, fields: dict, attributes: dict) -> IdempotencyKey | None:
    """The key a client sent with its POST, tied to the client and to what it asked."""
    if header is None:
        return None
    if not 1 <= len(header) <= 255:
        raise Invalid("Idempotency-Key must be 1 to 255 characters")
    request = {name: value for name, value in fields.items() if name != "api_key"}
    canonical = json.dumps([request, attributes], sort_keys=True, default=str)
    return IdempotencyKey(
        client=hashlib.sha256(api_key.encode()).hexdigest(), key=header,
        fingerprint=hashlib.sha256(canonical.encode()).hexdigest())
