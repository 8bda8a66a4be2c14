"""Who may POST: Open311 clients identify themselves with an `api_key`."""
import hmac

from loop311_shared.errors import Forbidden, NotFound


def accepted_keys(config_value) -> tuple[str, ...]:
    return tuple(key.strip() for key in str(config_value or "").split(",") if key.strip())


def require_api_key(given, keys: tuple[str, ...]) -> None:
    if not isinstance(given, str) or not any(
            hmac.compare_digest(given.encode(), key.encode()) for key in keys):
        raise Forbidden("api_key is missing or not valid")


def require_jurisdiction(given, served: str) -> None:
    """jurisdiction_id is optional; when given it must be the one this endpoint serves."""
    if given not in (None, "", served):
        raise NotFound(f"jurisdiction_id {given!r} is not served here (this is {served!r})")
