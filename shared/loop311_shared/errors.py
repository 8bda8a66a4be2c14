"""Domain errors: what the domain refuses, named for the reason, with no HTTP in them.

Handlers raise these; the edge (`web.status_for`) turns each kind into a status code.
"""


class DomainError(Exception):
    """The caller's request cannot be carried out; the message says why."""


class Invalid(DomainError):
    """The input breaks a rule (a field missing, malformed or out of range)."""


class Unauthenticated(DomainError):
    """No valid credentials were given."""


class Forbidden(DomainError):
    """The credentials given do not allow this."""


class NotFound(DomainError):
    """The thing named does not exist."""


class Conflict(DomainError):
    """The current state does not allow this change."""


class TooLarge(DomainError):
    """The input is larger than allowed."""


class Unprocessable(DomainError):
    """Well formed, but it cannot be acted on (a place no geocoder knows, a reused key)."""


class TooManyRequests(DomainError):
    """The caller went over a rate limit; it may try again after `retry_after` seconds."""

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


class Unavailable(DomainError):
    """Something the request depends on is down; the same request may work later."""
