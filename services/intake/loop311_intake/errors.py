"""Intake's own domain errors (the shared kinds cover the rest)."""
from loop311_shared.errors import Conflict, Unavailable, Unprocessable


class KeyReused(Unprocessable):
    """An Idempotency-Key came back with a different request."""


class LocationNotFound(Unprocessable):
    """No geocoder knows the place given."""


class GeocoderUnavailable(Unavailable):
    """The geocoder did not answer; coordinates still work."""


class NotAllowedNow(Conflict):
    """The request's status does not allow this change."""
