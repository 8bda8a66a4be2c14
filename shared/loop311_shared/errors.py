class PoisonMessage(Exception):
    """A message no retry can fix (unreadable envelope, unknown type, invalid data).

    Consumers dead-letter it at once instead of retrying it.
    """


class ClientError(Exception):
    """The caller's mistake: answered with `status` and the message, counted apart from bugs."""

    status = 400


class BadRequest(ClientError):
    status = 400


class Unauthorized(ClientError):
    status = 401


class Forbidden(ClientError):
    status = 403


class NotFound(ClientError):
    status = 404


class PayloadTooLarge(ClientError):
    status = 413
